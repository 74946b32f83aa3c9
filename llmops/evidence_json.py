"""`llmops evidence --format json`: the evidence for scripts. Its keys are a contract: add, never rename."""

from __future__ import annotations

import json
from typing import Any

from llmops_infra.cli.evidence import (
    ClauseEvidence,
    ControlEvidence,
    Counts,
    Evidence,
    PolicyCheck,
    ResourceVerdict,
    StackEvidence,
)

FORMAT_VERSION = 1


def counts_json(counts: Counts) -> dict[str, int]:
    return {
        "inScope": counts.in_scope,
        "pass": counts.passed,
        "fail": counts.failed,
        "notJudged": counts.not_judged,
        "notApplicable": counts.not_applicable,
    }


def _check(check: PolicyCheck) -> dict[str, Any]:
    return {
        "pack": check.pack,
        "policy": check.policy,
        "enforcement": check.enforcement,
        "verdict": check.verdict,
        "messages": list(check.messages),
        "reason": check.reason,
    }


def _resource(resource: ResourceVerdict) -> dict[str, Any]:
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "verdict": resource.verdict,
        "by": [f"{c.pack}/{c.policy}" for c in resource.deciding],
        "detail": resource.detail,
        "checks": [_check(c) for c in resource.checks],
    }


def _control(control: ControlEvidence) -> dict[str, Any]:
    return {
        "control": control.control,
        "title": control.title,
        "clauses": [{"framework": c.framework, "ref": c.ref, "label": c.label} for c in control.clauses],
        "policies": list(control.policies),
        "counts": counts_json(control.counts),
        "resources": [_resource(r) for r in control.resources],
    }


def _clause(clause: ClauseEvidence) -> dict[str, Any]:
    return {
        "framework": clause.clause.framework,
        "ref": clause.clause.ref,
        "label": clause.clause.label,
        "controls": list(clause.controls),
        "counts": counts_json(clause.counts),
    }


def _stack(stack: StackEvidence) -> dict[str, Any]:
    return {
        "stack": stack.stack,
        "source": stack.source,
        "packSource": stack.pack_source,
        "packs": list(stack.packs),
        "status": stack.status,
        "resources": stack.resources,
        "counts": counts_json(stack.counts),
        "mandatoryFailures": stack.mandatory_failures,
        "controls": [_control(c) for c in stack.controls],
        "clauses": [_clause(c) for c in stack.clauses],
        "otherViolations": list(stack.other_violations),
    }


def to_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "evidenceFormat": FORMAT_VERSION,
        "generatedAt": evidence.generated_at.isoformat(),
        "commit": {"sha": evidence.commit, "dirty": evidence.dirty},
        "tool": {"name": "llmops-infra", "version": evidence.tool_version},
        "packs": [{"name": p.name, "version": p.version, "sdkVersion": p.sdk_version} for p in evidence.packs],
        "policyConfig": {
            "source": evidence.policy_config.source,
            "settings": [
                {"policy": s.policy, "enforcementLevel": s.enforcement, "parameters": json.loads(s.parameters)}
                for s in evidence.policy_config.settings
            ],
        },
        "summary": {
            "stacks": len(evidence.stacks),
            "counts": counts_json(evidence.counts),
            "mandatoryFailures": evidence.mandatory_failures,
        },
        "stacks": [_stack(s) for s in evidence.stacks],
        "policies": [
            {
                "pack": d.pack,
                "policy": d.name,
                "control": d.control,
                "clauses": list(d.clauses),
                "severity": d.severity,
                "enforcement": d.enforcement,
                "description": d.description,
            }
            for d in evidence.policies
        ],
        "controls": [
            {
                "id": c.id,
                "title": c.title,
                "hipaa": list(c.hipaa),
                "gdpr": list(c.gdpr),
                "resourceTypes": list(c.resource_types),
            }
            for c in evidence.controls
        ],
    }


def render(evidence: Evidence) -> str:
    return json.dumps(to_json(evidence), indent=2, ensure_ascii=False) + "\n"
