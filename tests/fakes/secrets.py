"""Secrets in memory: the values a test gives, nothing read from the environment."""

from __future__ import annotations


class InMemorySecrets:
    """The Secrets port on a dict."""

    def __init__(self, admin_api_key: str = "", vendors: dict[str, str] | None = None) -> None:
        self._admin = admin_api_key
        self.vendors = dict(vendors or {})

    def admin_api_key(self) -> str:
        """The admin key the test set."""
        return self._admin

    def vendor(self, name: str) -> str | None:
        """A vendor secret the test set, or None."""
        return self.vendors.get(name) or None

    def where(self, name: str) -> str:
        """Where a test puts the secret: ``vendors[name]`` of the fake."""
        return f"InMemorySecrets.vendors[{name.upper()!r}]"
