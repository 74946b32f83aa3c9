"""AWS rules: data protection (data_protection.py) and access (access.py)."""

from llmops_infra.policies.rules.aws import access, data_protection

__all__ = ["access", "data_protection"]
