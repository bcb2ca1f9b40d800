"""The Blobs port: objects stored and read back alike, and an upload's event reaches the ingest queue."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from chalicelib import topology
from chalicelib.domain.errors import NotFound
from chalicelib.handlers.split_events import uploaded_objects
from chalicelib.keys import input_key, manifest_key
from chalicelib.ports.blobs import MIN_PART_BYTES, UploadGone
from chalicelib.services.ports import Ports
from tests.helpers import take_messages


def test_objects_read_back_whole_streamed_listed_and_described(ports: Ports) -> None:
    ports.blobs.put("work/b_1/a.json", b'{"a": 1}', "application/json", {"batch-id": "b_1"})
    ports.blobs.upload("work/b_1/b.csv", io.BytesIO(b"x,y\r\n1,2\r\n"), "text/csv")
    ports.blobs.put("work/b_2/c", b"")

    assert ports.blobs.read("work/b_1/a.json") == b'{"a": 1}'
    assert ports.blobs.open("work/b_1/b.csv").read() == b"x,y\r\n1,2\r\n"
    assert ports.blobs.keys("work/b_1/") == ["work/b_1/a.json", "work/b_1/b.csv"]
    assert ports.blobs.exists("work/b_2/c") and not ports.blobs.exists("work/b_2/d")
    head = ports.blobs.head("work/b_1/a.json")
    assert (head["ContentType"], head["ContentLength"], head["Metadata"]) == ("application/json", 8,
                                                                              {"batch-id": "b_1"})
    assert head["ETag"].startswith('"')
    assert "work/b_1/a.json" in ports.blobs.download_url("work/b_1/a.json", 60, "a.json")


def test_an_object_is_read_from_any_byte_on_to_its_end(ports: Ports) -> None:
    ports.blobs.put("uploads/t_1/b_1/input.csv", b"email\r\na@x.com\r\n")
    assert ports.blobs.open("uploads/t_1/b_1/input.csv", start=7).read() == b"a@x.com\r\n"
    assert ports.blobs.open("uploads/t_1/b_1/input.csv", start=16).read() == b""  # the end: nothing


def test_a_missing_object_is_not_found(ports: Ports) -> None:
    with pytest.raises(NotFound):
        ports.blobs.read("work/none")
    with pytest.raises(NotFound):
        ports.blobs.open("work/none")


def test_an_object_under_uploads_sends_its_created_event_to_the_ingest_queue(ports: Ports) -> None:
    take_messages(ports, topology.INGEST)  # S3 sends a test event when the notification is set up
    key = input_key("t_1", "b_1")

    ports.blobs.put(key, b"email\r\na@example.com\r\n", "text/csv")
    ports.blobs.put(manifest_key("b_1"), b"{}")

    created = [obj for body in take_messages(ports, topology.INGEST) for obj in uploaded_objects(body)]
    assert [(obj.bucket, obj.key) for obj in created] == [(ports.settings.bucket, key)]
    assert created[0].etag == ports.blobs.head(key)["ETag"].strip('"')


def test_a_copy_keeps_the_bytes_and_metadata_and_an_inbox_object_is_an_ingest_event(ports: Ports) -> None:
    ports.blobs.put("inbox/t_1/q4/leads.csv", b"email\r\na@example.com\r\n", "text/csv", {"name": "Q4"})
    ports.blobs.copy("inbox/t_1/q4/leads.csv", input_key("t_1", "b_1"))

    assert ports.blobs.read(input_key("t_1", "b_1")) == b"email\r\na@example.com\r\n"
    assert ports.blobs.head(input_key("t_1", "b_1"))["Metadata"] == {"name": "Q4"}
    keys = [o.key for body in take_messages(ports, topology.INGEST) for o in uploaded_objects(body)]
    assert sorted(keys) == ["inbox/t_1/q4/leads.csv", input_key("t_1", "b_1")]
    with pytest.raises(NotFound):
        ports.blobs.copy("inbox/t_1/none.csv", "uploads/x")


def test_an_upload_form_names_exactly_its_key(ports: Ports) -> None:
    form = ports.blobs.upload_form(input_key("t_1", "b_1"), 1000, 900)

    assert form["fields"]["key"] == input_key("t_1", "b_1") and form["url"]


def test_a_multipart_upload_joins_its_parts_by_number_a_part_sent_again_replacing_it(
        ports: Ports, tmp_path: Path) -> None:
    big, tail = tmp_path / "big", tmp_path / "tail"
    big.write_bytes(b"x" * MIN_PART_BYTES)
    tail.write_bytes(b"the end\r\n")
    key = "results/t_1/b_1/results.csv"
    upload = ports.blobs.start_upload(key, "text/csv")
    ports.blobs.upload_part(key, upload, 3, tail)  # numbers need not follow each other
    ports.blobs.upload_part(key, upload, 1, tail)
    ports.blobs.upload_part(key, upload, 1, big)  # a retried step sends its part again
    ports.blobs.finish_upload(key, upload)

    assert ports.blobs.read(key) == b"x" * MIN_PART_BYTES + b"the end\r\n"
    assert ports.blobs.head(key)["ContentType"] == "text/csv"
    with pytest.raises(UploadGone):  # completed: a late writer learns it
        ports.blobs.upload_part(key, upload, 3, tail)
    with pytest.raises(UploadGone):
        ports.blobs.finish_upload(key, upload)


def test_an_aborted_upload_is_gone_and_aborting_again_is_harmless(ports: Ports, tmp_path: Path) -> None:
    part = tmp_path / "part"
    part.write_bytes(b"a,b\r\n")
    upload = ports.blobs.start_upload("results/t_1/b_1/errors.csv", "text/csv")
    ports.blobs.upload_part("results/t_1/b_1/errors.csv", upload, 1, part)
    ports.blobs.abort_upload("results/t_1/b_1/errors.csv", upload)
    ports.blobs.abort_upload("results/t_1/b_1/errors.csv", upload)

    with pytest.raises(UploadGone):
        ports.blobs.upload_part("results/t_1/b_1/errors.csv", upload, 2, part)
    assert not ports.blobs.exists("results/t_1/b_1/errors.csv")


def test_a_span_of_an_object_is_read_by_itself(ports: Ports) -> None:
    ports.blobs.put("work/b_1/chunks/together/x.jsonl", b"part-one\npart-two\n")
    assert ports.blobs.read_span("work/b_1/chunks/together/x.jsonl", 9, 9) == b"part-two\n"
    assert ports.blobs.read_span("work/b_1/chunks/together/x.jsonl", 0, 8) == b"part-one"
    with pytest.raises(NotFound):
        ports.blobs.read_span("work/b_1/chunks/together/none.jsonl", 0, 8)
