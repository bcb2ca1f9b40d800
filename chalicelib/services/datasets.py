"""A tenant's reference datasets: stored, listed, and their records handed in by id."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.columns import resolve_columns
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.errors import BadInput, InvalidRequest, NotFound
from chalicelib.domain.upload import columns_and_rows, reject_binary
from chalicelib.keys import dataset_key, datasets_prefix
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant

UNKNOWN_IDS_SHOWN = 20  # unknown ids a 422 names (and how many there were)


@dataclass(frozen=True)
class Dataset:
    """A stored reference dataset."""

    dataset_id: str
    name: str
    rows: int
    keys: int
    created_at: str
    id_column: str | None = None  # the column its records are handed in by (``ids``)

    def to_json(self) -> dict[str, Any]:
        """As the API shows it."""
        return {"dataset_id": self.dataset_id, "name": self.name, "rows": self.rows,
                "identifiers": self.keys, "id_column": self.id_column,
                "created_at": self.created_at}


def create_dataset(ports: Ports, tenant_id: str, data: bytes, name: str) -> Dataset:
    """Index a tenant's CSV by email, phone, handle and domain (and its id column), and store it."""
    # Indexing normalizes with the enrichers' libraries (phonenumbers, email-validator,
    # tldextract): loaded here, on this rare route, not with every API sandbox.
    from chalicelib.sources.dataset import KEY_KINDS, build_index

    get_tenant(ports, tenant_id)
    reject_binary(data)
    table = open_csv(io.BytesIO(data))
    rows = [row for row in table.rows if row]  # blank lines hold no record
    mapping = resolve_columns(table.header, rows[:200])
    if not any(kind in mapping.fields for kind in (*KEY_KINDS, "website", "id")):
        raise BadInput("A dataset needs a column of ids, emails, phones, handles or domains to "
                       "be looked up by.", mapping=mapping.to_json())
    table.rows = iter(rows)
    columns, values = columns_and_rows(table, mapping.has_header, mapping.skip_rows)
    index = build_index(columns, values, dict(mapping.fields), ports.settings.default_phone_region)
    id_index = mapping.fields.get("id")
    dataset = Dataset(f"ds_{secrets.token_hex(8)}", name, len(index["rows"]), len(index["keys"]),
                      ports.clock.now(), None if id_index is None else columns[id_index])
    index.update(meta=dataset.to_json(), header=columns, id_index=id_index)
    ports.blobs.put(dataset_key(tenant_id, dataset.dataset_id), json.dumps(index).encode(),
                    "application/json")
    return dataset


def list_datasets(ports: Ports, tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's datasets."""
    keys = ports.blobs.keys(datasets_prefix(tenant_id))
    return [json.loads(ports.blobs.read(key))["meta"] for key in keys]


def dataset_records(ports: Ports, tenant_id: str, dataset_id: str,
                    ids: list[str]) -> tuple[str, list[dict[str, str]]]:
    """The dataset's name and its records with these ids, in the order asked (seeds 002-004).

    A 422 names the ids the dataset does not hold; a dataset without an id column cannot be
    asked by id.
    """
    try:
        index = json.loads(ports.blobs.read(dataset_key(tenant_id, dataset_id)))
    except NotFound as exc:
        raise InvalidRequest(f"No dataset {dataset_id!r}: see GET /v1/datasets.",
                             field="dataset_id") from exc
    id_index = index.get("id_index")
    if id_index is None:
        raise InvalidRequest(
            f"Dataset {dataset_id!r} has no id column to find records by: upload it again with a "
            "column named id (or ID, Record ID, contact_id …).", field="dataset_id")
    header: list[str] = index["header"]
    by_id = {row[id_index]: row for row in reversed(index["rows"]) if id_index < len(row)}
    unknown = [(n, record_id) for n, record_id in enumerate(ids) if record_id not in by_id]
    if unknown:
        shown = ", ".join(repr(record_id) for _, record_id in unknown[:UNKNOWN_IDS_SHOWN])
        raise InvalidRequest(
            f"{len(unknown)} of the ids are not in dataset {dataset_id!r}: {shown}"
            f"{' …' if len(unknown) > UNKNOWN_IDS_SHOWN else ''}.", unknown_ids=len(unknown),
            detail=[{"loc": ["ids", n], "msg": f"no record with id {record_id!r}",
                     "type": "unknown_id"} for n, record_id in unknown[:UNKNOWN_IDS_SHOWN]])
    records = [dict(zip(header, by_id[record_id], strict=False)) for record_id in ids]
    return str(index["meta"]["name"]), records
