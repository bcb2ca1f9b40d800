"""Standard Webhooks signatures: ``whsec_`` secrets and the ``webhook-*`` headers of a delivery.

A signature is ``v1,`` followed by the base64 HMAC-SHA256, keyed with the secret's decoded
bytes, of ``{webhook-id}.{webhook-timestamp}.{body}``. During a rotation's grace period a
delivery carries one signature per valid secret, space-separated; a receiver accepts the
message when any of them verifies (https://www.standardwebhooks.com/).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    """The HMAC key a secret stands for (its base64 part, decoded)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of a message under one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secrets_in_force: Sequence[str], message_id: str, timestamp: int,
                   body: bytes) -> dict[str, str]:
    """The three ``webhook-*`` headers of a delivery, signed with every secret in force."""
    if not secrets_in_force:
        raise ValueError("a delivery needs at least one secret")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, message_id, timestamp, body)
                                      for s in secrets_in_force),
    }


def masked(secret: str) -> str:
    """A secret as lists show it: enough to tell two apart, never enough to sign."""
    return f"{secret[:len(SECRET_PREFIX) + 4]}…"
