"""Where the phone enricher's English names come from: packaged tables, the local cache, or
phonenumbers' own data (said once in the log), and the enricher's answers are the same from each."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest

from chalicelib.domain.enrich.phone import LIBRARY_NAMES, PhoneEnricher
from chalicelib.domain.enrich.phone_names import TableNames
from chalicelib.local.datagen import realistic_rows
from chalicelib.services import phone_data
from chalicelib.services.phone_data import cached_tables, phone_names

_ABSENT = Path("/nonexistent/phonedata")  # no packaged tables: a source tree, the local runtime


@pytest.fixture(autouse=True)
def _forgotten() -> Iterator[None]:
    phone_names.cache_clear()
    yield
    phone_names.cache_clear()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder in which a first process made the tables (made once for the module)."""
    folder = tmp_path_factory.mktemp("cache")
    phone_names.cache_clear()
    assert isinstance(phone_names(str(folder), _ABSENT), TableNames)
    return folder


def _warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    return [line["message"] for line in lines if line["level"] == "WARNING"]


def test_a_local_process_makes_the_tables_once_and_reads_them_after(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a cache folder in which a first process asked for the names (the fixture),
    # THEN the tables of this phonenumbers were made there
    assert cached_tables(str(cache)) == cache / f"phonedata-{phonenumbers.__version__}"
    assert (cached_tables(str(cache)) / "index.json").exists()

    # AND a later process reads them without making them again
    def never(target: Path) -> Path:
        raise AssertionError("made again")

    monkeypatch.setattr(phone_data, "write_tables", never)
    later = phone_names(str(cache), _ABSENT)
    assert isinstance(later, TableNames) and later.folder == cached_tables(str(cache))


def test_packaged_tables_of_another_phonenumbers_leave_its_own_data_and_say_so_once(
        cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a package whose tables were made from another phonenumbers version
    packaged = shutil.copytree(cached_tables(str(cache)), tmp_path / "phonedata")
    index = packaged / "index.json"
    index.write_text(index.read_text().replace(phonenumbers.__version__, "0.0.1"))
    capsys.readouterr()
    # WHEN the work function asks for its names twice (two chunks)
    names = [phone_names(str(tmp_path / "cache"), packaged) for _ in range(2)]
    # THEN phonenumbers' own data answers, and one line says why (and nothing is cached)
    assert names == [LIBRARY_NAMES, LIBRARY_NAMES]
    [line] = _warnings(capsys)
    assert "phonenumbers 0.0.1" in line and phonenumbers.__version__ in line
    assert not (tmp_path / "cache").exists()


def test_a_cache_that_cannot_be_written_leaves_phonenumbers_own_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert phone_names(str(blocked), _ABSENT) is LIBRARY_NAMES
    [line] = _warnings(capsys)
    assert "could not be made" in line


def test_the_enricher_answers_the_same_from_the_tables_as_from_phonenumbers(cache: Path) -> None:
    # GIVEN the enricher with the tables and with phonenumbers' own data
    tables = phone_names(str(cache), _ABSENT)
    assert isinstance(tables, TableNames)
    with_tables, with_library = PhoneEnricher("US", tables), PhoneEnricher("US", LIBRARY_NAMES)
    # WHEN a realistic file's numbers (and some from elsewhere) are enriched, THEN every answer
    # is the same, outputs and all
    phones = [{"phone": row[4], "country": row[6]} for row in realistic_rows(2_000)]
    phones += [{"phone": p} for p in ("+44 20 7946 0958", "+49 30 901820", "+54 9 11 2345 6789",
                                      "+86 138 0013 8000", "+61 2 9374 4000", "+1 800 555 0100")]
    differ = [p for p in phones if with_tables.enrich(p) != with_library.enrich(p)]
    assert differ == []
    assert sum(bool(with_tables.enrich(p).outputs.get("region")) for p in phones) > 500
