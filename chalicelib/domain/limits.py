"""The documented limit of every request body and field (README, "Limits"): one place, no magic numbers.

A request over one of them gets a 4xx that names the limit, never a 500 from a layer below
(JSON recursion, DynamoDB's 400 KB item or 38-digit numbers, API Gateway's 10 MB payload).
"""

from __future__ import annotations

import json
from typing import Any

# Bodies: a JSON body other than a create's records, and how deep any JSON may nest.
MAX_JSON_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
# A create's own options beside its file or records (multipart fields, JSON keys).
MAX_OPTIONS_BYTES = 64 * 1024

# Fields of a batch.
MAX_NAME_CHARS = 200
MAX_METADATA_BYTES = 16 * 1024  # as compact JSON; keeps a batch item far below DynamoDB's 400 KB
MAX_METADATA_DEPTH = 8
MAX_COLUMN_MAP_ENTRIES = 200
MAX_COLUMN_NAME_CHARS = 256
MAX_COLUMNS = 1_000  # columns of an input file
# Credits, caps and row counts: whole numbers DynamoDB stores exactly (it keeps 38 digits).
MAX_CREDITS = 1_000_000_000_000
MAX_ROW_LIMIT = 1_000_000_000
MAX_PRICE = 1_000_000
# ids of a stored dataset's records in one create, and the length of one id.
MAX_ID_CHARS = 200

# Query strings.
MAX_QUERY_VALUE_CHARS = 500
MAX_OFFSET = 100_000
# GET /v1/batches/{id}?include=row_ids: row ids listed per row status.
MAX_ROW_IDS_PER_STATUS = 1_000


def json_depth(value: Any, limit: int) -> int:
    """How deep a parsed JSON value nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def compact_size(value: Any) -> int:
    """Bytes of a JSON value written compactly, as it is stored."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
