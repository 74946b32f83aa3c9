"""AWS rules: data protection (data_protection.py), access (access.py), edges: what may face the internet
(edges.py), public bucket policies (bucket_policy.py), EKS node roles (node_roles.py) and backup plans
(backup.py)."""

from llmops_infra.policies.rules.aws import access, backup, bucket_policy, data_protection, edges, node_roles

__all__ = ["access", "backup", "bucket_policy", "data_protection", "edges", "node_roles"]
