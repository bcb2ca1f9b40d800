"""S3's POST policy, enforced by the embedded emulator as S3 enforces it (moto does not check it).

moto's server stores whatever a browser-style POST sends: an expired policy, a file outside
the policy's ``content-length-range``, a key the policy did not sign, a forged signature. S3
refuses each one (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html);
here a POST that carries a policy is checked the same way before moto stores it: the SigV4
signature of the policy (with the emulator's own credentials), its expiration, and every
condition (exact matches, ``starts-with``, ``content-length-range``). The answers are S3's:
403 AccessDenied "Invalid according to Policy: …", 400 EntityTooLarge / EntityTooSmall,
403 SignatureDoesNotMatch. A POST without a policy is left to moto (anonymous buckets).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import datetime
from typing import Any

from moto.s3.responses import S3Response

_applied: list[str] = []
Answer = tuple[int, dict[str, str], str]


def _error(status: int, code: str, message: str) -> Answer:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return status, {"Content-Type": "application/xml"}, body


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signature_refusal(fields: dict[str, str]) -> Answer | None:
    """SignatureDoesNotMatch unless the policy was signed with the emulator's credentials
    (SigV4: ``x-amz-credential`` and ``x-amz-signature``; SigV2: ``awsaccesskeyid``, ``signature``)."""
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    policy = fields["policy"].encode()
    parts = fields.get("x-amz-credential", "").split("/")
    if len(parts) == 5:
        expected = hmac.new(_signing_key(secret, parts[1], parts[2], parts[3]), policy,
                            hashlib.sha256).hexdigest()
        given = fields.get("x-amz-signature", "")
    elif "awsaccesskeyid" in fields:
        expected = base64.b64encode(hmac.new(secret.encode(), policy, hashlib.sha1).digest()).decode()
        given = fields.get("signature", "")
    else:
        return _error(403, "AccessDenied", "Invalid according to Policy: the policy is not signed")
    if not hmac.compare_digest(expected, given):
        return _error(403, "SignatureDoesNotMatch", "The request signature we calculated does not "
                      "match the signature you provided.")
    return None


def _condition_refusal(condition: Any, fields: dict[str, str], bucket: str, size: int) -> Answer | None:
    """The answer S3 gives when one condition of the policy fails, None when it holds."""
    if isinstance(condition, dict):
        [(name, wanted)] = condition.items()
        condition = ["eq", f"${name}", wanted]
    operator, name = str(condition[0]).lower(), str(condition[1])
    if operator == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            return _error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return _error(400, "EntityTooSmall",
                          "Your proposed upload is smaller than the minimum allowed size")
        return None
    field = name.lstrip("$").lower()
    value = bucket if field == "bucket" else fields.get(field)
    wanted = str(condition[2])
    held = value is not None and (value == wanted if operator == "eq" else value.startswith(wanted))
    if held:
        return None
    failed = f'["{operator}", "{name}", "{wanted}"]'
    return _error(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {failed}")


def refusal(fields: dict[str, str], bucket: str, size: int, now: float) -> Answer | None:
    """Why S3 would refuse this POST (form ``fields``, a file of ``size`` bytes), or None."""
    try:
        policy = json.loads(base64.b64decode(fields["policy"]))
        expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")).timestamp()
    except (ValueError, KeyError, TypeError):
        return _error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    signature = _signature_refusal(fields)
    if signature is not None:
        return signature
    if now >= expires:
        return _error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    for condition in policy.get("conditions", []):
        refused = _condition_refusal(condition, fields, bucket, size)
        if refused is not None:
            return refused
    return None


def apply() -> None:
    """Check the policy of every POST upload the emulator serves (once per process)."""
    if _applied:
        return
    original = S3Response._bucket_response_post

    def checked(self: S3Response, request: Any, bucket_name: str) -> Any:
        fields = {str(k).lower(): str(v[0]) for k, v in self.querystring.items()
                  if isinstance(v, list) and v and isinstance(v[0], str)}
        if "policy" in fields and "key" in fields:
            body = self.body if isinstance(self.body, bytes | bytearray) else b""
            refused = refusal(fields, bucket_name, len(body), time.time())
            if refused is not None:
                return refused
        return original(self, request, bucket_name)

    S3Response._bucket_response_post = checked  # type: ignore[method-assign]
    _applied.append("done")
