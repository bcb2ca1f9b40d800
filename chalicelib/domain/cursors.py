"""Opaque page cursors: a position in a listing, base64url-encoded, checked when it comes back."""

from __future__ import annotations

import base64
import re

from chalicelib.domain.errors import BadInput


def encode_cursor(position: str) -> str:
    """The opaque cursor of a position."""
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, valid: re.Pattern[str]) -> str:
    """The position a cursor stands for, or a 400 when it is not one this API made (``valid``)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        position = ""
    if not valid.fullmatch(position):
        raise BadInput("The cursor is not one this API returned: pass next_cursor as given.",
                       field="cursor")
    return position
