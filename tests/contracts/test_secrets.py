"""The Secrets port: the admin key and vendor secrets where the deployment keeps them."""

from __future__ import annotations

import json

from chalicelib.adapters.secrets import SecretStore
from chalicelib.clients import get_clients
from chalicelib.ports.secrets import Secrets
from chalicelib.services.ports import Ports
from tests.fakes.secrets import InMemorySecrets


def _holding(ports: Ports, admin: str, vendors: dict[str, str]) -> Secrets:
    """The ports' implementation holding these secrets (on AWS: two Secrets Manager secrets)."""
    if not isinstance(ports.secrets, SecretStore):
        return InMemorySecrets(admin, vendors)
    manager = get_clients().secretsmanager
    manager.create_secret(Name="be-admin", SecretString=admin)
    manager.create_secret(Name="be-vendors", SecretString=json.dumps(vendors))
    settings = ports.settings.model_copy(update={"admin_api_key_secret": "be-admin",
                                                 "vendor_secrets_secret": "be-vendors"})
    return SecretStore(get_clients(), settings)


def test_the_admin_key_and_vendor_secrets_read_back_and_an_unset_one_is_none(ports: Ports) -> None:
    secrets = _holding(ports, "adm-123", {"clearbit": "ck_1"})

    assert secrets.admin_api_key() == "adm-123"
    assert secrets.vendor("clearbit") == "ck_1"
    assert secrets.vendor("hunter") is None
    assert "HUNTER" in secrets.where("hunter").upper()


def test_as_wired_by_default_the_admin_key_is_the_setting(ports: Ports) -> None:
    assert ports.secrets.admin_api_key() == ports.settings.admin_api_key != ""
