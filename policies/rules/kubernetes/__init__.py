"""Kubernetes rules: RBAC (rbac.py), Pod Security Standards (pod_security.py), default-deny namespaces
(network.py) and records of processing (records.py)."""

from llmops_infra.policies.rules.kubernetes import network, pod_security, rbac, records

__all__ = ["network", "pod_security", "rbac", "records"]
