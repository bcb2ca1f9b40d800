"""One HTTP POST of a signed delivery, through ``netguard`` (checked on the address it connects to)."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.netguard import Policy, RefusedDestination, guarded_connection

_RESPONSE_CHARS = 256  # what the log keeps of the receiver's answer
USER_AGENT = "batch-enrich-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one POST came to."""

    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    response: str = ""
    refused: bool = False  # netguard refused the address: retrying would only be refused again

    @property
    def delivered(self) -> bool:
        """The receiver answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], policy: Policy, timeout: float) -> Outcome:
    """POST ``body`` to ``url``; never follows a redirect, never raises for the receiver's sake."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    connection: http.client.HTTPConnection | None = None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RefusedDestination(f"{url!r} is not an http(s) URL")
        connection = guarded_connection(parts.scheme, parts.hostname, port, policy, timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers={
            **headers, "content-type": "application/json", "user-agent": USER_AGENT})
        answer = connection.getresponse()
        text = answer.read(_RESPONSE_CHARS * 4).decode("utf-8", errors="replace")[:_RESPONSE_CHARS]
        return Outcome(took(), status_code=answer.status, response=text)
    except RefusedDestination as refused:
        return Outcome(took(), error=f"refused: {refused}", refused=True)
    except TimeoutError:
        return Outcome(took(), error=f"no answer within {timeout:g} s")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(took(), error=f"{type(exc).__name__}: {exc}"[:_RESPONSE_CHARS])
    finally:
        if connection is not None:
            connection.close()
