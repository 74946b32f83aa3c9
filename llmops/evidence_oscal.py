"""`llmops evidence --format oscal`: an OSCAL Assessment Results document, built with compliance-trestle's models and
checked by loading it back with them.

- one result per stack judged by packs, reviewing the controls of the shipped catalog
  (llmops_infra/policies/catalog/llmops-controls.json, oscal_catalog.py) its packs check;
- every resource in scope of a control is an inventory item of the result, and each (control, resource) an
  observation with its verdict (pass, fail, not judged, not applicable), the policies that gave it and their
  messages or reasons;
- each (control, resource) judged, that is with the verdict pass or fail, is also a finding on the control's
  statement: satisfied (pass) or not satisfied (fail). Not judged and not applicable are observations only: an
  OSCAL objective status has no state for them.
- the assessment plan the results import is described in the back matter (the packs, their versions and the policy
  config), as is the catalog (its file and SHA-256).

Every uuid is derived from what it names (uuid5), so with the same commit, time (SOURCE_DATE_EPOCH) and stacks the
document is the same byte for byte.
"""

from __future__ import annotations

import hashlib
import json

from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults, ImportAp, LocalDefinitions1, Result
from trestle.oscal.common import (
    BackMatter,
    ControlSelections,
    Finding,
    FindingTarget,
    Hash,
    InventoryItem,
    Metadata,
    ObjectiveStatus,
    Observation,
    Property,
    RelatedObservation,
    Resource,
    ReviewedControls,
    Rlink,
    SelectControlById,
    SubjectReference,
)

from llmops_infra.cli.evidence import VERDICT_LABELS, ControlEvidence, Counts, Evidence, ResourceVerdict, StackEvidence
from llmops_infra.cli.oscal_catalog import CATALOG_FILE, NS, catalog_json, stable_uuid, statement_id

ALIAS = "assessment-results"
JUDGED = ("pass", "fail")  # the verdicts that are findings


def _prop(name: str, value: str) -> Property | None:
    text = " ".join(value.split())
    return Property(name=name, ns=NS, value=text) if text else None


def _props(*pairs: tuple[str, str]) -> list[Property]:
    return [p for name, value in pairs if (p := _prop(name, value)) is not None]


def _count_props(counts: Counts) -> list[Property]:
    return _props(
        ("in-scope", str(counts.in_scope)),
        ("pass", str(counts.passed)),
        ("fail", str(counts.failed)),
        ("not-judged", str(counts.not_judged)),
        ("not-applicable", str(counts.not_applicable)),
    )


def _observation(evidence: Evidence, stack: StackEvidence, control: ControlEvidence, r: ResourceVerdict) -> Observation:
    by = ", ".join(f"{c.pack}/{c.policy}" for c in r.deciding) or "no policy"
    detail = r.detail
    description = f"{VERDICT_LABELS[r.verdict].capitalize()} ({by})" + (f": {detail}" if detail else ".")
    return Observation(
        uuid=stable_uuid(stack.stack, control.control, r.urn, "observation"),
        title=f"{control.control}: {r.name or r.urn}: {VERDICT_LABELS[r.verdict]}",
        description=description,
        props=_props(("verdict", r.verdict), ("control", control.control), *(("policy", p) for p in by.split(", "))),
        methods=["TEST"],
        types=["finding"] if r.verdict in JUDGED else ["control-objective"],
        subjects=[
            SubjectReference(
                subject_uuid=stable_uuid(stack.stack, r.urn, "resource"),
                type="inventory-item",
                title=r.name or r.urn,
            )
        ],
        collected=evidence.generated_at,
    )


def _finding(stack: StackEvidence, control: ControlEvidence, r: ResourceVerdict) -> Finding:
    satisfied = r.verdict == "pass"
    by = ", ".join(f"{c.pack}/{c.policy}" for c in r.deciding)
    return Finding(
        uuid=stable_uuid(stack.stack, control.control, r.urn, "finding"),
        title=f"{control.control} on {r.name or r.urn}",
        description=(f"{r.urn} {'satisfies' if satisfied else 'does not satisfy'} {control.control} ({by})")
        + (f": {r.detail}" if r.detail and not satisfied else "."),
        props=_props(("resource", r.urn), ("resource-type", r.type)),
        target=FindingTarget(
            type="statement-id",
            target_id=statement_id(control.control),
            title=control.title,
            status=ObjectiveStatus(state="satisfied" if satisfied else "not-satisfied", reason=r.verdict),
        ),
        related_observations=[
            RelatedObservation(observation_uuid=stable_uuid(stack.stack, control.control, r.urn, "observation"))
        ],
    )


def _reviewed(controls: list[str]) -> ReviewedControls:
    selected = [SelectControlById(control_id=c) for c in controls]
    return ReviewedControls(control_selections=[ControlSelections(include_controls=selected)])


def _result(evidence: Evidence, stack: StackEvidence) -> Result:
    in_scope: dict[str, ResourceVerdict] = {}
    for control in stack.controls:
        for r in control.resources:
            in_scope.setdefault(r.urn, r)
    items = [
        InventoryItem(
            uuid=stable_uuid(stack.stack, urn, "resource"),
            description=urn,
            props=_props(("resource-type", r.type), ("resource-name", r.name)),
        )
        for urn, r in in_scope.items()
    ]
    observations = [_observation(evidence, stack, c, r) for c in stack.controls for r in c.resources]
    findings = [_finding(stack, c, r) for c in stack.controls for r in c.resources if r.verdict in JUDGED]
    counts = stack.counts
    return Result(
        uuid=stable_uuid("result", stack.stack),
        title=f"stack {stack.stack}",
        description=(
            f"{stack.source}: {stack.resources} resources, judged by {', '.join(stack.packs)} over "
            f"{len(stack.controls)} controls: {counts.in_scope} (control, resource) pairs in scope, {counts.passed} "
            f"pass, {counts.failed} fail, {counts.not_judged} not judged, {counts.not_applicable} not applicable."
        ),
        start=evidence.generated_at,
        end=evidence.generated_at,
        props=[*_props(("stack", stack.stack), ("pack-source", stack.pack_source)), *_count_props(counts)],
        local_definitions=LocalDefinitions1(inventory_items=items) if items else None,
        reviewed_controls=_reviewed([c.control for c in stack.controls]),
        observations=observations or None,
        findings=findings or None,
        remarks="\n".join(stack.other_violations) or None,
    )


def _back_matter(evidence: Evidence) -> BackMatter:
    catalog = catalog_json()
    config = evidence.policy_config
    packs = ", ".join(f"{p.name} {p.version} (pulumi-policy {p.sdk_version or 'unknown'})" for p in evidence.packs)
    plan = Resource(
        uuid=stable_uuid("assessment-plan", evidence.commit, evidence.generated_at.isoformat()),
        title="llmops evidence: the policy packs run offline over the stacks' programs (Pulumi's analyzer protocol)",
        description=f"Packs: {packs or 'none'}. Policy config: {config.source or 'none (the packs defaults)'}.",
        props=[
            *_props(*(("pack", f"{p.name} {p.version}") for p in evidence.packs)),
            *_props(*(("policy-config", f"{s.policy} {s.enforcement or '-'} {s.parameters}") for s in config.settings)),
        ]
        or None,
    )
    shipped = Resource(
        uuid=stable_uuid("catalog-resource"),
        title="llmops-infra control catalog (OSCAL), shipped with the packs",
        rlinks=[
            Rlink(
                href="llmops_infra/policies/catalog/" + CATALOG_FILE.name,
                media_type="application/oscal.catalog+json",
                hashes=[Hash(algorithm="SHA-256", value=hashlib.sha256(catalog.encode()).hexdigest())],
            )
        ],
    )
    return BackMatter(resources=[plan, shipped])


def build(evidence: Evidence) -> AssessmentResults:
    judged = [s for s in evidence.stacks if s.controls]
    unchecked = [s.stack for s in evidence.stacks if not s.packs]
    back = _back_matter(evidence)
    results = [_result(evidence, s) for s in judged]
    if not results:
        results = [
            Result(
                uuid=stable_uuid("result", "none"),
                title="no stack judged",
                description="No stack was judged by a pack: there is nothing to assess.",
                start=evidence.generated_at,
                reviewed_controls=_reviewed([c.id for c in evidence.controls]),
            )
        ]
    names = [s.stack for s in evidence.stacks]
    metadata = Metadata(
        title=f"llmops evidence: HIPAA and GDPR controls of {', '.join(names) or 'no stack'}",
        last_modified=evidence.generated_at,
        version=f"{evidence.tool_version}+{evidence.commit[:12]}" if evidence.commit else evidence.tool_version,
        oscal_version=OSCAL_VERSION,
        props=_props(
            ("commit", evidence.commit or "unknown"),
            ("commit-dirty", "unknown" if evidence.dirty is None else str(evidence.dirty).lower()),
            ("tool", f"llmops-infra {evidence.tool_version}"),
            *(("unchecked-stack", s) for s in unchecked),
        ),
    )
    return AssessmentResults(
        uuid=stable_uuid("assessment-results", evidence.commit, evidence.generated_at.isoformat(), *names),
        metadata=metadata,
        import_ap=ImportAp(href=f"#{back.resources[0].uuid}"),
        results=results,
        back_matter=back,
    )


def render(evidence: Evidence) -> str:
    document = build(evidence)
    text = document.oscal_serialize_json(pretty=True) + "\n"
    AssessmentResults.model_validate(json.loads(text)[ALIAS])  # what a reader of the file gets, validated again
    return text
