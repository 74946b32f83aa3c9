"""AWS rules: data protection (data_protection.py), access (access.py), edges: what may face the internet
(edges.py), public bucket policies (bucket_policy.py), EKS node roles (node_roles.py), backup plans (backup.py), the
further data stores (data_stores.py) and EC2 instances (compute.py)."""

from llmops_infra.policies.rules.aws import (
    access,
    backup,
    bucket_policy,
    compute,
    data_protection,
    data_stores,
    edges,
    node_roles,
)

__all__ = ["access", "backup", "bucket_policy", "compute", "data_protection", "data_stores", "edges", "node_roles"]
