"""Secrets Manager: the admin key and the vendor secrets, read on a sandbox's first use and cached.

On AWS the stack names the secrets in the settings ``admin_api_key_secret`` and
``vendor_secrets_secret`` (a JSON object: secret name -> value). Where none is configured (the
local runtime, tests), the plain settings answer: ``admin_api_key`` and ``BATCH_ENRICH_SECRET_<NAME>``.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from chalicelib.settings import Settings, secret

if TYPE_CHECKING:
    from chalicelib.clients import Clients


class SecretStore:
    """The service's secrets; a value is fetched once per ``secrets_cache_seconds`` per process."""

    def __init__(self, clients: Clients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings

    @cached_property
    def _provider(self) -> SecretsProvider:
        return SecretsProvider(boto3_client=self._clients.secretsmanager)

    def _fetch(self, secret_id: str) -> str:
        value: Any = self._provider.get(secret_id, max_age=self._settings.secrets_cache_seconds)
        return value.decode() if isinstance(value, bytes) else str(value or "")

    def admin_api_key(self) -> str:
        """The admin key ("" closes the admin routes)."""
        if self._settings.admin_api_key_secret:
            return self._fetch(self._settings.admin_api_key_secret).strip()
        return self._settings.admin_api_key

    def vendor(self, name: str) -> str | None:
        """A vendor source's secret by name, or None when it is not set."""
        if not self._settings.vendor_secrets_secret:
            return secret(name)
        stored = json.loads(self._fetch(self._settings.vendor_secrets_secret) or "{}")
        value = stored.get(name) if isinstance(stored, dict) else None
        return str(value) if value else None

    def where(self, name: str) -> str:
        """Where a deployer puts the secret ``name`` (for error messages)."""
        if self._settings.vendor_secrets_secret:
            return f"key {name!r} of the secret {self._settings.vendor_secrets_secret!r}"
        return f"BATCH_ENRICH_SECRET_{name.upper()}"
