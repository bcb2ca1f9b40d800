"""The data bucket's key layout: every prefix and every object key the service uses, in one place.

A new kind of object gets its prefix here (listed in ``PREFIXES``) and a function that builds
its key; services and the local runtime never spell a key themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.domain.models import Batch

UPLOADS_PREFIX = "uploads/"  # API uploads; their S3 events start the split (topology.NOTIFICATIONS)
PENDING_PREFIX = "pending/"  # anonymous uploads waiting to be claimed (no S3 event wanted)
WORK_PREFIX = "work/"  # split's manifest and the workers' part objects
RESULTS_PREFIX = "results/"  # finalize's five files
DATASETS_PREFIX = "datasets/"  # tenants' reference datasets
INBOX_PREFIX = "inbox/"  # the drop folder: files dropped in (issue 15)
OUTBOX_PREFIX = "outbox/"  # the drop folder: results delivered back (issue 15)
SOURCES_PREFIX = "sources/"  # files schedules read at each run (no S3 event)
PREFIXES = (UPLOADS_PREFIX, PENDING_PREFIX, WORK_PREFIX, RESULTS_PREFIX, DATASETS_PREFIX,
            INBOX_PREFIX, OUTBOX_PREFIX, SOURCES_PREFIX)


def input_key(tenant_id: str, batch_id: str) -> str:
    """Where a batch's input file is uploaded; its S3 event starts the split."""
    return f"{UPLOADS_PREFIX}{tenant_id}/{batch_id}/input.csv"


def upload_ids(key: str) -> tuple[str, str] | None:
    """The (tenant_id, batch_id) of an input key, or None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or not key.startswith(UPLOADS_PREFIX):
        return None
    return parts[1], parts[2]


def pending_key(batch_id: str) -> str:
    """Where an anonymous upload waits until a tenant claims it."""
    return f"{PENDING_PREFIX}{batch_id}/input.csv"


def manifest_key(batch_id: str) -> str:
    """Where split records the file's header and resolved column map."""
    return f"{WORK_PREFIX}{batch_id}/manifest.json"


def seen_prefix(batch_id: str) -> str:
    """The prefix of a deduplicating split's record digests, one object per ten chunks."""
    return f"{WORK_PREFIX}{batch_id}/split/seen-"


def seen_key(batch_id: str, chunk: int) -> str:
    """Where split keeps the digests of the records first seen in the ten chunks from ``chunk``."""
    return f"{seen_prefix(batch_id)}{chunk:09d}.bin"


def seen_chunk(key: str) -> int:
    """The first chunk of a digests object (``seen_key``'s inverse)."""
    return int(key.rsplit("-", 1)[1].removesuffix(".bin"))


def carry_key(batch_id: str, step: int, name: str) -> str:
    """Where a finalize step keeps a results file's bytes not sent yet (under S3's smallest part)."""
    return f"{WORK_PREFIX}{batch_id}/final/{step:05d}-{name}"


def parts_prefix(batch_id: str) -> str:
    """The prefix of every part object of a batch."""
    return f"{WORK_PREFIX}{batch_id}/chunks/"


def part_key(batch_id: str, chunk: int, part: int, attempt: str) -> str:
    """Where one attempt stores one part's rows; only the winning attempt's key is recorded."""
    return f"{parts_prefix(batch_id)}{chunk:06d}/p{part:03d}-{attempt}.jsonl"


def together_key(batch_id: str, name: str) -> str:
    """Where the parts an invocation settles in one transaction are stored, one after another."""
    return f"{parts_prefix(batch_id)}together/{name}.jsonl"


def results_key(batch: Batch, name: str) -> str:
    """Where a batch's results file of that name lives."""
    return f"{RESULTS_PREFIX}{batch.tenant_id}/{batch.batch_id}/{name}"


def datasets_prefix(tenant_id: str) -> str:
    """The prefix of every reference dataset of a tenant."""
    return f"{DATASETS_PREFIX}{tenant_id}/"


def dataset_key(tenant_id: str, dataset_id: str) -> str:
    """Where a dataset's index is stored."""
    return f"{datasets_prefix(tenant_id)}{dataset_id}.json"


def inbox_path(key: str) -> tuple[str, str] | None:
    """The (tenant_id, path below the tenant's folder) of a drop-folder key, or None."""
    parts = key.split("/", 2)
    if len(parts) != 3 or f"{parts[0]}/" != INBOX_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def inbox_folder(tenant_id: str) -> str:
    """The tenant's drop folder: a CSV created below it starts a batch."""
    return f"{INBOX_PREFIX}{tenant_id}/"


def outbox_base(tenant_id: str, path: str) -> str:
    """Where a dropped file's answers go, without their suffix: ``outbox/{tenant}/…/NAME``
    (``NAME.status.json``, ``NAME.enriched.csv``, ``NAME.credits.csv``, ``NAME.errors.csv``)."""
    stem = path[:-4] if path.lower().endswith(".csv") else path
    return f"{OUTBOX_PREFIX}{tenant_id}/{stem}"


def source_key(tenant_id: str, path: str) -> str:
    """The file a tenant's schedule reads: ``path`` below its own ``sources/`` folder."""
    return f"{SOURCES_PREFIX}{tenant_id}/{path}"
