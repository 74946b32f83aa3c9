"""Values in messages as the user wrote them (policies/runtime/props.py: shown): true/false/null, 7 not 7.0.

The analyzer protocol carries every number as a float and Python spells booleans and None its own way; a message
quotes a value the way the user's YAML or JSON has it. One message per kind of value shows the rules use it.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from pulumi_policy.proxy import unknown_checking_proxy

from llmops_infra.policies.runtime.props import shown
from tests.rule_judging import violations


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (7.0, "7"),
        (443.0, "443"),
        (-1.0, "-1"),
        (0.5, "0.5"),
        (7, "7"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        ("AES256", '"AES256"'),
        ("", '""'),
        ([1.0, True, None, "x"], '[1, true, null, "x"]'),
        ({"enabled": False, "days": 30.0}, '{"enabled": false, "days": 30}'),
        ((), "[]"),
    ],
)
def test_shown_writes_values_as_json_and_yaml_do(value: Any, text: str) -> None:
    assert shown(value) == text


def test_shown_reads_pulumi_policy_proxies_as_the_maps_and_lists_they_are() -> None:
    props = unknown_checking_proxy({"ports": [443.0, 8443.0], "tls": {"enabled": True}})
    assert shown(props) == '{"ports": [443, 8443], "tls": {"enabled": true}}'


POD = {"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}}


def test_a_boolean_is_true_not_True() -> None:
    pod = {"spec": {"template": {"spec": {"hostNetwork": True, "containers": [{"name": "app"}]}}}}
    [message] = violations("k8s-pod-no-host-access", "kubernetes:apps/v1:Deployment", pod)
    assert "sets hostNetwork true in its pod template" in message and "True" not in message


def test_null_is_null_not_None() -> None:
    [message] = violations("k8s-pod-seccomp", "kubernetes:apps/v1:Deployment", POD)
    assert "seccompProfile.type null" in message and "None" not in message


def test_a_whole_float_is_written_without_its_fraction() -> None:
    [message] = violations("kms-key-deletion-window", "aws:kms/key:Key", {"deletionWindowInDays": 7.0})
    assert message == "KMS key subject deletionWindowInDays is 7, under 30 days"
    pod = {"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [{"hostPort": 8080.0}]}]}}}}
    [message] = violations("k8s-pod-no-host-access", "kubernetes:apps/v1:Deployment", pod)
    assert message.endswith("container app binds hostPort 8080")
