"""The drop folder: a CSV created under ``inbox/{tenant_id}/…/NAME.csv`` starts a batch.

Options come from a sidecar ``NAME.csv.json`` uploaded before the file, or else from the
object's user metadata (``x-amz-meta-<option>``, ``-`` for ``_``; JSON for ``metadata`` and
``column_map``); they pass the same checks as the API's (``BatchOptions``, the webhook target,
the minimum balance), and the file the same as a big API upload's (split reads it, with the
max_rows_per_file and upload_form_max_bytes limits). The file is copied inside S3 to the
batch's input key, whose event starts the split as for every other batch. Whatever stops a
drop (an unknown tenant, a bad sidecar, a file that is no CSV) writes ``NAME.status.json`` in
``outbox/`` saying why (``services/outbox.py``): nothing is silently dropped.

One batch per key and content: the batch id is claimed under a marker of the key and its
ETag, so a duplicate event finds it; the same key with new content is a new batch.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.errors import DomainError, NotFound
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import inbox_path, outbox_base
from chalicelib.observability import logger
from chalicelib.services.batches import new_batch_id, record_batch
from chalicelib.services.folders import SIDECAR_SUFFIX as SIDECAR
from chalicelib.services.outbox import note_status, write_refusal
from chalicelib.services.ports import Ports
from chalicelib.services.splitting import UploadedObject
from chalicelib.services.uploads import check_can_start

MARKER_TTL_SECONDS = 30 * 86400  # a duplicate event comes within minutes; a month is ample
MAX_SIDECAR_BYTES = 64 * 1024


def drop_in(ports: Ports, obj: UploadedObject) -> Batch | None:
    """Start the batch a dropped file asks for (once per key and content); None if it started none."""
    found = inbox_path(obj.key)
    if found is None or obj.key.endswith(".csv" + SIDECAR):
        return None  # not a tenant's file, or a sidecar (read with its CSV)
    tenant_id, path = found
    base = outbox_base(tenant_id, path)
    where = f"s3://{obj.bucket}/{obj.key}"
    if not path.lower().endswith(".csv"):
        write_refusal(ports, base, where, "Only files named *.csv start a batch; nothing was done.")
        return None
    if ports.accounts.get_tenant(tenant_id) is None:
        write_refusal(ports, base, where, f"No tenant {tenant_id!r}: the folder under inbox/ must "
                      "be your tenant id. Nothing was charged.")
        return None
    try:
        options = _options(ports, obj)
        batch = _start_once(ports, tenant_id, obj, path, base, options)
    except DomainError as error:
        write_refusal(ports, base, where, f"{error.message} Nothing was charged.")
        logger.info("drop refused", extra={"key": obj.key, "reason": error.message})
        return None
    return batch


def _options(ports: Ports, obj: UploadedObject) -> BatchOptions:
    """The sidecar's options, else the object's metadata's; a 422-like error says what is wrong."""
    sidecar = obj.key + SIDECAR
    source = "the sidecar " + sidecar.rsplit("/", 1)[-1]
    try:
        if ports.blobs.exists(sidecar):
            raw = ports.blobs.read(sidecar)
            if len(raw) > MAX_SIDECAR_BYTES:
                raise InvalidDrop(f"{source} has more than {MAX_SIDECAR_BYTES} bytes.")
            data: Any = json.loads(raw)
        else:
            source = "the object's metadata"
            meta = ports.blobs.head(obj.key, bucket=obj.bucket).get("Metadata", {})
            data = {name.replace("-", "_"): _value(value) for name, value in meta.items()}
        return BatchOptions.model_validate(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidDrop(f"The options in {source} are not valid: {_summary(exc)}") from exc


class InvalidDrop(DomainError):
    """A dropped file's options cannot be used."""

    status = 422
    code = "invalid_options"


def _value(text: str) -> Any:
    """A metadata value: JSON when it is an object or a list, else the text (pydantic converts)."""
    return json.loads(text) if text[:1] in "{[" else text


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                         for e in exc.errors(include_url=False))
    return str(exc)


def _start_once(ports: Ports, tenant_id: str, obj: UploadedObject, path: str, base: str,
                options: BatchOptions) -> Batch | None:
    """Claim the batch id of this key and content, record the batch and copy the file to its input."""
    content = hashlib.sha256(f"{obj.key}#{obj.etag.strip(chr(34))}".encode()).hexdigest()[:40]
    marker = f"drop#{tenant_id}#{content}"
    now = int(ports.clock.epoch())
    batch_id = new_batch_id(ports.clock.epoch())
    if not ports.markers.put_once(marker, {"batch_id": batch_id}, now + MARKER_TTL_SECONDS, now):
        first = ports.markers.get(marker)
        batch_id = str(first["batch_id"]) if first else batch_id
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is not None and batch.status is not BatchStatus.VALIDATING:
        logger.info("duplicate drop event", extra={"key": obj.key, "batch_id": batch_id})
        return None
    if batch is None:
        check_can_start(ports, tenant_id)
        name = path.rsplit("/", 1)[-1]
        batch = record_batch(ports, tenant_id, name, options, batch_id=batch_id, origin="drop",
                             outbox=base)
    try:
        ports.blobs.copy(obj.key, batch.input_key, bucket=obj.bucket)
    except NotFound:
        logger.warning("dropped file gone before it was copied", extra={"key": obj.key})
        raise
    note_status(ports, batch)
    logger.info("dropped file started a batch", extra={"key": obj.key, "batch_id": batch.batch_id})
    return batch
