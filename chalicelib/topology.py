"""The one declaration of the service's resources and of which handler each event source feeds.

The local runtime provisions and drives exactly this; ``infra/`` synthesizes exactly this.
Names here are logical; ``Settings.name`` turns them into physical names. The bucket's key
layout (prefixes, keys) is ``chalicelib.keys``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import keys


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index; sparse: an item without ``hash_key`` stays out.

    ``keys_only``: the index holds the table's keys and its own, nothing else, so writes to the
    item's other attributes never write the index (readers get the items themselves).
    """

    name: str
    hash_key: str
    range_key: str | None = None
    range_key_numeric: bool = False
    keys_only: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table: its keys (all strings unless the range key is numeric)."""

    name: str
    hash_key: str
    range_key: str | None = None
    range_key_numeric: bool = False
    ttl_attribute: str | None = None
    local_indexes: tuple[tuple[str, str], ...] = ()  # (name, string range key), projection ALL
    global_indexes: tuple[IndexSpec, ...] = ()

    @property
    def index_names(self) -> tuple[str, ...]:
        """Every index of the table, local and global (a reader may query any of them)."""
        return tuple(name for name, _ in self.local_indexes) + tuple(i.name for i in self.global_indexes)


@dataclass(frozen=True)
class QueueSpec:
    """An SQS queue with its DLQ and the handler its messages feed (Lambda event source mapping)."""

    name: str
    handler: str  # attribute name of the Chalice entry point in app.py
    batch_size: int
    visibility_timeout: int  # seconds; on AWS >= 6 x the function timeout
    max_receive_count: int  # deliveries before a message moves to the DLQ
    function_timeout: int  # seconds; the handler's FunctionSpec.timeout
    maximum_concurrency: int = 10  # concurrent invocations the mapping may run (AWS: 2..1000)
    age_alarm_seconds: int = 3600  # alarm when the oldest message waited longer than this

    @property
    def dlq_name(self) -> str:
        """Logical name of this queue's dead-letter queue."""
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class NotificationSpec:
    """S3 object-created events under ``prefix`` go to ``queue``."""

    prefix: str
    queue: str


# announcing: the items whose status write marked an event (`announce`) not yet fanned out into
# webhook deliveries; the mark goes when it is, so the index holds only lost fan-outs (the tick
# sends them again) and those in flight.
ANNOUNCING = IndexSpec("announcing", hash_key="announce")
TENANTS = TableSpec("tenants", hash_key="tenant_id", global_indexes=(ANNOUNCING,))
API_KEYS = TableSpec("api-keys", hash_key="key_hash")
# attention: the batches the tick must look at (not yet finished), every tenant's; `attention`
# is set when a batch is created and removed when it finishes, so the index holds only open
# batches. Keys only: a settlement's counter updates never write it.
ATTENTION = IndexSpec("attention", hash_key="attention", range_key="batch_id", keys_only=True)
BATCHES = TableSpec("batches", hash_key="tenant_id", range_key="batch_id",
                    global_indexes=(ATTENTION, ANNOUNCING))
CHUNKS = TableSpec("chunks", hash_key="batch_id", range_key="chunk", range_key_numeric=True)
# by-time: a tenant's ledger newest first; `at` is "{created_at}#{entry_id}".
LEDGER = TableSpec("ledger", hash_key="tenant_id", range_key="entry_id",
                   local_indexes=(("by-time", "at"),))
MARKERS = TableSpec("markers", hash_key="marker", ttl_attribute="expires_at")
COLUMN_MAPS = TableSpec("column-maps", hash_key="tenant_id", range_key="fingerprint")
# A tenant's webhook endpoints ("we_…") and its default signing secret.
WEBHOOKS = TableSpec("webhooks", hash_key="tenant_id", range_key="webhook_id")
# One item per event and target, its attempts inside; by-batch: "{batch_id}#{created_at}#{id}"
# (events of no batch, credits.low, stay out). Kept webhook_log_days (TTL).
DELIVERIES = TableSpec("webhook-deliveries", hash_key="tenant_id", range_key="delivery_id",
                       ttl_attribute="expires_at", local_indexes=(("by-batch", "batch_at"),))
# One item per tenant vendor source: the next free slot of its rate limit, shared by every worker.
RATE_LIMITS = TableSpec("rate-limits", hash_key="bucket", ttl_attribute="expires_at")
# Vendor answers per tenant source and normalized lookup input (and claims of lookups under way),
# removed by the TTL once ``result_cache_days`` passed.
RESULT_CACHE = TableSpec("result-cache", hash_key="lookup", ttl_attribute="expires_at")
# A batch's steps (created, split, paused, resumed …) for GET /v1/batches/{id}/timeline.
TIMELINE = TableSpec("timeline", hash_key="batch_id", range_key="event_id")

INGEST = QueueSpec(
    "ingest", handler="split", batch_size=1, visibility_timeout=900,
    max_receive_count=5, function_timeout=120, maximum_concurrency=5, age_alarm_seconds=1800,
)
# Two queues feed the one work function, a batch's parts going to its mode's (``work_queue``):
# basic parts are CPU work, ~0.05-0.3 s each, worked one after another and settled together, so
# an invocation takes SQS's most a receive (10) and its fixed requests (the receive, the
# heartbeat, the batch and tenant reads, the finalize check, the stats counter, the delete) are
# shared by ten parts. Advanced parts wait on vendors and run ``work_parts_at_once`` side by side:
# four to an invocation spread a small batch over several invocations (Lambda's poller hands an
# invocation what one receive returns, so ten would put a batch of ten parts on one). The work
# function handles any part from either queue (a part's mode is its batch's), so a part on the
# other mode's queue (sent before a deploy) is worked all the same. Visibility is per message.
WORK = QueueSpec(
    "work", handler="work", batch_size=10, visibility_timeout=360,
    max_receive_count=5, function_timeout=60, maximum_concurrency=50,
)
ADVANCED_WORK = QueueSpec(
    "work-advanced", handler="work", batch_size=4, visibility_timeout=360,
    max_receive_count=5, function_timeout=60, maximum_concurrency=50,
)
WORK_QUEUES = (WORK, ADVANCED_WORK)


def work_queue(mode: str) -> QueueSpec:
    """The work queue of a batch of this mode (``Mode``'s value: "basic" or "advanced")."""
    return ADVANCED_WORK if mode == "advanced" else WORK


# finalize writes a batch's results in one invocation, or a big batch's in steps of at most
# ``finalize_step_rows`` each (services/finalize_steps.py): Lambda's longest (900 s). Its
# messages' visibility is 6x that, as Lambda advises; the heartbeat brings a dead one's back
# within seconds all the same.
FINALIZE = QueueSpec(
    "finalize", handler="finalize", batch_size=1, visibility_timeout=5400,
    max_receive_count=5, function_timeout=900, maximum_concurrency=5, age_alarm_seconds=1800,
)
# Scheduled batches; due: the active ones by next run (sparse: a paused schedule leaves it).
DUE = IndexSpec("due", hash_key="due", range_key="next_run_at", range_key_numeric=True, keys_only=True)
SCHEDULES_TABLE = TableSpec("schedules", hash_key="tenant_id", range_key="schedule_id",
                            global_indexes=(DUE,))
# Webhooks: an event to fan out into deliveries, or one attempt of one delivery (a retry comes
# back as a new message, delayed; one that is due later than SQS can delay comes back again).
DELIVER = QueueSpec(
    "deliver", handler="deliver", batch_size=5, visibility_timeout=360,
    max_receive_count=5, function_timeout=60, maximum_concurrency=10, age_alarm_seconds=1800,
)

@dataclass(frozen=True)
class ScheduleSpec:
    """An EventBridge schedule invoking a handler every ``rate_minutes``."""

    name: str
    handler: str
    rate_minutes: int


TICK = ScheduleSpec("tick", handler="tick", rate_minutes=1)
SCHEDULES: tuple[ScheduleSpec, ...] = (TICK,)

TABLES: tuple[TableSpec, ...] = (TENANTS, API_KEYS, BATCHES, CHUNKS, LEDGER, MARKERS, COLUMN_MAPS,
                                 RATE_LIMITS, RESULT_CACHE, TIMELINE, WEBHOOKS, DELIVERIES,
                                 SCHEDULES_TABLE)
QUEUES: tuple[QueueSpec, ...] = (INGEST, WORK, ADVANCED_WORK, FINALIZE, DELIVER)
# uploads/: a batch's input (API, presigned POST, a dropped file's copy); inbox/: the drop folder.
NOTIFICATIONS: tuple[NotificationSpec, ...] = (NotificationSpec(keys.UPLOADS_PREFIX, INGEST.name),
                                               NotificationSpec(keys.INBOX_PREFIX, INGEST.name))


@dataclass(frozen=True)
class ExpirySpec:
    """Objects under ``prefix`` expire after the number of days in setting ``days_setting``
    (0: kept for ever)."""

    prefix: str
    days_setting: str


# Working files (inputs, manifests, part objects) outlive their batch by work_retention_days
# (reprocess needs them); unclaimed anonymous uploads and results have settings of their own.
EXPIRIES: tuple[ExpirySpec, ...] = (
    ExpirySpec(keys.UPLOADS_PREFIX, "work_retention_days"),
    ExpirySpec(keys.WORK_PREFIX, "work_retention_days"),
    ExpirySpec(keys.PENDING_PREFIX, "unclaimed_upload_days"),
    ExpirySpec(keys.RESULTS_PREFIX, "results_retention_days"),
)


@dataclass(frozen=True)
class SecretSpec:
    """A Secrets Manager secret; its physical name reaches the functions in setting ``setting``."""

    name: str
    setting: str
    generated: bool  # the stack generates its value (else the deployer puts it)


ADMIN_KEY = SecretSpec("admin-api-key", setting="admin_api_key_secret", generated=True)
VENDOR_SECRETS = SecretSpec("vendor-secrets", setting="vendor_secrets_secret", generated=False)
SECRETS: tuple[SecretSpec, ...] = (ADMIN_KEY, VENDOR_SECRETS)


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function (Chalice's name for it) and everything it may touch: its IAM policy.

    ``reads``: GetItem, BatchGetItem, Query, Scan, ConditionCheckItem (indexes too); ``writes``:
    also PutItem, UpdateItem, DeleteItem, BatchWriteItem; ``sends``: SendMessage; the queues whose
    mapping feeds it (``QueueSpec.handler``) are consumed; prefixes are the data bucket's
    (``reads_objects`` also lists them). ``infra/permissions.py`` turns this into the function's
    IAM policy; tests/integration/test_access.py records every AWS call the handlers make and
    checks that the policy allows it: a new call to a new resource starts here.
    """

    name: str
    timeout: int
    memory: int
    reads: tuple[TableSpec, ...] = ()
    writes: tuple[TableSpec, ...] = ()
    sends: tuple[QueueSpec, ...] = ()
    dead_letters: tuple[QueueSpec, ...] = ()  # queues whose DLQ it reads and deletes from (re-drive)
    watches: tuple[QueueSpec, ...] = ()  # queues whose depth (and their DLQs') it reads (stats)
    reads_objects: tuple[str, ...] = ()
    writes_objects: tuple[str, ...] = ()
    secrets: tuple[SecretSpec, ...] = ()
    storage: int = 512  # MB of /tmp (Lambda's ephemeral storage: 512 to 10,240)


API = FunctionSpec(
    "api_handler", timeout=30, memory=1024,
    writes=(TENANTS, API_KEYS, BATCHES, CHUNKS, LEDGER, MARKERS, COLUMN_MAPS, TIMELINE, WEBHOOKS,
            DELIVERIES, SCHEDULES_TABLE),
    sends=(*WORK_QUEUES, FINALIZE, DELIVER), watches=QUEUES,
    reads_objects=(keys.UPLOADS_PREFIX, keys.PENDING_PREFIX, keys.WORK_PREFIX, keys.RESULTS_PREFIX,
                   keys.DATASETS_PREFIX),
    writes_objects=(keys.UPLOADS_PREFIX, keys.PENDING_PREFIX, keys.WORK_PREFIX, keys.DATASETS_PREFIX,
                    keys.OUTBOX_PREFIX),
    secrets=(ADMIN_KEY, VENDOR_SECRETS),
)
# A big file splits in steps: a step that runs short of time hands the rest over to the next
# invocation with a message to its own (ingest) queue (services/split_steps.py).
SPLIT = FunctionSpec(
    "split", timeout=INGEST.function_timeout, memory=1024,
    reads=(TENANTS, COLUMN_MAPS, WEBHOOKS), writes=(BATCHES, MARKERS, TIMELINE),
    sends=(*WORK_QUEUES, FINALIZE, INGEST, DELIVER),
    # work/: a deduplicating split's digests, kept with each checkpoint, read by the next step;
    # the drop folder: a dropped file is read, copied to uploads/, answered in outbox/
    reads_objects=(keys.UPLOADS_PREFIX, keys.WORK_PREFIX, keys.INBOX_PREFIX),
    writes_objects=(keys.WORK_PREFIX, keys.UPLOADS_PREFIX, keys.OUTBOX_PREFIX),
)
WORKER = FunctionSpec(
    "work", timeout=WORK.function_timeout, memory=1024,
    writes=(TENANTS, BATCHES, CHUNKS, LEDGER, MARKERS, RATE_LIMITS, RESULT_CACHE, TIMELINE),
    # the work queues: a part's rows its invocation had no time for go on as its next part
    sends=(*WORK_QUEUES, FINALIZE, DELIVER),
    reads_objects=(keys.WORK_PREFIX, keys.DATASETS_PREFIX),
    writes_objects=(keys.WORK_PREFIX, keys.OUTBOX_PREFIX), secrets=(VENDOR_SECRETS,),
)
# finalize writes the five results files to /tmp before it uploads them: ~1.5 KB a row of the
# generated leads file (plus results.csv's spool when its header is not known first), 1.5 GB at
# a million rows; 512 MB, Lambda's default, would end a batch of a few hundred thousand rows
# failed. A bigger batch goes in steps of finalize_step_rows (services/finalize_steps.py).
FINALIZER = FunctionSpec(  # 1,769 MB: one whole vCPU (finalize joins rendered text, CPU-bound)
    "finalize", timeout=FINALIZE.function_timeout, memory=1769, storage=10_240,
    reads=(CHUNKS,), writes=(BATCHES, MARKERS, TIMELINE), sends=(DELIVER, FINALIZE),
    # work/: a step's carry of bytes under S3's smallest part; finalize: the next step's message
    reads_objects=(keys.UPLOADS_PREFIX, keys.WORK_PREFIX),
    writes_objects=(keys.RESULTS_PREFIX, keys.WORK_PREFIX),
)
# The tick heals (services/healing.py): it re-drives every DLQ, gives up on what keeps failing
# (a given-up part is stored and settled at no cost: chunks and batches only) and sends split
# requests for files whose split was lost.
TICKER = FunctionSpec(
    "tick", timeout=60, memory=512,
    reads=(TENANTS, WEBHOOKS), writes=(BATCHES, CHUNKS, MARKERS, TIMELINE, SCHEDULES_TABLE),
    sends=(INGEST, *WORK_QUEUES, FINALIZE, DELIVER),
    dead_letters=(INGEST, *WORK_QUEUES, FINALIZE, DELIVER),
    # schedules: a due one's source file is copied to its batch's input
    reads_objects=(keys.UPLOADS_PREFIX, keys.WORK_PREFIX, keys.SOURCES_PREFIX),
    writes_objects=(keys.WORK_PREFIX, keys.UPLOADS_PREFIX),
)
# Webhooks: fans events out (reads the batch or tenant and its endpoints, removes the mark) and
# makes the attempts (logs them, sends the retries to its own queue); copies a dropped file's
# results and status to outbox/. No secret.
DELIVERER = FunctionSpec(
    "deliver", timeout=DELIVER.function_timeout, memory=256,
    reads=(WEBHOOKS,), writes=(TENANTS, BATCHES, DELIVERIES), sends=(DELIVER,),
    reads_objects=(keys.RESULTS_PREFIX,), writes_objects=(keys.OUTBOX_PREFIX,),  # drop folder
)
FUNCTIONS: tuple[FunctionSpec, ...] = (API, SPLIT, WORKER, FINALIZER, TICKER, DELIVERER)
