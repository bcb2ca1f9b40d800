"""English place and carrier names of phone number prefixes, one table per country calling code.

phonenumbers keeps its geocoder data (287,454 prefixes, each with its names in every language)
and its carrier data in modules that load whole: ~0.5 s of CPU in every sandbox that describes
a number, for a batch whose numbers are all in one or two countries. The phone enricher asks for
English only, so ``write_tables`` keeps, for each prefix that has an English name, that name,
grouped by the country calling code it starts with (``geo-44.json``, ``carrier-44.json``), and
the English name of every region; ``Tables`` loads a country's table when a number of it is
first described. The tables are made from the installed phonenumbers and name its version:
``open_tables`` refuses tables of another version (their answers could differ).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import phonenumbers

FORMAT = 1
LANGUAGE = "en"
INDEX = "index.json"
KINDS = ("geo", "carrier")


def write_tables(target: Path) -> Path:
    """Write the tables of the installed phonenumbers into ``target``, whole or not at all (a
    folder filled beside it, then renamed); a process that loses the race keeps the winner's."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        _write(staging)
        try:
            os.rename(staging, target)
        except OSError:
            if open_tables(target)[0] is None:  # not another process's whole tables: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _write(folder: Path) -> None:
    from phonenumbers.carrierdata import CARRIER_DATA, CARRIER_LONGEST_PREFIX
    from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX
    from phonenumbers.geodata.locale import LOCALE_DATA

    index: dict[str, Any] = {"format": FORMAT, "phonenumbers": phonenumbers.__version__,
                             "language": LANGUAGE, "regions": _region_names(LOCALE_DATA),
                             "longest": {"geo": GEOCODE_LONGEST_PREFIX,
                                         "carrier": CARRIER_LONGEST_PREFIX}}
    for kind, data in (("geo", GEOCODE_DATA), ("carrier", CARRIER_DATA)):
        by_code = english_by_country_code(data)
        for code, names in by_code.items():
            _dump(folder / f"{kind}-{code}.json", names)
        index[kind] = sorted(by_code)
    _dump(folder / INDEX, index)


def english_by_country_code(data: dict[str, dict[str, str]]) -> dict[int, dict[str, str]]:
    """Each prefix's English name (prefixes without one left out: the lookup goes on to a
    shorter prefix, as phonenumbers' does), grouped by the country calling code it starts with."""
    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    grouped: dict[int, dict[str, str]] = {}
    for prefix, names in data.items():
        if any(language.startswith(f"{LANGUAGE}_") for language in names):
            # phonenumbers would prefer such a name for some numbers; these tables cannot say it
            raise ValueError(f"prefix {prefix} has a regional English name: tables not made")
        if LANGUAGE not in names:
            continue
        code = next((int(prefix[:n]) for n in (1, 2, 3) if int(prefix[:n]) in codes), None)
        if code is None:
            raise ValueError(f"prefix {prefix} starts with no country calling code: tables not made")
        grouped.setdefault(code, {})[prefix] = names[LANGUAGE]
    return grouped


def _region_names(locale_data: dict[str, dict[str, str]]) -> dict[str, str]:
    names = {}
    for region, by_language in locale_data.items():
        name = by_language.get(LANGUAGE, "")
        if name.startswith("*"):  # "*xx": the name is the one held for language xx
            name = by_language.get(name[1:], "")
        names[region] = name
    return names


def _dump(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


class Tables:
    """A folder of tables, each country's loaded on first use."""

    def __init__(self, folder: Path, index: dict[str, Any]) -> None:
        self.folder = folder
        self.regions: dict[str, str] = index["regions"]
        self.longest: dict[str, int] = index["longest"]
        self._present = {kind: frozenset(index[kind]) for kind in KINDS}
        self._loaded: dict[tuple[str, int], dict[str, str]] = {}

    def names(self, kind: str, country_code: int) -> dict[str, str]:
        """Prefix -> English name for the numbers of one country calling code (``kind``: geo or
        carrier); empty when phonenumbers has none."""
        key = (kind, country_code)
        found = self._loaded.get(key)
        if found is None:
            found = {}
            if country_code in self._present[kind]:
                text = (self.folder / f"{kind}-{country_code}.json").read_text(encoding="utf-8")
                found = json.loads(text)
            self._loaded[key] = found
        return found


def open_tables(folder: Path) -> tuple[Tables | None, str]:
    """The tables in ``folder`` if they were made from the installed phonenumbers, else None and
    why not."""
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return None, f"no tables in {folder} ({type(error).__name__})"
    made_from = index.get("phonenumbers") if isinstance(index, dict) else None
    if made_from != phonenumbers.__version__ or index.get("format") != FORMAT:
        return None, (f"the tables in {folder} were made from phonenumbers {made_from}, "
                      f"this is {phonenumbers.__version__}")
    return Tables(folder, index), ""
