"""The rule library: one function per rule, by cloud. Importing it registers every rule module's rules in RULES.

aws/, gcp/ and kubernetes/ hold the rules of one cloud each; cross_cloud.py the rules that judge AWS and GCP
resources alike (log retention, deletion protection, records of processing) and residency.py GDPR data
residency. The engine they run on (the rule model, the pack builder, stack linking, property readers, resource
tables) is llmops_infra.policies.runtime.
"""

import sys

from llmops_infra.policies.rules import aws, cross_cloud, gcp, kubernetes, residency
from llmops_infra.policies.runtime import (
    controls,
    iam_policy,
    pack,
    props,
    regions,
    resources,
    rule,
    sdk_speedups,
    stack,
)
from llmops_infra.policies.runtime.rule import RULES, Resource, Rule, Settings

__all__ = ["RULES", "Resource", "Rule", "Settings", "aws", "cross_cloud", "gcp", "kubernetes", "residency"]

# Where modules of this package lived before the runtime moved out (issue 11), for code outside the library that
# still imports them by the old name (llmops_infra.policies.rules.rule, .pack, .aws_data ...). New code imports
# llmops_infra.policies.runtime and the rule modules above; remove an entry once nothing imports its old name.
_MOVED = {
    "controls": controls,
    "iam_policy": iam_policy,
    "pack": pack,
    "props": props,
    "regions": regions,
    "resources": resources,
    "rule": rule,
    "sdk_speedups": sdk_speedups,
    "stack": stack,
    "aws_access": aws.access,
    "aws_data": aws.data_protection,
}
for _old, _module in _MOVED.items():
    sys.modules.setdefault(f"{__name__}.{_old}", _module)
