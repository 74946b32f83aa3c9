"""GCP rules: data protection (data_protection.py), access (access.py), the further data stores (data_stores.py),
Compute Engine instances (compute.py) and Cloud KMS key destruction (keys.py)."""

from llmops_infra.policies.rules.gcp import access, compute, data_protection, data_stores, keys

__all__ = ["access", "compute", "data_protection", "data_stores", "keys"]
