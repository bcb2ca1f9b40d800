"""The bucket's key layout: every key under a declared prefix, and only uploads start a split."""

from __future__ import annotations

from chalicelib import keys, topology
from chalicelib.domain.models import Batch, BatchStatus, Mode


def _batch() -> Batch:
    return Batch(tenant_id="t_1", batch_id="b_1", name="n", status=BatchStatus.COMPLETED, mode=Mode.BASIC,
                 entity_type="person", price=1, created_at="", updated_at="", input_key="")


def test_every_key_lies_under_exactly_one_declared_prefix() -> None:
    built = [keys.input_key("t_1", "b_1"), keys.pending_key("b_1"), keys.manifest_key("b_1"),
             keys.part_key("b_1", 3, 1, "abc"), keys.results_key(_batch(), "results.csv"),
             keys.dataset_key("t_1", "ds_1"), keys.outbox_base("t_1", "q4/leads.csv") + ".status.json",
             "inbox/t_1/q4/leads.csv"]

    for key in built:
        assert sum(key.startswith(prefix) for prefix in keys.PREFIXES) == 1, key
    assert len(set(keys.PREFIXES)) == len(keys.PREFIXES)
    assert not any(a != b and a.startswith(b) for a in keys.PREFIXES for b in keys.PREFIXES)


def test_only_uploads_and_the_drop_folder_send_events_and_an_input_key_names_the_batch() -> None:
    assert [n.prefix for n in topology.NOTIFICATIONS] == [keys.UPLOADS_PREFIX, keys.INBOX_PREFIX]
    assert keys.upload_ids(keys.input_key("t_1", "b_1")) == ("t_1", "b_1")
    for other in (keys.pending_key("b_1"), keys.manifest_key("b_1"), "uploads/t_1/input.csv",
                  "uploads/t_1/b_1/deeper/input.csv"):
        assert keys.upload_ids(other) is None, other


def test_part_keys_sort_by_chunk_then_part() -> None:
    ordered = [keys.part_key("b_1", chunk, part, "z") for chunk in (0, 2, 10) for part in (0, 1, 12)]

    assert sorted(ordered) == ordered
    assert all(key.startswith(keys.parts_prefix("b_1")) for key in ordered)


def test_a_dropped_file_names_its_tenant_and_its_answers_sit_beside_its_name_in_outbox() -> None:
    assert keys.inbox_path("inbox/t_1/q4/Leads.CSV") == ("t_1", "q4/Leads.CSV")
    assert keys.outbox_base("t_1", "q4/Leads.CSV") == "outbox/t_1/q4/Leads"
    for other in ("inbox/t_1", "inbox//a.csv", "inbox/t_1/", "uploads/t_1/b_1/input.csv"):
        assert keys.inbox_path(other) is None, other
