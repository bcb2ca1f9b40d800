"""The ingest queue's objects: a dropped file starts its batch; a batch's input is split."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.keys import INBOX_PREFIX
from chalicelib.services.dropfolder import drop_in
from chalicelib.services.ports import Ports
from chalicelib.services.splitting import UploadedObject, split_upload


def ingest(ports: Ports, obj: UploadedObject, only: frozenset[int] | None = None,
           seconds_left: Callable[[], float] | None = None, start: SplitCheckpoint | None = None) -> None:
    """One created object of an S3 event (or a split's next step, or the tick's request to split
    again): a dropped file starts its batch; a batch's input is split (``split_upload``)."""
    if obj.key.startswith(INBOX_PREFIX):
        drop_in(ports, obj)
    else:
        split_upload(ports, obj, only, seconds_left, start)
