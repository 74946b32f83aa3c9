"""The control catalog (docs/controls.md) as data: what each control is and the clauses it implements.

A rule names its control; its clauses come from here, so a clause is stated once for every rule of a control.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    hipaa: tuple[str, ...]  # 45 CFR Part 164 sections
    gdpr: tuple[str, ...]  # Regulation (EU) 2016/679 articles


CONTROLS: dict[str, Control] = {
    c.id: c
    for c in (
        Control(
            "encryption-at-rest",
            "Data stores encrypted with a customer-managed key",
            ("164.312(a)(2)(iv)", "164.312(e)(2)(ii)"),
            ("Art. 32(1)(a)",),
        ),
        Control(
            "key-rotation",
            "Encryption keys rotate and are not deleted hastily",
            ("164.312(a)(2)(iv)",),
            ("Art. 32(1)(a)",),
        ),
        Control(
            "encryption-in-transit",
            "Data in transit protected with TLS",
            ("164.312(e)(1)", "164.312(e)(2)(i)"),
            ("Art. 32(1)(a)",),
        ),
        Control(
            "no-public-access",
            "No public access to data or nodes",
            ("164.312(a)(1)", "164.312(e)(1)"),
            ("Art. 25", "Art. 32"),
        ),
        Control(
            "network-isolation",
            "Networks closed by default, flows logged",
            ("164.312(e)(1)", "164.312(b)"),
            ("Art. 32",),
        ),
        Control(
            "audit-logging",
            "Control-plane and data access is logged",
            ("164.312(b)", "164.308(a)(1)(ii)(D)"),
            ("Art. 30", "Art. 33"),
        ),
        Control("log-retention", "Logs kept long enough, and not forever", ("164.316(b)(2)(i)",), ("Art. 5(1)(e)",)),
        Control(
            "data-lifecycle",
            "Versioned data with declared expiry",
            ("164.312(c)(1)", "164.308(a)(7)(ii)(A)"),
            ("Art. 5(1)(e)", "Art. 32(1)(c)"),
        ),
        Control(
            "least-privilege", "No wildcard or admin grants", ("164.312(a)(1)", "164.308(a)(4)"), ("Art. 25", "Art. 32")
        ),
        Control(
            "k8s-rbac", "Kubernetes RBAC without escalation paths", ("164.308(a)(4)", "164.312(a)(1)"), ("Art. 25",)
        ),
        Control(
            "k8s-pod-security", "Workloads meet Pod Security Standards restricted", ("164.312(a)(1)",), ("Art. 32",)
        ),
        Control(
            "backup",
            "PHI stores recoverable and protected from deletion",
            ("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"),
            ("Art. 32(1)(c)",),
        ),
        Control("data-residency", "Personal data stays in allowed regions", (), ("Art. 44-49",)),
        Control(
            "records-of-processing",
            "Data stores and clusters say whose, what for and what data",
            ("164.308(a)(1)(ii)(A)",),
            ("Art. 30",),
        ),
    )
}
