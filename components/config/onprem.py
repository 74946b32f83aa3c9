"""Config checks of the onprem section: the model cache's StorageClass must turn its CSI driver's encryption on.

The drivers' encryption parameters are data (components/catalog/kubernetes.py, one row per driver with its
source); `encryption_problems` is also what EncryptedStorageClass runs for a class built in code.
"""

from __future__ import annotations

from llmops_infra.components.catalog.kubernetes import (
    ENCRYPTION,
    KNOWN_KEY_REFERENCES,
    KNOWN_SWITCHES,
    encryption_row,
    lookup_parameter,
)
from llmops_infra.components.spec import PlatformSpec, Problem, StorageClassSpec


def check_onprem(spec: PlatformSpec) -> list[Problem]:
    storage_class = spec.onprem.storage_class if spec.onprem is not None else None
    if storage_class is None:
        return []
    where, parameters = ("onprem", "storageClass", "parameters"), dict(storage_class.parameters)
    return [Problem(where, parameters, message) for message in encryption_problems(storage_class)]


def encryption_problems(spec: StorageClassSpec) -> list[str]:
    """Why `spec`'s parameters do not turn encryption on (empty when they do); each message says what to set."""
    row = encryption_row(spec.provisioner)
    params = spec.parameters
    if row is None:
        switched = [s for s in KNOWN_SWITCHES if (params.get(s) or "").lower() == "true"]
        keyed = [k for k in KNOWN_KEY_REFERENCES if params.get(k)]
        if switched or keyed:
            return []
        switches = " or ".join(f'{s}: "true"' for s in KNOWN_SWITCHES)
        return [
            f"provisioner {spec.provisioner} has no encryption row (known: {', '.join(sorted(ENCRYPTION))}); "
            f"set its encryption parameter ({switches}, or a key "
            f"reference {', '.join(KNOWN_KEY_REFERENCES)}) and add a row for it to components/catalog/kubernetes.py"
        ]
    problems = []
    for switch in row.switches:
        value = lookup_parameter(params, switch, row.case_insensitive_keys)
        if (value or "").lower() != "true":
            shown = "missing" if value is None else f"{value!r}"
            problems.append(f'provisioner {spec.provisioner} encrypts volumes only with {switch}: "true" ({shown})')
    for key in row.required:
        if not lookup_parameter(params, key, row.case_insensitive_keys):
            problems.append(f"provisioner {spec.provisioner} needs parameter {key} for encrypted volumes")
    return problems
