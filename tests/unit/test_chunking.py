"""pack_rows: every row once and in order, chunks within the row and message-size limits, each
body the text the message model writes of its rows."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.chunking import (
    ENVELOPE_BYTES,
    TOO_LARGE,
    chunk_body,
    json_row_bytes,
    pack_rows,
    row_json,
)
from chalicelib.domain.columns import CANONICAL_FIELDS
from chalicelib.domain.messages import ChunkMessage, ChunkRow

# The largest envelope split sends: long ids, every canonical field mapped to a column.
TENANT = "t_" + "f" * 16
BATCH = "b_" + "0" * 22
FIELDS = {name: 100 + index for index, name in enumerate(CANONICAL_FIELDS)}


def message_bytes(rows: list[ChunkRow], chunk: int = 99_999) -> int:
    """Bytes of the work-queue message body that carries these rows, as split sends it."""
    message = ChunkMessage(tenant_id=TENANT, batch_id=BATCH, chunk=chunk, fields=FIELDS, rows=rows)
    return len(message.model_dump_json(exclude_none=True).encode("utf-8"))


def pack_chunks(rows: Iterable[ChunkRow], max_rows: int, max_bytes: int) -> list[list[ChunkRow]]:
    """``pack_rows`` over models, its chunks read back as models."""
    packed = pack_rows(((row.i, row.v, row.skip) for row in rows), max_rows, max_bytes)
    return [[ChunkRow.model_validate_json(text) for text in chunk] for chunk in packed]


def lead(i: int, note: str = "") -> ChunkRow:
    return ChunkRow(i=i, v=[f"L{i}", f"person{i}@example.com", "+1 202 555 0100", "US", note])


def test_rows_limit_splits_into_full_chunks_and_a_rest() -> None:
    chunks = (pack_chunks((lead(i) for i in range(25)), max_rows=10, max_bytes=60_000))

    assert [len(c) for c in chunks] == [10, 10, 5]
    assert [r.i for c in chunks for r in c] == list(range(25))


def test_bytes_limit_starts_a_new_chunk_before_the_message_is_too_big() -> None:
    rows = [lead(i, note="x" * 1_000) for i in range(40)]

    chunks = (pack_chunks(rows, max_rows=100, max_bytes=8_000))

    assert len(chunks) > 1
    assert all(message_bytes(c) <= 8_000 for c in chunks)
    assert [r for c in chunks for r in c] == rows


def test_multibyte_text_is_measured_in_utf8_bytes() -> None:
    rows = [lead(i, note="日本語のメモ" * 60) for i in range(30)]  # 3 bytes a character

    chunks = (pack_chunks(rows, max_rows=100, max_bytes=6_000))

    assert all(message_bytes(c) <= 6_000 for c in chunks)
    assert [r for c in chunks for r in c] == rows


def test_control_characters_and_quotes_are_measured_as_json_escapes() -> None:
    rows = [ChunkRow(i=i, v=['"\\' * 100, "\x01\x1f" * 100]) for i in range(30)]  # 2-6 bytes each

    chunks = (pack_chunks(rows, max_rows=100, max_bytes=5_000))

    assert all(message_bytes(c) <= 5_000 for c in chunks)
    assert [r for c in chunks for r in c] == rows


def test_an_oversized_row_travels_as_a_skipped_row_without_values() -> None:
    rows = [lead(0), ChunkRow(i=1, v=["L1", "y" * 70_000]), lead(2)]

    chunks = (pack_chunks(rows, max_rows=100, max_bytes=60_000))

    flat = [r for c in chunks for r in c]
    assert [r.i for r in flat] == [0, 1, 2]
    assert flat[0] == rows[0]
    assert flat[2] == rows[2]
    assert flat[1].skip == TOO_LARGE == "row_too_large"
    assert flat[1].v == []
    assert all(message_bytes(c) <= 60_000 for c in chunks)


def test_a_row_that_is_already_skipped_keeps_its_reason() -> None:
    rows = [ChunkRow(i=0, v=["", "", ""], skip="no_email_or_phone"), lead(1)]

    assert [r for c in pack_chunks(rows, 10, 60_000) for r in c] == rows


def test_no_rows_no_chunks() -> None:
    assert (pack_chunks([], max_rows=10, max_bytes=60_000)) == []


cells = st.text(max_size=40) | st.text(alphabet="x", min_size=500, max_size=3_000)
row_values = st.lists(cells, min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(st.lists(row_values, max_size=40), st.integers(1, 12), st.integers(3_000, 12_000))
def test_chunks_respect_both_limits_and_keep_every_row_once_in_order(
    values: list[list[str]], max_rows: int, max_bytes: int
) -> None:
    rows = [ChunkRow(i=i, v=v) for i, v in enumerate(values)]

    chunks = (pack_chunks(rows, max_rows=max_rows, max_bytes=max_bytes))

    assert all(chunks), "an empty chunk"
    assert all(len(c) <= max_rows for c in chunks)
    assert all(message_bytes(c, chunk=n) <= max_bytes for n, c in enumerate(chunks))
    flat = [r for c in chunks for r in c]
    assert [r.i for r in flat] == [r.i for r in rows]
    for given_row, packed in zip(rows, flat, strict=True):
        if packed.skip == TOO_LARGE:
            assert packed.v == []
            # dropped only when it would not fit a message beside the reserved envelope
            assert message_bytes([given_row]) > max_bytes - ENVELOPE_BYTES
        else:
            assert packed == given_row


def test_a_row_s_bytes_are_counted_as_its_spaced_json_counts_them() -> None:
    # the chunk boundaries (and so each credits.csv line's ledger entry) rest on this count
    rng = random.Random(3)
    alphabet = ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "é", "李", "😀", "\u2028", ",", " ", "a", "0"]
    for i in range(3000):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
                  for _ in range(rng.randint(0, 5))]
        row = ChunkRow(i=i * rng.choice([1, 977]), v=values, skip=rng.choice([None, "blank_line", 'a"b']))
        spaced = json.dumps(row.model_dump(exclude_none=True), ensure_ascii=False)
        assert json_row_bytes(row_json(row.i, row.v, row.skip), len(row.v), row.skip is not None) \
            == len(spaced.encode()) + 1


# Any text a reader can give (a decoded file holds no lone surrogate), rows with and without a reason.
any_cells = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30) \
    | st.text(alphabet="xé", min_size=400, max_size=3_000)
any_rows = st.lists(st.tuples(st.lists(any_cells, max_size=6),
                              st.sampled_from([None, "blank_line", 'a"b\\c', "missing_person_fields"])),
                    max_size=30)


@settings(max_examples=150, deadline=None)
@given(any_rows, st.integers(1, 12), st.integers(3_000, 12_000), st.integers(0, 10**6))
def test_each_body_is_the_text_the_model_writes_of_its_rows(
    given_rows: list[tuple[list[str], str | None]], max_rows: int, max_bytes: int, first: int
) -> None:
    # the split writes each row's JSON itself (no model a row): the work function reads the
    # same bytes as when each message was a model's dump
    rows = [(first + n, v, skip) for n, (v, skip) in enumerate(given_rows)]
    for number, texts in enumerate(pack_rows(rows, max_rows, max_bytes)):
        def message(chunk: list[ChunkRow]) -> ChunkMessage:
            return ChunkMessage(tenant_id=TENANT, batch_id=BATCH, chunk=number,  # noqa: B023
                                fields=FIELDS, rows=chunk, request_id='req-"1"')

        models = [ChunkRow.model_validate_json(text) for text in texts]
        assert [row_json(row.i, row.v, row.skip) for row in models] == texts
        assert chunk_body(message([]), texts) == message(models).model_dump_json(exclude_none=True)


def test_a_row_s_json_is_the_model_s() -> None:  # characters random text seldom holds
    for values, skip in ((["\x00\x7f", "\u2028😀", '"\\/'], None), ([], "blank_line"), (["a"], 'q"')):
        model = ChunkRow(i=5, v=values, skip=skip)
        assert row_json(5, values, skip) == model.model_dump_json(exclude_none=True)


def test_a_body_is_only_built_from_a_message_without_rows() -> None:
    with pytest.raises(ValueError):
        chunk_body(ChunkMessage(tenant_id=TENANT, batch_id=BATCH, chunk=0, rows=[lead(0)]), [])
