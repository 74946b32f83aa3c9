"""The text, JSON and markdown reports of `llmops check`, from hand-built CheckReports.

The fixture has two stacks with violations from two packs (mandatory and advisory, with the same policy name in
both packs) and one clean stack; its violations are listed out of order on purpose.
"""

from __future__ import annotations

import re

from llmops_infra.cli.check_report import md_cell, to_json, to_markdown, to_text
from llmops_infra.cli.findings import CheckReport, PolicyDoc, StackResult, Violation

HIPAA, GDPR = "llmops-hipaa", "llmops-gdpr"
BUCKET_URN = "urn:pulumi:prod-hipaa::llmops-infra::llmops:aws:EncryptedBucket$aws:s3/bucket:Bucket::models"
CRB_URN = (
    "urn:pulumi:prod-hipaa::llmops-infra::kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding::everyone-admin"
)
LOGS_URN = "urn:pulumi:prod-hipaa::llmops-infra::aws:cloudwatch/logGroup:LogGroup::eks-logs"
GDPR_BUCKET_URN = "urn:pulumi:prod-gdpr::llmops-infra::aws:s3/bucket:Bucket::datasets"

# Text that breaks a markdown table or line-oriented output if it is not escaped.
TRICKY_MESSAGE = "retention 30 | 2192 days\nAction '*' on Resource '*'"


def doc(pack: str, name: str, control: str, clauses: tuple[str, ...], severity: str, enforcement: str) -> PolicyDoc:
    return PolicyDoc(
        pack=pack,
        name=name,
        description=f"[{control}] {name} description",
        control=control,
        clauses=clauses,
        severity=severity,
        remediation=f"Fix {name} in {pack}.",
        enforcement=enforcement,
    )


POLICIES = (
    doc(HIPAA, "s3-bucket-kms-encrypted", "encryption-at-rest", ("164.312(a)(2)(iv)",), "high", "mandatory"),
    doc(HIPAA, "rbac-no-cluster-admin", "k8s-rbac", ("164.308(a)(4)", "164.312(a)(1)"), "critical", "mandatory"),
    doc(HIPAA, "log-retention-minimum", "log-retention", ("164.316(b)(2)(i)",), "medium", "advisory"),
    doc(HIPAA, "flow-logs-enabled", "network-isolation", ("164.312(b)",), "medium", "disabled"),
    doc(GDPR, "s3-bucket-kms-encrypted", "encryption-at-rest", ("Art. 32(1)(a)",), "high", "mandatory"),
    doc(GDPR, "records-of-processing-tags", "records-of-processing", ("Art. 30",), "low", "advisory"),
    doc(GDPR, "data-residency", "data-residency", ("Art. 44", "Art. 45"), "high", "advisory"),
)


def violation(
    policy: PolicyDoc, urn: str, type_: str, name: str, message: str, enforcement: str | None = None
) -> Violation:
    return Violation(
        pack=policy.pack,
        policy=policy.name,
        control=policy.control,
        clauses=policy.clauses,
        severity=policy.severity,
        enforcement=enforcement or policy.enforcement,
        urn=urn,
        type=type_,
        name=name,
        message=message,
    )


HIPAA_KMS, CLUSTER_ADMIN, RETENTION, FLOW_LOGS, GDPR_KMS, RECORDS, RESIDENCY = POLICIES

V_RECORDS = violation(
    RECORDS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "S3 bucket models has no data-classification tag"
)
V_HIPAA_KMS = violation(
    HIPAA_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "S3 bucket models has no SSE-KMS configuration"
)
V_GDPR_KMS = violation(
    GDPR_KMS, BUCKET_URN, "aws:s3/bucket:Bucket", "models", "S3 bucket models has no SSE-KMS configuration"
)
V_ADMIN = violation(
    CLUSTER_ADMIN,
    CRB_URN,
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "everyone-admin",
    "ClusterRoleBinding everyone-admin grants cluster-admin to system:authenticated",
)
V_RETENTION = violation(RETENTION, LOGS_URN, "aws:cloudwatch/logGroup:LogGroup", "eks-logs", TRICKY_MESSAGE)
V_RESIDENCY = violation(
    RESIDENCY, GDPR_BUCKET_URN, "aws:s3/bucket:Bucket", "datasets", "S3 bucket datasets is in us-east-1"
)

PROD_HIPAA = StackResult(
    stack="prod-hipaa",
    source="configs/Pulumi.prod-hipaa.yaml",
    resources=42,
    packs=(HIPAA, GDPR),
    violations=(V_RECORDS, V_RETENTION, V_HIPAA_KMS, V_ADMIN, V_GDPR_KMS),  # deliberately not in report order
)
PROD_GDPR = StackResult(
    stack="prod-gdpr", source="configs/Pulumi.prod-gdpr.yaml", resources=17, packs=(GDPR,), violations=(V_RESIDENCY,)
)
DEV = StackResult(stack="dev", source="configs/Pulumi.dev.yaml", resources=9, packs=(HIPAA, GDPR), violations=())

# In report order: mandatory first, then critical > high > medium > low, then policy, then pack.
PROD_HIPAA_ORDER = [
    f"{HIPAA}/rbac-no-cluster-admin",
    f"{GDPR}/s3-bucket-kms-encrypted",
    f"{HIPAA}/s3-bucket-kms-encrypted",
    f"{HIPAA}/log-retention-minimum",
    f"{GDPR}/records-of-processing-tags",
]

CONTRACT_KEYS = {
    "pack",
    "policy",
    "control",
    "clauses",
    "severity",
    "enforcement",
    "urn",
    "type",
    "name",
    "message",
}


def failing_report() -> CheckReport:
    return CheckReport(stacks=(PROD_HIPAA, PROD_GDPR, DEV), policies=POLICIES)


def advisory_only_report() -> CheckReport:
    return CheckReport(stacks=(PROD_GDPR, DEV), policies=POLICIES)


def clean_report() -> CheckReport:
    return CheckReport(stacks=(DEV,), policies=POLICIES)


def reversed_report() -> CheckReport:
    """The failing report with every tuple of violations reversed: what the analyzer answered in another order."""
    stacks = tuple(
        StackResult(s.stack, s.source, s.resources, s.packs, tuple(reversed(s.violations)))
        for s in failing_report().stacks
    )
    return CheckReport(stacks=stacks, policies=POLICIES)


# --- exit-code logic ------------------------------------------------------------------------------------------


def test_a_mandatory_violation_in_any_stack_fails_the_check() -> None:
    assert failing_report().passed is False
    assert to_json(failing_report())["passed"] is False


def test_advisory_violations_alone_pass_the_check() -> None:
    assert advisory_only_report().passed is True
    assert to_json(advisory_only_report())["passed"] is True


def test_a_clean_report_passes() -> None:
    assert clean_report().passed is True


def test_a_mandatory_violation_downgraded_to_advisory_passes() -> None:
    downgraded = StackResult(
        "s", "configs/Pulumi.s.yaml", 1, (HIPAA,), (violation(HIPAA_KMS, BUCKET_URN, "t", "n", "m", "advisory"),)
    )
    assert CheckReport(stacks=(downgraded, DEV), policies=POLICIES).passed is True


# --- JSON -----------------------------------------------------------------------------------------------------


def test_json_violations_carry_exactly_the_contract_keys_and_more_only_by_addition() -> None:
    data = to_json(failing_report())
    assert [s["stack"] for s in data["stacks"]] == ["prod-hipaa", "prod-gdpr", "dev"]
    for stack in data["stacks"]:
        assert {"stack", "resources", "violations"} <= stack.keys()
        for item in stack["violations"]:
            assert set(item) == CONTRACT_KEYS


def test_json_violation_values_come_from_the_violation() -> None:
    prod_gdpr = to_json(failing_report())["stacks"][1]
    assert prod_gdpr["resources"] == 17
    assert prod_gdpr["violations"] == [
        {
            "pack": GDPR,
            "policy": "data-residency",
            "control": "data-residency",
            "clauses": ["Art. 44", "Art. 45"],
            "severity": "high",
            "enforcement": "advisory",
            "urn": GDPR_BUCKET_URN,
            "type": "aws:s3/bucket:Bucket",
            "name": "datasets",
            "message": "S3 bucket datasets is in us-east-1",
        }
    ]


def test_json_clauses_are_a_list_so_json_dumps_keeps_their_order() -> None:
    item = to_json(failing_report())["stacks"][0]["violations"][0]
    assert item["clauses"] == ["164.308(a)(4)", "164.312(a)(1)"]


def test_json_stack_extras_count_and_judge_each_stack() -> None:
    stacks = to_json(failing_report())["stacks"]
    assert [(s["source"], s["packs"], s["mandatory"], s["advisory"], s["passed"]) for s in stacks] == [
        ("configs/Pulumi.prod-hipaa.yaml", [HIPAA, GDPR], 3, 2, False),
        ("configs/Pulumi.prod-gdpr.yaml", [GDPR], 0, 1, True),
        ("configs/Pulumi.dev.yaml", [HIPAA, GDPR], 0, 0, True),
    ]
    assert to_json(failing_report())["summary"] == {"stacks": 3, "mandatory": 3, "advisory": 3}


def test_json_violations_are_in_report_order_whatever_order_they_arrived_in() -> None:
    for report in (failing_report(), reversed_report()):
        items = to_json(report)["stacks"][0]["violations"]
        assert [f"{v['pack']}/{v['policy']}" for v in items] == PROD_HIPAA_ORDER


# --- text -----------------------------------------------------------------------------------------------------


def _violation_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  ") and "/" in line]


def test_text_orders_mandatory_first_then_severity_then_policy() -> None:
    lines = _violation_lines(to_text(failing_report()))
    prod_hipaa = lines[: len(PROD_HIPAA_ORDER)]
    assert [re.search(r"(\S+/\S+) \[", line).group(1) for line in prod_hipaa] == PROD_HIPAA_ORDER  # type: ignore[union-attr]
    assert [line.split()[0] for line in prod_hipaa] == ["mandatory"] * 3 + ["advisory"] * 2


def test_text_is_identical_whatever_order_the_violations_arrived_in() -> None:
    assert to_text(reversed_report()) == to_text(failing_report())


def test_text_header_names_stack_source_resources_and_packs() -> None:
    header = "stack prod-hipaa (configs/Pulumi.prod-hipaa.yaml): 42 resources analyzed, packs llmops-hipaa, llmops-gdpr"
    assert to_text(failing_report()).splitlines()[0] == header


def test_text_violation_line_has_every_field() -> None:
    line = _violation_lines(to_text(failing_report()))[0]
    for part in (
        "mandatory",
        "critical",
        "llmops-hipaa/rbac-no-cluster-admin [k8s-rbac]",
        "164.308(a)(4), 164.312(a)(1)",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding everyone-admin",
        "grants cluster-admin to system:authenticated",
    ):
        assert part in line


def test_text_keeps_a_multi_line_message_on_its_violation_line() -> None:
    text = to_text(failing_report())
    (line,) = [line for line in text.splitlines() if "log-retention-minimum" in line]
    assert line.endswith("retention 30 | 2192 days Action '*' on Resource '*'")


def test_text_says_a_clean_stack_has_no_violations() -> None:
    lines = to_text(failing_report()).splitlines()
    header = lines.index("stack dev (configs/Pulumi.dev.yaml): 9 resources analyzed, packs llmops-hipaa, llmops-gdpr")
    assert lines[header + 1] == "  no violations"


def test_text_ends_with_summary_and_failed_verdict() -> None:
    *_, summary, verdict = to_text(failing_report()).splitlines()
    assert summary == "3 mandatory, 3 advisory violations in 3 stacks"
    assert verdict == "FAILED: 3 mandatory violations must be fixed"


def test_text_verdict_passes_with_advisory_only_and_with_none() -> None:
    *_, summary, verdict = to_text(advisory_only_report()).splitlines()
    assert summary == "0 mandatory, 1 advisory violations in 2 stacks"
    assert verdict.startswith("PASSED")
    *_, summary, verdict = to_text(clean_report()).splitlines()
    assert summary == "0 mandatory, 0 advisory violations in 1 stack"
    assert verdict == "PASSED: no violations"


def test_text_has_no_terminal_colour_codes() -> None:
    assert "\x1b" not in to_text(failing_report())


# --- markdown -------------------------------------------------------------------------------------------------

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    """The cells of one table row, split only on the pipes that markdown reads as column separators."""
    assert row.startswith("| ") and row.endswith(" |"), row
    return [cell.strip() for cell in UNESCAPED_PIPE.split(row)[1:-1]]


def _table_after(markdown: str, heading: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(heading)
    first = next(i for i in range(start, len(lines)) if lines[i].startswith("|"))
    end = next((i for i in range(first, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[first:end]


def test_markdown_title_says_failed_or_passed() -> None:
    assert to_markdown(failing_report()).splitlines()[0] == "## llmops check: ❌ failed"
    assert to_markdown(advisory_only_report()).splitlines()[0] == "## llmops check: ✅ passed"


def test_markdown_summary_table_has_one_row_per_stack_with_counts() -> None:
    table = _table_after(to_markdown(failing_report()), "## llmops check: ❌ failed")
    assert _cells(table[0]) == ["stack", "status", "resources", "packs", "mandatory", "advisory"]
    assert [_cells(row) for row in table[2:]] == [
        ["prod-hipaa", "failed", "42", "llmops-hipaa, llmops-gdpr", "3", "2"],
        ["prod-gdpr", "passed", "17", "llmops-gdpr", "0", "1"],
        ["dev", "passed", "9", "llmops-hipaa, llmops-gdpr", "0", "0"],
    ]


def test_markdown_violation_table_has_one_seven_cell_row_per_violation_in_report_order() -> None:
    table = _table_after(to_markdown(failing_report()), "### prod-hipaa")
    assert _cells(table[0]) == ["enforcement", "severity", "policy", "control", "clauses", "resource", "message"]
    rows = [_cells(row) for row in table[2:]]
    assert all(len(row) == 7 for row in rows)
    assert [row[2] for row in rows] == PROD_HIPAA_ORDER
    assert rows[0][:2] == ["mandatory", "critical"]


def test_markdown_escapes_pipes_newlines_and_emphasis_in_cells() -> None:
    table = _table_after(to_markdown(failing_report()), "### prod-hipaa")
    (row,) = [row for row in table if "log-retention-minimum" in row]
    assert _cells(row)[6] == r"retention 30 \| 2192 days<br>Action '\*' on Resource '\*'"


def test_md_cell_escapes_html_and_code_markup() -> None:
    assert md_cell("<details> `x` [a](b) a_b ~c~") == r"\<details\> \`x\` \[a\](b) a\_b \~c\~"
    assert md_cell("one\r\ntwo\nthree") == "one<br>two<br>three"


def test_markdown_says_a_clean_stack_has_no_violations() -> None:
    lines = to_markdown(failing_report()).splitlines()
    dev = lines.index("### dev")
    assert "No violations." in lines[dev : dev + 5]


def test_markdown_legend_lists_only_policies_that_fired_with_their_remediation() -> None:
    markdown = to_markdown(failing_report())
    legend = markdown[markdown.index("<details>") : markdown.index("</details>")]
    assert "<summary>Policies that fired (6)</summary>" in legend
    for policy in (HIPAA_KMS, CLUSTER_ADMIN, RETENTION, GDPR_KMS, RECORDS, RESIDENCY):
        assert f"Fix {policy.name} in {policy.pack}." in legend
    assert "flow-logs-enabled" not in legend


def test_markdown_for_a_clean_report_says_no_violations_and_has_no_legend() -> None:
    markdown = to_markdown(clean_report())
    assert markdown.splitlines()[0] == "## llmops check: ✅ passed"
    assert "**No violations** in 1 stack" in markdown
    assert "<details>" not in markdown


def test_a_stack_without_packs_is_reported_as_unchecked_not_as_clean() -> None:
    unchecked = StackResult(
        stack="scratch",
        source="configs/Pulumi.scratch.yaml",
        resources=4,
        packs=(),
        violations=(),
        pack_source="opted-out",
    )
    report = CheckReport(stacks=(unchecked,), policies=())
    text = to_text(report)
    assert "scratch (configs/Pulumi.scratch.yaml): 4 resources, unchecked by choice" in text
    assert "no violations" not in text.split("\n")[1]
    assert "\nPASSED" not in text and "NOT PASSED: no mandatory violations, but 1 stack unchecked by choice" in text
    assert "Unchecked by choice" in to_markdown(report) and "✅" not in to_markdown(report)
    assert to_json(report)["status"] == "not-passed" and to_json(report)["stacks"][0]["status"] == "unchecked"
    assert not report.passed and not report.failed
