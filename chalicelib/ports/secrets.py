"""The service's secrets: the admin key and the vendor sources' credentials."""

from __future__ import annotations

from typing import Protocol


class Secrets(Protocol):
    """Secret values by name, read where the deployment keeps them."""

    def admin_api_key(self) -> str:
        """The admin key ("" closes the admin routes)."""

    def vendor(self, name: str) -> str | None:
        """A vendor source's secret by name, or None when it is not set."""

    def where(self, name: str) -> str:
        """Where a deployer puts the secret ``name`` (for error messages)."""
