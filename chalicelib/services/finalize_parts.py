"""A finalize step's shares of the results files sent as parts of their multipart uploads.

Each file's share (behind what the step before carried) goes as part ``n`` of its upload, side by
side; a share under S3's smallest part is carried instead (stored under ``work/``, keyed by the
step), unless the step is the last: it sends whatever it has and completes the uploads.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.models import Batch
from chalicelib.keys import carry_key, results_key
from chalicelib.observability import logger
from chalicelib.ports import blobs as blobs_port
from chalicelib.ports.blobs import UploadGone
from chalicelib.services.finalize_files import PARTED
from chalicelib.services.ports import Ports


def send_shares(ports: Ports, batch: Batch, at: FinalizeCheckpoint, folder: Path, last: bool) -> list[str]:
    """Send each file's share (behind what earlier steps carried) as part ``at.step``, or carry it
    while it is under S3's smallest part and this is not the last step; the files carried."""

    def one(name: str) -> bool:
        share = folder / name
        if name in at.carried:
            share = _behind(ports.blobs.read(carry_key(batch.batch_id, at.step - 1, name)), share)
        size = share.stat().st_size
        if not size and not last:
            return False  # nothing to send, nothing to carry
        if last:
            _last_part(ports, results_key(batch, name), at.uploads[name], at.step, share, size)
            return False
        if size >= blobs_port.MIN_PART_BYTES:
            ports.blobs.upload_part(results_key(batch, name), at.uploads[name], at.step, share)
            return False
        ports.blobs.upload_file(carry_key(batch.batch_id, at.step, name), share,
                                "application/octet-stream")
        return True

    names = [name for name, _ in PARTED]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:  # the files side by side
        kept = list(pool.map(one, names))
    return [name for name, carried in zip(names, kept, strict=True) if carried]


def _behind(carry: bytes, share: Path) -> Path:
    """A file of the carried bytes followed by ``share``."""
    joined = share.with_suffix(share.suffix + ".joined")
    with joined.open("wb") as out, share.open("rb") as rest:
        out.write(carry)
        shutil.copyfileobj(rest, out, 1 << 20)
    return joined


def _last_part(ports: Ports, key: str, upload: str, step: int, share: Path, size: int) -> None:
    """Send a file's last part (if it has one) and complete its upload; a file another finalize
    (or this step before it died) completed already is left as it is."""
    try:
        if size:
            ports.blobs.upload_part(key, upload, step, share)
        ports.blobs.finish_upload(key, upload)
    except UploadGone:
        if not ports.blobs.exists(key):
            raise


def upload_gone(ports: Ports, batch: Batch, at: FinalizeCheckpoint) -> None:
    """An upload was gone before the last step: another finalize is ahead (it went on, or finished
    the batch); anything else is an error (the message is retried)."""
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    standing = None if fresh is None else fresh.finalize_checkpoint
    if fresh is None or fresh.finished_at or (standing is not None and standing.step != at.step):
        logger.info("another finalize is ahead", extra={"batch_id": batch.batch_id})
        return
    raise RuntimeError(f"the results uploads of {batch.batch_id} are gone at step {at.step}")
