"""Kubernetes rules: RBAC (rbac.py), Pod Security Standards (pod_security.py), default-deny namespaces
(network.py), records of processing (records.py) and exposure: LoadBalancer Services and Ingress TLS (exposure.py)."""

from llmops_infra.policies.rules.kubernetes import exposure, network, pod_security, rbac, records

__all__ = ["exposure", "network", "pod_security", "rbac", "records"]
