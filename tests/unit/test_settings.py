"""Settings come from ``BATCH_ENRICH_*`` variables (any case), typed; what a caller passes wins."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.settings import Settings


def test_variables_are_read_typed_and_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an operator's variables, as strings, one of them written in lower case
    monkeypatch.setenv("BATCH_ENRICH_CHUNK_ROWS", "250")
    monkeypatch.setenv("BATCH_ENRICH_PARTIAL_BATCH_RESPONSES", "true")
    monkeypatch.setenv("batch_enrich_split_reserve_seconds", "12.5")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # WHEN the settings are read
    settings = Settings()
    # THEN each has its type, the region its AWS variable, the rest their defaults
    assert (settings.chunk_rows, settings.partial_batch_responses) == (250, True)
    assert (settings.split_reserve_seconds, settings.region) == (12.5, "eu-west-1")
    assert settings.advanced_chunk_rows == 100


def test_what_is_passed_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_ENRICH_RESOURCE_PREFIX", "from-env")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings = Settings(resource_prefix="given", region="us-west-2")
    assert (settings.resource_prefix, settings.region) == ("given", "us-west-2")


def test_a_bad_value_names_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_ENRICH_MAX_ROWS_PER_FILE", "0")
    with pytest.raises(ValidationError, match="max_rows_per_file"):
        Settings()
    monkeypatch.setenv("BATCH_ENRICH_MAX_ROWS_PER_FILE", "12")
    with pytest.raises(ValidationError, match="log_format"):
        Settings(log_format="xml")  # type: ignore[arg-type]


def test_an_unknown_keyword_is_refused() -> None:
    with pytest.raises(ValidationError, match="chunk_row"):
        Settings(chunk_row=5)  # type: ignore[call-arg]
