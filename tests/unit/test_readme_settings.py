"""The README lists every setting a user may set (issue 11): a new setting without a line there fails."""

from __future__ import annotations

from pathlib import Path

from chalicelib.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    names = [f"BATCH_ENRICH_{name.upper()}" for name, info in Settings.model_fields.items()
             if info.validation_alias is None]

    missing = [name for name in names if name not in README]

    assert missing == [], f"add these to README's Settings table: {missing}"
    assert "BATCH_ENRICH_SECRET_<NAME>" in README and "AWS_DEFAULT_REGION" in README
