"""Standard Webhooks signatures, checked by the reference library a receiver would use."""

from __future__ import annotations

import base64
import json
import random
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.domain.signing import SECRET_PREFIX, masked, new_secret, signed_headers
from chalicelib.domain.webhooks import retry_delay, signing_secrets

BODY = json.dumps({"type": "batch.completed", "data": {"batch_id": "b_1"}}).encode()


def test_a_delivery_verifies_with_the_receiver_library_and_the_body_comes_back() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "msg_1", int(time.time()), BODY)

    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)
    assert secret.startswith(SECRET_PREFIX) and len(base64.b64decode(secret[6:])) == 32


def test_a_changed_body_id_or_timestamp_or_another_secret_fails_verification() -> None:
    secret, now = new_secret(), int(time.time())
    headers = signed_headers([secret], "msg_1", now, BODY)
    for body, changed in ((BODY + b" ", {}), (BODY, {"webhook-id": "msg_2"}),
                          (BODY, {"webhook-timestamp": str(now - 1)})):
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(body, headers | changed)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_during_a_rotation_both_secrets_verify_and_afterwards_only_the_new_one() -> None:
    old, new = new_secret(), new_secret()
    in_grace = signed_headers(signing_secrets(new, old, previous_until=2_000, now=1_000), "msg_1",
                              int(time.time()), BODY)
    after = signed_headers(signing_secrets(new, old, previous_until=2_000, now=2_000), "msg_1",
                           int(time.time()), BODY)

    assert len(in_grace["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, in_grace)
    Webhook(new).verify(BODY, in_grace)
    Webhook(new).verify(BODY, after)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, after)


def test_a_hint_never_reveals_enough_to_sign() -> None:
    secret = new_secret()
    assert masked(secret) == secret[:10] + "…"


def test_retries_double_from_the_base_up_to_the_cap_spread_by_a_fifth() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, base=30, cap=4 * 3600, rng=rng) for n in range(1, 16)]

    for n, delay in enumerate(delays, start=1):
        plain = min(30 * 2 ** (n - 1), 4 * 3600)
        assert 0.8 * plain <= delay <= 1.2 * plain
    assert retry_delay(10_000, base=30, cap=60, rng=rng) <= 72
