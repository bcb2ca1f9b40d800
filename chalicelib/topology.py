"""The one declaration of the service's resources and of which handler each event source feeds.

The local runtime provisions and drives exactly this; ``infra/`` synthesizes exactly this.
Names here are logical; ``Settings.name`` turns them into physical names. The bucket's key
layout (prefixes, keys) is ``chalicelib.keys``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import keys


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table: its keys (all strings unless the range key is numeric)."""

    name: str
    hash_key: str
    range_key: str | None = None
    range_key_numeric: bool = False
    ttl_attribute: str | None = None
    local_indexes: tuple[tuple[str, str], ...] = ()  # (name, string range key), projection ALL


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its DLQ and the handler its messages feed (Lambda event source mapping)."""

    name: str
    handler: str  # attribute name of the Chalice entry point in app.py
    batch_size: int
    visibility_timeout: int  # seconds; on AWS >= 6 x the function timeout
    max_receive_count: int  # deliveries before a message moves to the DLQ
    function_timeout: int  # seconds

    @property
    def dlq_name(self) -> str:
        """Logical name of this queue's dead-letter queue."""
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class NotificationSpec:
    """S3 object-created events under ``prefix`` go to ``queue``."""

    prefix: str
    queue: str


TENANTS = TableSpec("tenants", hash_key="tenant_id")
API_KEYS = TableSpec("api-keys", hash_key="key_hash")
BATCHES = TableSpec("batches", hash_key="tenant_id", range_key="batch_id")
CHUNKS = TableSpec("chunks", hash_key="batch_id", range_key="chunk", range_key_numeric=True)
# by-time: a tenant's ledger newest first; `at` is "{created_at}#{entry_id}".
LEDGER = TableSpec("ledger", hash_key="tenant_id", range_key="entry_id",
                   local_indexes=(("by-time", "at"),))
MARKERS = TableSpec("markers", hash_key="marker", ttl_attribute="expires_at")
COLUMN_MAPS = TableSpec("column-maps", hash_key="tenant_id", range_key="fingerprint")

INGEST = QueueSpec(
    "ingest", handler="split", batch_size=1, visibility_timeout=900,
    max_receive_count=5, function_timeout=120,
)
WORK = QueueSpec(
    "work", handler="work", batch_size=4, visibility_timeout=360,
    max_receive_count=5, function_timeout=60,
)
FINALIZE = QueueSpec(
    "finalize", handler="finalize", batch_size=1, visibility_timeout=900,
    max_receive_count=5, function_timeout=300,
)

@dataclass(frozen=True)
class ScheduleSpec:
    """An EventBridge schedule invoking a handler every ``rate_minutes``."""

    name: str
    handler: str
    rate_minutes: int


TICK = ScheduleSpec("tick", handler="tick", rate_minutes=1)
SCHEDULES: tuple[ScheduleSpec, ...] = (TICK,)

TABLES: tuple[TableSpec, ...] = (TENANTS, API_KEYS, BATCHES, CHUNKS, LEDGER, MARKERS, COLUMN_MAPS)
QUEUES: tuple[QueueSpec, ...] = (INGEST, WORK, FINALIZE)
NOTIFICATIONS: tuple[NotificationSpec, ...] = (NotificationSpec(keys.UPLOADS_PREFIX, INGEST.name),)
