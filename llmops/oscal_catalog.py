"""The control catalog (policies/runtime/controls.py) as an OSCAL catalog, built with compliance-trestle's models.

Three groups: our controls (`llmops`: what the packs check, each with the resource types it applies to as props
and a link to every clause it implements), the HIPAA Security Rule clauses (`hipaa`) and the GDPR articles
(`gdpr`) they cite, one OSCAL control each. The catalog ships with the packs as
`llmops_infra/policies/catalog/llmops-controls.json` (written by `python -m llmops_infra.cli.oscal_catalog`;
tests/test_evidence_oscal.py fails when it no longer matches controls.py), and `llmops evidence --format oscal`
names its controls. Everything in it is derived from the catalog data, so the same controls give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from trestle.oscal import OSCAL_VERSION
from trestle.oscal.catalog import Catalog, Control as OscalControl, Group2
from trestle.oscal.common import Link, Metadata, Part, Property

import llmops_infra.policies
from llmops_infra.policies.runtime.controls import CONTROLS, Control

CATALOG_FILE = Path(llmops_infra.policies.__file__).resolve().parent / "catalog" / "llmops-controls.json"
# The namespace of our own props (resource-type, label): a URI that names, and is never fetched.
NS = "urn:llmops-infra:oscal"
UUID_NS = uuid.UUID("0b6f4a52-0d0e-5b8c-9d3e-6c1f4b7a2e10")  # every uuid here and in the evidence: uuid5 of a name
# Bump with the controls (the version below changes by itself: it is a digest of them).
LAST_MODIFIED = datetime(2026, 12, 3, tzinfo=timezone.utc)

FRAMEWORKS = {
    "hipaa": "HIPAA Security Rule (45 CFR Part 164 Subpart C)",
    "gdpr": "GDPR (Regulation (EU) 2016/679)",
}


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NS, "\x1f".join(parts)))


def clause_id(framework: str, clause: str) -> str:
    """An OSCAL control id for a clause: `164.312(a)(2)(iv)` -> `hipaa-164.312.a.2.iv`, `Art. 44-49` ->
    `gdpr-art-44-49` (ids are tokens: no parentheses or spaces)."""
    token = re.sub(r"[^a-z0-9-]+", ".", clause.lower()).strip(".")
    return f"{framework}-{re.sub(r'^art[.]', 'art-', token)}"


def statement_id(control_id: str) -> str:
    """The id of a control's statement part: what a finding of the assessment results targets."""
    return f"{control_id}_smt"


def clauses(control: Control) -> list[tuple[str, str]]:
    return [("hipaa", c) for c in control.hipaa] + [("gdpr", c) for c in control.gdpr]


def _digest(controls: Iterable[Control]) -> str:
    data = [[c.id, c.title, list(c.hipaa), list(c.gdpr), list(c.resource_types)] for c in controls]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:12]


def _ours(control: Control) -> OscalControl:
    cited = clauses(control)
    cites = "; ".join(
        f"{'HIPAA' if framework == 'hipaa' else 'GDPR'} {', '.join(c for f, c in cited if f == framework)}"
        for framework in dict.fromkeys(f for f, _ in cited)
    )
    return OscalControl(
        id=control.id,
        title=control.title,
        class_="llmops-control",
        props=[Property(name="resource-type", ns=NS, value=t) for t in control.resource_types],
        links=[Link(href=f"#{clause_id(f, c)}", rel="implements", text=c) for f, c in cited],
        parts=[
            Part(
                id=statement_id(control.id),
                name="statement",
                prose=f"{control.title}, for every resource of the types this control lists. Cites {cites}.",
            )
        ],
    )


def _clause(framework: str, clause: str, controls: Sequence[Control]) -> OscalControl:
    by = ", ".join(c.id for c in controls)
    return OscalControl(
        id=clause_id(framework, clause),
        title=f"45 CFR {clause}" if framework == "hipaa" else clause,
        class_=f"{framework}-clause",
        props=[Property(name="label", ns=NS, value=clause)],
        parts=[Part(id=statement_id(clause_id(framework, clause)), name="statement", prose=f"Checked through: {by}.")],
    )


def build_catalog(controls: Sequence[Control] | None = None) -> Catalog:
    chosen = list(CONTROLS.values()) if controls is None else list(controls)
    groups = [
        Group2(id="llmops", title="llmops-infra controls", controls=[_ours(c) for c in chosen]),
    ]
    for framework, title in FRAMEWORKS.items():
        cited = dict.fromkeys(clause for c in chosen for f, clause in clauses(c) if f == framework)
        members = [
            _clause(framework, clause, [c for c in chosen if (framework, clause) in clauses(c)]) for clause in cited
        ]
        if members:
            groups.append(Group2(id=framework, title=title, controls=members))
    return Catalog(
        uuid=stable_uuid("catalog", "llmops-infra"),
        metadata=Metadata(
            title="llmops-infra control catalog: HIPAA Security Rule clauses and GDPR articles",
            last_modified=LAST_MODIFIED,
            version=f"controls-{_digest(chosen)}",
            oscal_version=OSCAL_VERSION,
        ),
        groups=groups,
    )


def catalog_json(catalog: Catalog | None = None) -> str:
    return (catalog or build_catalog()).oscal_serialize_json(pretty=True) + "\n"


def control_ids_of(catalog: Catalog) -> set[str]:
    return {c.id for g in catalog.groups or () for c in getattr(g, "controls", None) or ()}


def main(argv: Sequence[str] = ()) -> int:
    """Write the shipped catalog (or the file given) from controls.py."""
    target = Path(argv[0]) if argv else CATALOG_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(catalog_json(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
