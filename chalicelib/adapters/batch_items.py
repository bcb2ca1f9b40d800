"""How a Batch and a chunk's settlement record are stored as DynamoDB items."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from chalicelib.adapters.dynamo import from_dynamo, to_dynamo
from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.domain.models import Batch, BatchCounts, BatchStatus, ChunkState, Mode, PartRecord

_COUNTERS = ("completed", "not_found", "failed", "skipped", "parked")  # n_<status> attributes
_JSON_ATTRIBUTES = ("metadata", "column_map", "fields")
ATTENTION_OPEN = "open"  # `attention` while a batch is open (topology.ATTENTION)


def batch_to_item(batch: Batch) -> dict[str, Any]:
    """A Batch as a DynamoDB item (counters flattened to ``n_*``, ``f_*`` and ``l_*`` attributes)."""
    item = {
        "tenant_id": batch.tenant_id, "batch_id": batch.batch_id, "name": batch.name,
        "name_lc": batch.name.lower(),
        "status": batch.status.value, "mode": batch.mode.value, "entity_type": batch.entity_type,
        "price": batch.price, "created_at": batch.created_at, "updated_at": batch.updated_at,
        "input_key": batch.input_key,
        **{name: stored(name, getattr(batch, name)) for name in _JSON_ATTRIBUTES},
        "has_header": batch.has_header, "skip_rows": batch.skip_rows,
        "row_limit": batch.row_limit, "dedupe": batch.dedupe,
        "default_country": batch.default_country, "platform": batch.platform,
        "auto_resume": batch.auto_resume,
        "escape_formulas": batch.escape_formulas,
        "max_credits": batch.max_credits, "max_failed_percent": _number(batch.max_failed_percent),
        "total_rows": batch.total_rows,
        "chunks_total": batch.chunks_total, "chunks_done": batch.chunks_done,
        "credits_spent": batch.credits_spent, "parked_cost": batch.parked_cost,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at, "message": batch.message,
        "failure": batch.failure, "split_sent": batch.split_sent, "dispatch_at": batch.dispatch_at,
        "heals": batch.heals, "healed_at": batch.healed_at, "finalizing_at": batch.finalizing_at,
        # the attention index holds a batch from its creation until it finishes
        "attention": ATTENTION_OPEN if batch.finished_at is None else None,
        "refresh_after": batch.refresh_after,
        "request_id": batch.request_id, "origin": batch.origin,
        "split_checkpoint": checkpoint_text(batch.split_checkpoint),
        "webhook_id": batch.webhook_id, "webhook_url": batch.webhook_url, "announce": batch.announce,
        "upload_expires_at": batch.upload_expires_at, "outbox": batch.outbox,
    }
    item.update({f"n_{name}": getattr(batch.counts, name) for name in _COUNTERS})
    item.update({f"f_{name}": count for name, count in batch.found.items()})
    item.update({f"l_{how}": count for how, count in batch.lookups.items()})
    return to_dynamo(item)


def batch_from_item(raw: dict[str, Any]) -> Batch:
    """A DynamoDB item as a Batch."""
    item = from_dynamo(raw)
    return Batch(
        tenant_id=item["tenant_id"], batch_id=item["batch_id"], name=item["name"],
        status=BatchStatus(item["status"]), mode=Mode(item["mode"]), entity_type=item["entity_type"],
        price=item["price"], created_at=item["created_at"], updated_at=item["updated_at"],
        input_key=item["input_key"], metadata=json.loads(item.get("metadata", "{}")),
        column_map=json.loads(item.get("column_map", "{}")),
        fields=json.loads(item["fields"]) if "fields" in item else None,
        has_header=item.get("has_header", True), skip_rows=item.get("skip_rows", 0),
        row_limit=item.get("row_limit"),
        dedupe=item.get("dedupe", False), default_country=item.get("default_country"),
        platform=item.get("platform"),
        auto_resume=item.get("auto_resume", True), escape_formulas=item.get("escape_formulas", True),
        max_credits=item.get("max_credits"), max_failed_percent=_float(item.get("max_failed_percent")),
        total_rows=item.get("total_rows"),
        chunks_total=item.get("chunks_total"), chunks_done=item.get("chunks_done", 0),
        credits_spent=item.get("credits_spent", 0), parked_cost=item.get("parked_cost", 0),
        started_at=item.get("started_at"),
        finished_at=item.get("finished_at"), message=item.get("message"),
        failure=item.get("failure"), split_sent=item.get("split_sent", 0),
        dispatch_at=item.get("dispatch_at"), heals=item.get("heals", 0),
        healed_at=item.get("healed_at"), finalizing_at=item.get("finalizing_at"),
        request_id=item.get("request_id"), origin=item.get("origin", "api"),
        split_checkpoint=SplitCheckpoint.model_validate_json(item["split_checkpoint"])
        if item.get("split_checkpoint") else None,
        webhook_id=item.get("webhook_id"), webhook_url=item.get("webhook_url"),
        announce=item.get("announce"),
        upload_expires_at=item.get("upload_expires_at"), outbox=item.get("outbox"),
        counts=BatchCounts(**{name: item.get(f"n_{name}", 0) for name in _COUNTERS}),
        found={k[2:]: v for k, v in item.items() if k.startswith("f_")},
        lookups={k[2:]: v for k, v in item.items() if k.startswith("l_")},
        refresh_after=item.get("refresh_after"),
        finalize_checkpoint=FinalizeCheckpoint.model_validate_json(item["finalize_checkpoint"])
        if item.get("finalize_checkpoint") else None,
        shaped_parts=item.get("shaped_parts", 0),
        shape_columns=frozenset(item.get("shape_columns", ())),
        shape_width=max(item.get("shape_widths", ()), default=0),
    )


def _number(v: float | None) -> Decimal | None:
    """A float as DynamoDB takes it (boto3 refuses floats)."""
    return None if v is None else Decimal(str(v))


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def checkpoint_text(checkpoint: SplitCheckpoint | None) -> str | None:
    """A split checkpoint as the item stores it (JSON text)."""
    return None if checkpoint is None else checkpoint.model_dump_json()


def stored(name: str, v: Any) -> Any:
    """A Batch attribute as the item stores it (maps as JSON text, which keeps numbers as written)."""
    return json.dumps(v) if name in _JSON_ATTRIBUTES and v is not None else v


def chunk_from_item(raw: dict[str, Any]) -> ChunkState:
    """A DynamoDB chunk item as a ChunkState."""
    item = from_dynamo(raw)
    parts = tuple(PartRecord(p["key"], p["start"], p["settled"], _span(p.get("span")))
                  for p in item.get("parts", []))
    return ChunkState(item["batch_id"], item["chunk"], item["next_part"], item["done"], parts,
                      item.get("reprocess_key"))


def _span(span: Any) -> tuple[int, int] | None:
    """A part record's span as stored (a list of two numbers), or None (the whole object)."""
    return None if span is None else (int(span[0]), int(span[1]))
