"""The rule library: one function per rule, by cloud. Importing it registers every rule module's rules in RULES.

aws/, gcp/ and kubernetes/ hold the rules of one cloud each; cross_cloud.py the rules that judge AWS and GCP
resources alike (log retention, deletion protection, records of processing) and residency.py GDPR data
residency. The engine they run on (the rule model, the pack builder, stack linking, property readers, resource
tables) is llmops_infra.policies.runtime.
"""

from llmops_infra.policies.rules import aws, cross_cloud, gcp, kubernetes, residency
from llmops_infra.policies.runtime.rule import RULES, Resource, Rule, Settings

__all__ = ["RULES", "Resource", "Rule", "Settings", "aws", "cross_cloud", "gcp", "kubernetes", "residency"]
