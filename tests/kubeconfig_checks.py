"""What every cluster component's kubeconfig output must be, on any cloud: a secret whose only user authenticates
by running a command at use time, so that the file itself grants nothing to whoever reads it."""

from __future__ import annotations

import json
from typing import Any

from llmops_infra.cli.wire import is_secret

# kubeconfig AuthInfo fields that carry a credential themselves (or point at one on disk).
CREDENTIAL_KEYS = {
    "token",
    "tokenFile",
    "password",
    "username",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "auth-provider",
}


def all_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *all_keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in all_keys(v)]
    return []


def secret_kubeconfig(value: Any) -> Any:
    """The kubeconfig a component output holds, once it is known to be a secret."""
    assert is_secret(value)
    return json.loads(value["value"])


def credential_free_exec(config: Any) -> dict[str, Any]:
    """The exec block of the kubeconfig's only user, once nothing in the file carries a credential."""
    [user] = config["users"]
    assert set(user["user"]) == {"exec"}  # no token, password, client key or certificate
    assert not CREDENTIAL_KEYS & set(all_keys(config))
    return user["user"]["exec"]
