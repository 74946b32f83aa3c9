"""Validate the Kubernetes objects a program registered against the upstream schemas kubernetes-validate ships.

Every object is checked, strictly (no unknown fields), against the three newest Kubernetes minor versions the
package has, so an object that a newer API server rejects, or that uses a field removed since, fails a test.
Patches (NodePatch, ...) are partial objects: they are checked as their kind with the same strictness, since
server-side apply rejects an unknown field in a patch as well. Helm releases are not Kubernetes objects.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
from kubernetes_validate.utils import all_versions

from llmops_infra.cli.recording import Recording, Registration

NOT_OBJECTS = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigGroup")


def newest_minor_versions(count: int = 3) -> list[str]:
    minors = sorted({tuple(int(p) for p in v.split(".")[:2]) for v in all_versions()})
    return [f"{major}.{minor}" for major, minor in minors[-count:]]


def kubernetes_objects(rec: Recording) -> list[Registration]:
    return [r for r in rec.resources if r.custom and r.type.startswith("kubernetes:") and r.type not in NOT_OBJECTS]


def manifest(registration: Registration) -> dict[str, Any]:
    """The object as the API server receives it: the registered inputs, kind without a Patch suffix."""
    group_version, kind = registration.type.removeprefix("kubernetes:").rsplit(":", 1)
    group, version = group_version.split("/")
    api_version = version if group == "core" else f"{group}/{version}"
    body = {k: v for k, v in registration.inputs.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": api_version, "kind": kind.removesuffix("Patch"), **body}


def schema_errors(registration: Registration, versions: list[str] | None = None) -> list[str]:
    errors = []
    for version in versions or newest_minor_versions():
        try:
            kubernetes_validate.validate(manifest(registration), version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{registration.type} {registration.name} on {version}: {error.message}")
    return errors
