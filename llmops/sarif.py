"""`llmops check --format sarif`: the report as SARIF 2.1.0, in the subset GitHub code scanning accepts.

Choices that follow from how GitHub reads the file:
- one rule per policy, id `<pack>/<policy>`, because the same rule name can sit in two packs (HIPAA and GDPR
  select from one rule library) and GitHub requires rule ids unique within a run;
- `security-severity` on every rule, tagged `security`, since GitHub only ranks alerts of security rules by it;
- a result points at the line that created its resource (llmops/locations.py: the SDK's source position of each
  registration), relative to the repository root (uriBaseId %SRCROOT%); the lines that called that code, up to
  the stack program, and the config key its judged value came from are related locations, each linked from the
  message (GitHub shows a related location through a link in the message). A result of which nothing is known (a
  stack policy, an export without source positions) points at the stack's file, line 1, as GitHub rejects a
  result without a region;
- our own `partialFingerprints` key, a hash of what identifies the violation (never of its position), so an
  alert survives edits elsewhere in the file, and two violations on the same line stay two alerts.
  `primaryLocationLineHash` is left to GitHub, which computes it from the file and complains when it differs.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from llmops_infra.cli.check_report import advisory_count, md_escape, ordered
from llmops_infra.cli.findings import CheckReport, Location, PolicyDoc, StackResult, Violation

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "llmopsViolation/v1"
SRCROOT = "%SRCROOT%"  # GitHub resolves a uri relative to it against the checkout: the repository root

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


def _physical(where: Location) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": artifact_uri(where.file), "uriBaseId": SRCROOT},
        "region": {"startLine": where.line},
    }


def _link_text(where: Location) -> str:
    return where.key if where.kind == "config" else f"{where.file}:{where.line}"


def _related_message(where: Location) -> str:
    if where.kind == "config":
        return f"{where.key} in {where.file}: the config value the finding comes from"
    return f"{where.file}:{where.line}: called the code that created the resource"


def link_escape(text: str) -> str:
    """Message text with embedded links: a literal backslash or square bracket is escaped (SARIF 3.11.6)."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _result(stack: StackResult, violation: Violation, index: int) -> dict[str, Any]:
    text = " ".join(violation.message.split()) or violation.policy
    own, *related = violation.locations or (None,)
    physical = (
        _physical(own)
        if own is not None
        else {"artifactLocation": {"uri": artifact_uri(stack.source)}, "region": {"startLine": 1}}
    )
    location: dict[str, Any] = {"physicalLocation": physical}
    if violation.urn:
        text = f"{text} (resource {violation.urn})"
        location["logicalLocations"] = [
            {"kind": "resource", "name": violation.name, "fullyQualifiedName": violation.urn}
        ]
    result: dict[str, Any] = {
        "ruleId": rule_id(violation.pack, violation.policy),
        "ruleIndex": index,
        "level": result_level(violation),
        "message": {"text": text},
        "locations": [location],
    }
    if related:
        result["relatedLocations"] = [
            {"id": i, "physicalLocation": _physical(where), "message": {"text": _related_message(where)}}
            for i, where in enumerate(related, 1)
        ]
        calls = [f"[{link_escape(_link_text(w))}]({i})" for i, w in enumerate(related, 1) if w.kind != "config"]
        values = [f"[{link_escape(_link_text(w))}]({i})" for i, w in enumerate(related, 1) if w.kind == "config"]
        text = link_escape(text)
        if calls:
            text += f" Called from {', '.join(calls)} (innermost first)."
        if values:
            text += f" Value from {', '.join(values)}."
        result["message"] = {"text": text}
    return {
        **result,
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
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The root of the repository (its git top level)."}}
                },
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
