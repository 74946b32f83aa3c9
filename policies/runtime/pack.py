"""Turn a selection of rules into a CrossGuard policy pack (pulumi_policy), the same for every framework.

Each rule becomes one policy named as the rule, carrying its severity, framework clauses and remediation in
pulumi_policy's own fields, and a config schema with the parameters it reads. The validate callbacks convert
pulumi_policy's arguments into the rule library's Resource and hand them to `judge` / `judge_stack`, so
unknown preview values are handled in one place: the violations are reported, and a resource that could not be
judged or that the rule does not apply to is answered "not applicable" with a reason that says which
(policies/runtime/verdicts.py), never as a violation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from llmops_infra.policies.runtime import sdk_speedups
from llmops_infra.policies.runtime.rule import (
    PARAMETERS,
    RULES,
    Framework,
    Resource,
    Rule,
    Settings,
    settings_from,
)
from llmops_infra.policies.runtime.verdicts import judge, judge_stack, resource_answer, stack_answer

FRAMEWORK_NAMES: dict[Framework, str] = {"hipaa": "HIPAA Security Rule", "gdpr": "GDPR"}
FRAMEWORK_SPECS: dict[Framework, str] = {"hipaa": "45 CFR Part 164 Subpart C", "gdpr": "Regulation (EU) 2016/679"}


def description(rule: Rule, framework: Framework) -> str:
    """What `pulumi preview` prints beside a violation: the control and clauses travel with the message."""
    clauses = ", ".join(rule.clauses(framework)) or "n/a"
    return f"[{rule.control}] {rule.description} ({framework.upper()} {clauses})"


def _config_schema(rule: Rule) -> PolicyConfigSchema | None:
    if not rule.parameters:
        return None
    return PolicyConfigSchema(properties={key: PARAMETERS[key][1] for key in rule.parameters})


def _provider_props(provider: Any) -> Mapping[str, Any] | None:
    return getattr(provider, "props", None) if provider is not None else None


def _resource_validator(rule: Rule, defaults: Settings):
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = Resource(args.resource_type, args.name, args.urn, args.props, "", _provider_props(args.provider))
        judgement = judge(rule, resource, settings_from(args.get_config(), defaults))
        for message in judgement.messages:
            report(message, args.urn)
        answer = resource_answer(judgement)  # not judged, or not applicable: said, and never a violation
        if answer is not None:
            args.not_applicable(answer)

    return validate


def _stack_validator(rule: Rule, defaults: Settings):
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            Resource(
                r.resource_type,
                r.name,
                r.urn,
                r.props,
                r.parent.urn if r.parent is not None else "",
                _provider_props(r.provider),
                {key: [d.urn for d in deps] for key, deps in (r.property_dependencies or {}).items()},
            )
            for r in args.resources
            if rule.applies_to(r.resource_type)  # a stack rule sees only its subjects and their companions
        ]
        judgements = judge_stack(rule, resources, settings_from(args.get_config(), defaults))
        for subject, judgement in judgements:
            for message in judgement.messages:
                report(message, subject.urn)
        answer = stack_answer(judgements)  # after the violations, which the SDK has already kept
        if answer is not None:
            args.not_applicable(answer)

    return validate


def policy_for(
    rule: Rule, framework: Framework, defaults: Settings
) -> ResourceValidationPolicy | StackValidationPolicy:
    common: dict[str, Any] = {
        "name": rule.name,
        "description": description(rule, framework),
        "config_schema": _config_schema(rule),
        "severity": Severity(rule.severity),
        "framework": PolicyComplianceFramework(
            name=FRAMEWORK_NAMES[framework],
            specification=FRAMEWORK_SPECS[framework],
            reference=", ".join(rule.clauses(framework)),
        ),
        "tags": [rule.control],
        "remediation_steps": rule.remediation,
    }
    if rule.scope == "stack":
        return StackValidationPolicy(validate=_stack_validator(rule, defaults), **common)
    return ResourceValidationPolicy(validate=_resource_validator(rule, defaults), **common)


def rules_for(framework: Framework) -> list[Rule]:
    import llmops_infra.policies.rules  # noqa: F401 - registers every rule module

    return sorted((r for r in RULES.values() if framework in r.frameworks), key=lambda r: (r.control, r.name))


def stack_config(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The stack's config as the Pulumi CLI passes it to a pack process (PULUMI_CONFIG, a JSON object)."""
    try:
        config = json.loads(environ.get("PULUMI_CONFIG") or "{}")
    except ValueError:
        return {}
    return {k: v for k, v in config.items() if isinstance(v, str)} if isinstance(config, dict) else {}


def build_pack(name: str, framework: Framework, defaults: Settings | None = None) -> PolicyPack:
    """The CrossGuard pack for a framework: every rule selected for it, mandatory unless configured otherwise."""
    if defaults is None:
        defaults = Settings(stack_config=stack_config())
    rules = rules_for(framework)
    sdk_speedups.install(stack_types={t for r in rules if r.scope == "stack" for t in r.resource_types})
    return PolicyPack(
        name=name,
        policies=sdk_speedups.PolicyList(
            (policy_for(rule, framework, defaults) for rule in rules),
            types={rule.name: rule.resource_types for rule in rules},
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        description=f"llmops-infra {FRAMEWORK_NAMES[framework]} controls, checked at preview time",
    )
