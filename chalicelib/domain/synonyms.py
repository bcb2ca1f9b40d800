"""The header names exports really use for each canonical field, and typo-tolerant lookup."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache

CANONICAL_FIELDS = (
    "id", "first_name", "last_name", "full_name", "email", "phone", "company", "domain",
    "website", "linkedin", "street", "city", "state", "zip", "country", "handle", "platform",
)

# CRM (Salesforce, HubSpot, Pipedrive, Mailchimp), address-book (Outlook, Google Contacts) and
# spreadsheet names, in English, German, French, Spanish and a few neighbours; any case/accents.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "record id", "row id", "contact id", "lead id", "external id", "customer id",
           "person id", "uuid", "unique id", "customer number", "kundennummer", "kunden nr",
           "identifiant"),
    "first_name": ("first name", "firstname", "given name", "first", "forename", "person first name",
                   "contact first name", "vorname", "prénom", "nombre", "nombre de pila", "nome",
                   "voornaam", "primeiro nome"),
    "last_name": ("last name", "lastname", "surname", "family name", "last", "person last name",
                  "contact last name", "nachname", "familienname", "nom", "nom de famille",
                  "apellido", "apellidos", "apellido(s)", "cognome", "sobrenome", "achternaam"),
    "full_name": ("name", "full name", "fullname", "contact name", "contact", "person name",
                  "person", "display name", "lead name", "vollständiger name", "nom complet",
                  "nombre completo", "nome completo", "naam"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "mail address",
              "work email", "business email", "primary email", "contact email", "email id",
              "e-mail 1 - value", "person - email", "person - email - work", "e-mail-adresse",
              "emailadresse", "mailadresse", "e-post", "courriel", "adresse e-mail", "adresse mail",
              "adresse électronique", "e-mail professionnel", "correo", "correo electrónico",
              "dirección de correo", "dirección de correo electrónico", "email de contacto"),
    "phone": ("phone", "phone number", "telephone", "telephone number", "tel", "mobile",
              "mobile phone", "mobile phone number", "mobile number", "cell", "cell phone",
              "business phone", "work phone", "primary phone", "home phone", "direct phone",
              "phone 1 - value", "person - phone", "person - phone - work", "contact phone",
              "telefon", "telefonnummer", "tel nr", "handy", "handynummer", "mobil", "mobilnummer",
              "mobiltelefon", "rufnummer", "téléphone", "numéro de téléphone", "téléphone mobile",
              "portable", "tél", "teléfono", "número de teléfono", "móvil", "celular",
              "teléfono móvil", "telefone", "telefono", "cellulare", "telefoonnummer", "mobiel"),
    "company": ("company", "company name", "organization", "organisation", "account name",
                "organization name", "organization 1 - name", "organization - name",
                "associated company", "employer", "business name", "firma", "firmenname",
                "unternehmen", "arbeitgeber", "société", "entreprise", "nom de l'entreprise",
                "raison sociale", "empresa", "compañía", "nombre de la empresa", "razón social",
                "azienda", "bedrijf"),
    "domain": ("domain", "company domain", "company domain name", "email domain", "domain name",
               "website domain", "domaine", "dominio"),
    "website": ("website", "web site", "url", "company website", "homepage", "home page",
                "web page", "web", "website url", "company url", "website 1 - value", "webseite",
                "internetseite", "internetadresse", "site web", "site internet", "sitio web",
                "página web", "sito web"),
    "linkedin": ("linkedin", "linkedin url", "linkedin profile", "linkedin profile url",
                 "person linkedin url", "linkedin link", "linkedin page"),
    "street": ("street", "address", "street address", "address line 1", "address 1", "street 1",
               "address 1 - street", "organization - address", "straße", "straße und hausnummer",
               "anschrift", "adresse", "rue", "adresse postale", "dirección", "calle", "domicilio",
               "indirizzo", "endereço", "straat", "adres"),
    "city": ("city", "town", "locality", "address 1 - city", "ort", "stadt", "wohnort", "ville",
             "commune", "ciudad", "localidad", "población", "municipio", "città", "cidade",
             "plaats", "woonplaats"),
    "state": ("state", "province", "region", "state/province", "state/region", "state code",
              "address 1 - region", "bundesland", "kanton", "région", "département", "provincia",
              "estado", "comunidad autónoma", "regione"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "postcode", "post code", "zip/postal code",
            "address 1 - postal code", "plz", "postleitzahl", "code postal", "cp", "código postal",
            "cap", "cep"),
    "country": ("country", "country code", "country/region", "country name", "address 1 - country",
                "land", "pays", "país", "paese"),
    "handle": ("handle", "username", "user name", "screen name", "instagram", "instagram handle",
               "tiktok", "tiktok handle", "tiktok username", "twitter", "twitter handle",
               "twitter username", "social handle", "benutzername", "pseudo", "nom d'utilisateur",
               "usuario", "nombre de usuario"),
    "platform": ("platform", "network", "social network", "social platform", "plattform",
                 "plateforme", "plataforma", "red social", "réseau social"),
}
# Address columns come as "Mailing City", "Billing Zip/Postal Code", "Business Street", ...
_ADDRESS_PREFIXES = ("mailing", "billing", "shipping", "business", "work", "company", "office",
                     "primary")
_ADDRESS_FIELDS = ("street", "city", "state", "zip", "country")
# Real columns one typo away from a synonym: never fuzzy-matched ("County" is not "Country").
_NOT_TYPOS = frozenset({"county", "status", "stats", "states"})
FUZZY_THRESHOLD = 0.88


def normalize_header(name: str) -> str:
    """Case- and accent-folded, separators to spaces, collapsed: ``E-Mail_Adresse`` -> ``e mail adresse``."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", plain).strip()


def _compact(name: str) -> str:
    return normalize_header(name).replace(" ", "")


def _word_forms() -> dict[str, str]:
    forms = {normalize_header(s): field for field, names in SYNONYMS.items() for s in names}
    for field in _ADDRESS_FIELDS:
        for base in SYNONYMS[field][:8]:  # the English names lead each tuple
            for prefix in _ADDRESS_PREFIXES:
                forms.setdefault(normalize_header(f"{prefix} {base}"), field)
    return forms


_WORD_FORMS = _word_forms()
_LOOKUP = {form.replace(" ", ""): field for form, field in _WORD_FORMS.items()}


def synonym_field(name: str) -> str | None:
    """The canonical field a header name is a known synonym of, else None."""
    return _LOOKUP.get(_compact(name))


def similarity(a: str, b: str, floor: float = 0.0) -> float:
    """1 - weighted edit distance / longer length; a swap costs 0.5, a missing letter 0.75.

    Below ``floor`` the answer is 0.0: rows past the cost budget stop the comparison early.
    """
    budget = (1.0 - floor) * max(len(a), len(b), 1)
    previous: list[float] = []
    row = [j * 0.75 for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        before, previous, row = previous, row, [i * 0.75] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0.0 if a[i - 1] == b[j - 1] else 1.0
            row[j] = min(previous[j] + 0.75, row[j - 1] + 0.75, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], before[j - 2] + 0.5)
        if min(row) > budget and min(previous) + 0.5 > budget:
            return 0.0
    score = 1.0 - row[len(b)] / max(len(a), len(b), 1)
    return score if score >= floor else 0.0


def fuzzy_field(name: str, taken: Collection[str] = ()) -> tuple[str, float] | None:
    """The best (field, similarity) for a misspelt header among fields not taken, if close enough."""
    best = _fuzzy_candidates(normalize_header(name))
    return next(((field, score) for field, score in best if field not in taken), None)


def _shapes() -> dict[tuple[int, int], list[tuple[str, str, frozenset[str]]]]:
    shapes: dict[tuple[int, int], list[tuple[str, str, frozenset[str]]]] = {}
    for form, field in _WORD_FORMS.items():
        shapes.setdefault((form.count(" "), len(form)), []).append((form, field, frozenset(form)))
    return shapes


# Synonyms by (spaces, length): a typo keeps the word count and moves the length by a few letters.
_SHAPES = _shapes()


@lru_cache(maxsize=4096)
def _fuzzy_candidates(words: str) -> tuple[tuple[str, float], ...]:
    """Fields whose synonyms are a typo away (same word count, same digits), best first."""
    if len(words.replace(" ", "")) < 5 or words in _NOT_TYPOS:
        return ()
    digits, letters, spaces = re.sub(r"\D", "", words), frozenset(words), words.count(" ")
    scores: dict[str, float] = {}
    for length in range(len(words) - 3, len(words) + 4):
        budget = (1.0 - FUZZY_THRESHOLD) * max(length, len(words))
        for form, field, form_letters in _SHAPES.get((spaces, length), ()):
            # Each letter one side lacks costs at least a missing letter: a cheap lower bound.
            if (0.75 * max(len(letters - form_letters), len(form_letters - letters)) > budget
                    or re.sub(r"\D", "", form) != digits):
                continue
            score = similarity(words, form, FUZZY_THRESHOLD)
            if score > scores.get(field, 0.0):
                scores[field] = score
    return tuple(sorted(scores.items(), key=lambda item: -item[1]))
