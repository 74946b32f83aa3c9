"""The rule library: importing it registers every rule module's rules in RULES."""

from llmops_infra.policies.rules import aws_access, aws_data, gcp, kubernetes, residency  # noqa: F401 - each registers its rules
from llmops_infra.policies.rules.rule import RULES, Resource, Rule, Settings

__all__ = ["RULES", "Resource", "Rule", "Settings"]
