"""Scheduled batches: when a schedule is next due (croniter in its time zone, or a rate) and its bodies.

A schedule is due at ``next_run_at`` (epoch seconds). After a run, the next due time is the
first one strictly after *now*, not after the slot that ran: a schedule whose tick was down for
a day runs once when the tick is back, not once per missed slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.options import BatchOptions

MAX_RUNS_KEPT = 10  # the last runs a schedule shows
MAX_RATE_MINUTES = 366 * 24 * 60
_ALIASES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})


def next_due(cron: str | None, timezone: str, rate_minutes: int | None, after: float) -> int:
    """The first due time strictly after ``after`` (epoch seconds), for a cron or a rate."""
    if rate_minutes is not None:
        return int(after // 60 * 60) + rate_minutes * 60
    assert cron is not None
    from croniter import croniter  # on first use: every function's cold start imports this module

    start = datetime.fromtimestamp(after, ZoneInfo(timezone))
    return int(croniter(cron, start).get_next(datetime).timestamp())


def _check_timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)") from exc
    return name


def _check_path(path: str | None) -> str | None:
    """A path below the tenant's sources/ folder: no empty, ``.`` or ``..`` segment."""
    if path is not None and any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError("a path below your sources/ folder, such as crm/leads.csv (no empty, '.' "
                         "or '..' segment)")
    return path


def _check_cron(expression: str | None) -> str | None:
    if expression is None:
        return None
    from croniter import CroniterBadCronError, CroniterBadDateError, croniter  # on first use

    fields = expression.split()
    if not (len(fields) == 5 or (len(fields) == 1 and fields[0] in _ALIASES)) or \
            not croniter.is_valid(expression):
        raise ValueError("not a cron expression of 5 fields (minute hour day month weekday)")
    try:  # a day that never comes (30 February) is valid syntax but never due
        croniter(expression, datetime(2026, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterBadDateError, CroniterBadCronError) as exc:
        raise ValueError("this cron expression is never due (a day no month has?)") from exc
    return expression


class ScheduleCreate(LazyModel):
    """``POST /v1/schedules``: a cron (in a time zone) or a rate, a source file, batch options."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    cron: str | None = Field(default=None, max_length=100)
    timezone: str = Field(default="UTC", max_length=64)
    rate_minutes: int | None = Field(default=None, ge=1, le=MAX_RATE_MINUTES)
    source_key: str = Field(min_length=1, max_length=900, pattern=r"^[^/][^\x00-\x1f]*$")
    options: BatchOptions = Field(default_factory=BatchOptions)
    paused: bool = False

    _cron = field_validator("cron")(_check_cron)
    _timezone = field_validator("timezone")(_check_timezone)
    _path = field_validator("source_key")(_check_path)

    @model_validator(mode="after")
    def _one_timing(self) -> ScheduleCreate:
        if (self.cron is None) == (self.rate_minutes is None):
            raise ValueError("give either cron or rate_minutes")
        return self


class SchedulePatch(LazyModel):
    """``PATCH /v1/schedules/{id}``: any create field; a ``cron`` replaces a rate and the other
    way round. The whole schedule is checked again once the change is applied."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    cron: str | None = Field(default=None, max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    rate_minutes: int | None = Field(default=None, ge=1, le=MAX_RATE_MINUTES)
    source_key: str | None = Field(default=None, min_length=1, max_length=900,
                                   pattern=r"^[^/][^\x00-\x1f]*$")
    options: BatchOptions | None = None
    paused: bool | None = None

    _cron = field_validator("cron")(_check_cron)
    _timezone = field_validator("timezone")(_check_timezone)
    _path = field_validator("source_key")(_check_path)

    def changes(self) -> dict[str, Any]:
        """The fields the body set (``null`` for cron or rate_minutes clears that timing)."""
        return self.model_dump(exclude_unset=True, exclude={"options"}) | (
            {"options": self.options.model_dump(exclude_defaults=True)}
            if "options" in self.model_fields_set and self.options is not None else {})


@dataclass(frozen=True)
class Run:
    """One run of a schedule: the due time it was for, the batch it started or why it did not."""

    due_at: int
    at: str
    batch_id: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The run as the API shows it."""
        return {"due_at": iso(self.due_at), "at": self.at, "batch_id": self.batch_id, "error": self.error}


@dataclass(frozen=True)
class Schedule:
    """A tenant's schedule as stored."""

    tenant_id: str
    schedule_id: str
    name: str
    source_key: str  # below the tenant's sources/ folder
    options: dict[str, Any]
    next_run_at: int
    created_at: str
    updated_at: str
    cron: str | None = None
    timezone: str = "UTC"
    rate_minutes: int | None = None
    paused: bool = False
    runs: tuple[Run, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The schedule as the API shows it: its next run and its last runs, newest first."""
        return {"schedule_id": self.schedule_id, "name": self.name, "cron": self.cron,
                "timezone": self.timezone, "rate_minutes": self.rate_minutes,
                "source_key": self.source_key, "options": self.options, "paused": self.paused,
                "next_run_at": None if self.paused else iso(self.next_run_at),
                "last_runs": [r.to_json() for r in self.runs], "created_at": self.created_at,
                "updated_at": self.updated_at}


def iso(epoch: int) -> str:
    """An epoch second as the API writes times."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")
