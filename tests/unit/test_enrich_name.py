"""NameEnricher on names from several countries: exact parts, statuses and the billed ``matched``."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.name import NameEnricher


def enrich(**record: str) -> EnricherResult:
    return NameEnricher().enrich(record)


def parts(full_name: str, first: str | None, last: str | None, *, title: str | None = None,
          middle: str | None = None, suffix: str | None = None,
          nickname: str | None = None) -> dict[str, Any]:
    return {"valid": True, "full_name": full_name, "title": title, "first": first,
            "middle": middle, "last": last, "suffix": suffix, "nickname": nickname}


def test_spanish_name_with_title_particles_and_suffix() -> None:
    result = enrich(full_name="Dr. Juan Carlos de la Vega Jr.")

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=True,
        # "de la" belongs to the surname; the envelope line drops the title.
        outputs=parts("Juan Carlos de la Vega Jr.", "Juan", "de la Vega", title="Dr.",
                      middle="Carlos", suffix="Jr."),
    )


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        # "Last, First" with the German habit of writing the surname in capitals.
        ("MÜLLER, Hans", parts("Hans Müller", "Hans", "Müller")),
        ("Siobhán O'Brien", parts("Siobhán O'Brien", "Siobhán", "O'Brien")),
        ("van der Berg, Anna Maria", parts("Anna Maria van der Berg", "Anna", "van der Berg",
                                           middle="Maria")),
        ("Prof. Dr. Klaus-Dieter Schmidt", parts("Klaus-Dieter Schmidt", "Klaus-Dieter", "Schmidt",
                                                 title="Prof. Dr.")),
        ('Robert "Bob" Smith', parts("Robert Smith", "Robert", "Smith", nickname="Bob")),
        ("Sir Patrick Stewart OBE", parts("Patrick Stewart OBE", "Patrick", "Stewart", title="Sir",
                                          suffix="OBE")),
    ],
)
def test_full_names_are_split_into_parts(full_name: str, expected: dict[str, Any]) -> None:
    assert enrich(full_name=full_name).outputs == expected


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("JOHN MACDONALD III", parts("John MacDonald III", "John", "MacDonald", suffix="III")),
        ("siobhán o'brien", parts("Siobhán O'Brien", "Siobhán", "O'Brien")),
        ("Jean DUPONT", parts("Jean Dupont", "Jean", "Dupont")),
    ],
)
def test_shouted_or_lower_case_parts_are_re_cased(full_name: str, expected: dict[str, Any]) -> None:
    assert enrich(full_name=full_name).outputs == expected


def test_deliberate_mixed_case_is_kept() -> None:
    assert enrich(full_name="DeShawn McKenzie").outputs == parts("DeShawn McKenzie", "DeShawn",
                                                                  "McKenzie")


def test_first_and_last_name_columns_are_joined_into_a_full_name() -> None:
    result = enrich(first_name="JEAN-LUC", last_name="picard")

    assert (result.matched, result.outputs) == (True, parts("Jean-Luc Picard", "Jean-Luc", "Picard"))


def test_last_name_column_fills_in_what_the_full_name_lacks() -> None:
    result = enrich(full_name="Cher", last_name="Sarkisian")

    assert (result.matched, result.outputs["full_name"]) == (True, "Cher Sarkisian")


@pytest.mark.parametrize(
    ("record", "full_name", "first", "last"),
    [
        ({"full_name": "山田 太郎"}, "山田太郎", "太郎", "山田"),
        ({"first_name": "민준", "last_name": "김"}, "김민준", "민준", "김"),
    ],
)
def test_east_asian_names_are_written_family_name_first(
    record: dict[str, str], full_name: str, first: str, last: str
) -> None:
    outputs = NameEnricher().enrich(record).outputs

    assert (outputs["full_name"], outputs["first"], outputs["last"]) == (full_name, first, last)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"full_name": "Cher"}, parts("Cher", "Cher", None)),
        ({"first_name": "Anna"}, parts("Anna", "Anna", None)),
        ({"full_name": "Mr. & Mrs. Smith"}, parts("Smith", None, "Smith", title="Mr. & Mrs.")),
    ],
)
def test_a_name_without_both_first_and_last_runs_but_is_not_billed(
    record: dict[str, str], expected: dict[str, Any]
) -> None:
    assert NameEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN, matched=False, outputs=expected
    )


@pytest.mark.parametrize("full_name", ["12345", "jane.doe@example.com", "N/A", "unknown", "-", "?!"])
def test_values_that_are_not_names_are_reported_not_parsed(full_name: str) -> None:
    assert enrich(full_name=full_name) == EnricherResult(
        status=AttributeStatus.RUN, matched=False,
        outputs={"valid": False, "reason": "not a person's name"},
    )


@pytest.mark.parametrize("record", [{}, {"full_name": "  "}, {"email": "jane@example.com"}])
def test_missing_name_fails_the_run_condition(record: dict[str, str]) -> None:
    assert NameEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN_CONDITION_FAILED
    )


def test_enricher_is_named_for_its_output_namespace() -> None:
    assert NameEnricher.name == "name"
