"""`llmops check --format sarif`: the report as SARIF 2.1.0, in the subset GitHub code scanning accepts.

Choices that follow from how GitHub reads the file:
- one rule per policy, id `<pack>/<policy>`, because the same rule name can sit in two packs (HIPAA and GDPR
  select from one rule library) and GitHub requires rule ids unique within a run;
- `security-severity` on every rule, tagged `security`, since GitHub only ranks alerts of security rules by it;
- every result points at the stack's config file, line 1: a stack has no better line to blame, and GitHub
  rejects a result without a region;
- our own `partialFingerprints` key, a hash of what identifies the violation (never of its position), so an
  alert survives edits elsewhere in the file, and two violations on the same line stay two alerts.
  `primaryLocationLineHash` is left to GitHub, which computes it from the file and complains when it differs.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from llmops_infra.cli.check_report import advisory_count, md_escape, ordered
from llmops_infra.cli.findings import CheckReport, PolicyDoc, StackResult, Violation

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "llmopsViolation/v1"

# GitHub reads security-severity as a CVSS-like score: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
RULE_LEVEL = {"mandatory": "error", "advisory": "warning", "disabled": "none"}
PROBLEM_SEVERITY = {"mandatory": "error", "advisory": "warning", "disabled": "recommendation"}


def rule_id(pack: str, policy: str) -> str:
    return f"{pack}/{policy}"


def result_level(violation: Violation) -> str:
    return "error" if violation.mandatory else "warning"


def fingerprint(stack: str, violation: Violation) -> str:
    """Stable across runs for the same violation, different for any other one.

    The stack name is part of it because a stack policy may report with no resource urn. The message is
    whole, not a prefix: two violations of one policy on one resource differ only by their message.
    """
    parts = (stack, violation.pack, violation.policy, violation.urn, " ".join(violation.message.split()))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def artifact_uri(source: str) -> str:
    # Repository-relative with forward slashes is what GitHub maps onto the checkout; characters that are
    # not allowed in a URI reference (spaces, %) are percent-encoded, everything else is left as written.
    return quote(source.replace("\\", "/"), safe="/:@!$&'()*+,;=-._~")


def _tags(control: str, pack: str, clauses: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(tag for tag in ("security", control, pack, *clauses) if tag))


def _rule(doc: PolicyDoc) -> dict[str, Any]:
    summary = doc.description or doc.name
    clauses = ", ".join(doc.clauses)
    full = f"{summary} Clauses: {clauses}." if clauses else summary
    remediation = doc.remediation or "See the policy pack's documentation."
    help_text = f"{remediation}\nControl: {doc.control or '-'}. Clauses: {clauses or '-'}."
    help_markdown = (
        f"**Remediation:** {md_escape(remediation)}\n\n"
        f"**Control:** {md_escape(doc.control or '-')}  \n**Clauses:** {md_escape(clauses or '-')}"
    )
    properties: dict[str, Any] = {
        "tags": _tags(doc.control, doc.pack, doc.clauses),
        "precision": "high",
        "problem.severity": PROBLEM_SEVERITY.get(doc.enforcement, "warning"),
    }
    if doc.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[doc.severity]
    configuration: dict[str, Any] = {"level": RULE_LEVEL.get(doc.enforcement, "warning")}
    if doc.enforcement == "disabled":
        configuration["enabled"] = False
    return {
        "id": rule_id(doc.pack, doc.name),
        "name": doc.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": configuration,
        "properties": properties,
    }


def _result(stack: StackResult, violation: Violation, index: int) -> dict[str, Any]:
    text = " ".join(violation.message.split()) or violation.policy
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(stack.source)},
            "region": {"startLine": 1},
        }
    }
    if violation.urn:
        text = f"{text} (resource {violation.urn})"
        location["logicalLocations"] = [
            {"kind": "resource", "name": violation.name, "fullyQualifiedName": violation.urn}
        ]
    return {
        "ruleId": rule_id(violation.pack, violation.policy),
        "ruleIndex": index,
        "level": result_level(violation),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(stack.stack, violation)},
        "properties": {
            "stack": stack.stack,
            "enforcement": violation.enforcement,
            "severity": violation.severity,
            "control": violation.control,
            "clauses": list(violation.clauses),
            "resourceType": violation.type,
        },
    }


def to_sarif(report: CheckReport, tool_version: str) -> dict[str, Any]:
    docs: list[PolicyDoc] = []
    index: dict[str, int] = {}
    for doc in report.policies:
        key = rule_id(doc.pack, doc.name)
        if key not in index:
            index[key] = len(docs)
            docs.append(doc)
    results: list[dict[str, Any]] = []
    for stack in report.stacks:
        for violation in ordered(stack.violations):
            key = rule_id(violation.pack, violation.policy)
            if key not in index:
                index[key] = len(docs)
                docs.append(PolicyDoc.undescribed(violation))
            results.append(_result(stack, violation, index[key]))
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "llmops", "version": tool_version, "rules": [_rule(d) for d in docs]}},
                "results": results,
                "properties": {
                    "passed": report.passed,
                    "stacks": [
                        {
                            "stack": s.stack,
                            "source": s.source,
                            "resources": s.resources,
                            "packs": list(s.packs),
                            "packSource": s.pack_source,
                            "status": s.status,
                            "mandatory": s.mandatory,
                            "advisory": advisory_count(s),
                        }
                        for s in report.stacks
                    ],
                },
            }
        ],
    }
