"""The English tables answer what phonenumbers' geocoder and carrier data answer, number by number.

Every prefix of phonenumbers' geocoder and carrier data is looked up through the tables and
through phonenumbers' own prefix lookup (the step ``description_for_number`` and
``name_for_number`` take on the data); then, per country calling code, numbers made on each of up
to ``_PER_CODE`` of its prefixes (a fixed line's and a mobile's digits after it) go the whole way:
the enricher's call, ``geocoder.description_for_number(number, "en")`` and
``carrier.name_for_number(number, "en")``, against the tables' answers.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumber, PhoneNumberType, carrier, geocoder
from phonenumbers.carrierdata import CARRIER_DATA, CARRIER_LONGEST_PREFIX
from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX
from phonenumbers.prefix import _prefix_description_for_number

from chalicelib.domain.enrich.phone_names import TableNames
from chalicelib.domain.enrich.phone_tables import open_tables, write_tables

_PER_CODE = 60  # prefixes of each country calling code taken the whole way
_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE


@pytest.fixture(scope="module")
def names(tmp_path_factory: pytest.TempPathFactory) -> TableNames:
    folder = write_tables(tmp_path_factory.mktemp("tables") / "phonedata")
    tables, why = open_tables(folder)
    assert tables is not None, why
    return TableNames(tables)


def _code(prefix: str) -> int:
    return next(int(prefix[:n]) for n in (1, 2, 3) if int(prefix[:n]) in _CODES)


def _number(code: int, national: str) -> PhoneNumber:
    """The number whose E.164 digits are the code and ``national``, leading zeros kept."""
    national = national or "0"
    number = PhoneNumber(country_code=code, national_number=int(national))
    zeros = len(national) - len(national.lstrip("0")) - (national.strip("0") == "")
    if zeros:
        number.italian_leading_zero = True
        number.number_of_leading_zeros = zeros
    return number


def test_every_prefix_has_the_english_name_phonenumbers_finds(names: TableNames) -> None:
    for data, longest, ours in ((GEOCODE_DATA, GEOCODE_LONGEST_PREFIX, names.place),
                                (CARRIER_DATA, CARRIER_LONGEST_PREFIX, names.carrier_of)):
        differ = []
        for prefix in data:
            code = _code(prefix)
            number = _number(code, prefix[len(str(code)):])
            expected = _prefix_description_for_number(data, longest, number, "en")
            if ours(number) != expected:
                differ.append(prefix)
        assert differ == []


def _whole_way_numbers() -> Iterator[PhoneNumber]:
    taken: dict[int, int] = {}
    for prefix in [*GEOCODE_DATA, *CARRIER_DATA]:
        code = _code(prefix)
        if taken.get(code, 0) >= _PER_CODE:
            continue
        taken[code] = taken.get(code, 0) + 1
        region = phonenumbers.region_code_for_country_code(code)
        head = prefix[len(str(code)):]
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            tail = phonenumbers.national_significant_number(example) if example else ""
            yield _number(code, head + tail[len(head):])


def test_numbers_get_the_geocoders_and_carriers_english_answers(names: TableNames) -> None:
    differ, places, carriers, countries = [], 0, 0, 0
    for number in _whole_way_numbers():
        kind = phonenumbers.number_type(number)
        place = geocoder.description_for_number(number, "en")
        operator = carrier.name_for_number(number, "en")
        if (names.region(number, kind), names.carrier(number, kind)) != (place, operator):
            differ.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        places += bool(place)
        carriers += bool(operator)
        countries += bool(place) and place == geocoder.country_name_for_number(number, "en")
    assert differ == []
    # not a comparison of empty answers: places, countries and carriers were found
    assert places > 10_000 and carriers > 3_000 and countries > 3_000


def test_argentine_mobiles_are_placed_without_their_mobile_token(names: TableNames) -> None:
    # GIVEN an Argentine mobile (national digits 9 + area code + number), WHEN described
    number = phonenumbers.parse("+54 9 11 2345 6789")
    kind = phonenumbers.number_type(number)
    # THEN the place is the area code's, as the geocoder says (Buenos Aires)
    assert names.region(number, kind) == geocoder.description_for_number(number, "en") != ""


def test_a_number_several_countries_share_gets_no_country(names: TableNames) -> None:
    # +1 800 numbers are toll free in every NANP country: no place, no country
    number = phonenumbers.parse("+1 800 555 0100")
    kind = phonenumbers.number_type(number)
    assert names.region(number, kind) == geocoder.description_for_number(number, "en") == ""


def test_tables_of_another_phonenumbers_are_refused(names: TableNames, tmp_path: Path) -> None:
    # GIVEN whole tables that name another phonenumbers version
    folder = shutil.copytree(names.folder, tmp_path / "phonedata")
    index = folder / "index.json"
    index.write_text(index.read_text().replace(phonenumbers.__version__, "0.0.1"))
    # WHEN they are opened, THEN they are refused, saying why
    tables, why = open_tables(folder)
    assert tables is None and "phonenumbers 0.0.1" in why
