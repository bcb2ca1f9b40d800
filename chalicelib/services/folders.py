"""The tenant's folders in the bucket, for the doors that are not the API: the drop folder
(``inbox/``), its answers (``outbox/``) and the files schedules read (``sources/``)."""

from __future__ import annotations

from typing import Any

from chalicelib.keys import inbox_folder, outbox_base, source_key
from chalicelib.services.ports import Ports

SIDECAR_SUFFIX = ".json"  # NAME.csv.json: the options of NAME.csv (services/dropfolder.py)


def tenant_folders(ports: Ports, tenant_id: str) -> dict[str, Any]:
    """Where the tenant drops files, finds their answers and keeps its schedules' files, as
    ``s3://`` folders, and the limits of a dropped file."""
    bucket = f"s3://{ports.settings.bucket}/"
    return {"bucket": ports.settings.bucket, "inbox": bucket + inbox_folder(tenant_id),
            "outbox": bucket + outbox_base(tenant_id, ""), "sources": bucket + source_key(tenant_id, ""),
            "sidecar_suffix": SIDECAR_SUFFIX, "max_rows_per_file": ports.settings.max_rows_per_file,
            "max_file_bytes": ports.settings.upload_form_max_bytes}
