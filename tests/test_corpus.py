"""The misconfigured-export corpus: every deliberately broken `pulumi stack export` fires exactly what it should.

Each tests/fixtures/corpus/*.json is a hand-written deployment v3 export with its expectation beside the
deployment under the top-level key `llmopsExpect` (read_export reads only `version` and `deployment`):

    "llmopsExpect": {"about": "...", "packs": ["hipaa"],
                     "violations": [{"policy": "...", "name": "<resource name>", "control": "...", "clauses": [...]}]}

`llmops analyze` runs the real packs over each export; the (policy, resource name) pairs it reports must equal the
expected ones, nothing missing and nothing extra, and the exit code must say whether any fired (every policy of
our packs is mandatory). `control` and `clauses`, when given, are checked on the matching violations.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmops_infra.cli import main as cli
from llmops_infra.cli.wire import SECRET_SIG, SIG_KEY, UNKNOWN

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
CASES = sorted(CORPUS.glob("*.json"))
PACK_NAMES = {"hipaa": "llmops-hipaa", "gdpr": "llmops-gdpr"}


def _expectation(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))["llmopsExpect"]


def _resources(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["deployment"]["resources"]


Analyzed = Callable[[Path], tuple[int, dict[str, Any], str]]


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> Analyzed:
    """`llmops analyze` of a case with its packs, run once per case: (exit code, JSON report, stderr)."""
    results: dict[Path, tuple[int, dict[str, Any], str]] = {}

    def run(path: Path) -> tuple[int, dict[str, Any], str]:
        if path not in results:
            output = tmp_path_factory.mktemp(path.stem) / "report.json"
            argv = ["analyze", "--state", str(path), "--format", "json", "--output", str(output)]
            for pack in _expectation(path)["packs"]:
                argv += ["--pack", pack]
            stderr = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
                code = cli.main(argv)
            report = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
            results[path] = (code, report, stderr.getvalue())
        return results[path]

    return run


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_corpus_case(path: Path, analyzed: Analyzed) -> None:
    expect = _expectation(path)
    code, report, stderr = analyzed(path)
    assert code in (0, 1), f"analyze failed on {path.name}: {stderr}"

    [stack] = report["stacks"]
    assert stack["stack"] == path.stem
    assert stack["resources"] == len(_resources(path))
    assert stack["packs"] == [PACK_NAMES[p] for p in expect["packs"]]

    violations = stack["violations"]
    found = {(v["policy"], v["name"]) for v in violations}
    wanted = {(v["policy"], v["name"]) for v in expect["violations"]}
    unexpected = [
        f"{v['pack']} {v['policy']} {v['name']}: {v['message']}"
        for v in violations
        if (v["policy"], v["name"]) not in wanted
    ]
    assert not unexpected, "violations the case does not expect:\n" + "\n".join(unexpected)
    assert not wanted - found, f"expected violations that did not fire: {sorted(wanted - found)}"

    assert all(v["enforcement"] == "mandatory" for v in violations)
    assert code == (1 if wanted else 0)
    assert report["passed"] is (not wanted)

    for expected in expect["violations"]:
        matching = [v for v in violations if (v["policy"], v["name"]) == (expected["policy"], expected["name"])]
        # Every pack that has the policy reports it (a resource both packs judge fires in both).
        having = {doc["pack"] for doc in report["policies"] if doc["policy"] == expected["policy"]}
        assert {v["pack"] for v in matching} == having, (expected, having)
        for v in matching:
            assert v["type"] == _type_of(path, expected["name"])
            if "control" in expected:
                assert v["control"] == expected["control"], v
            assert set(expected.get("clauses", ())) <= set(v["clauses"]), v


def _type_of(path: Path, name: str) -> str:
    [token] = {r["type"] for r in _resources(path) if r["urn"].rsplit("::", 1)[-1] == name}
    return token


def test_s3_bucket_without_sse_is_encryption_at_rest_under_164_312_a_2_iv(analyzed: Analyzed) -> None:
    assert _expectation(CORPUS / "s3-bucket-no-sse.json")["packs"] == ["hipaa"]
    code, report, _ = analyzed(CORPUS / "s3-bucket-no-sse.json")
    assert code == 1
    [violation] = report["stacks"][0]["violations"]
    assert (violation["policy"], violation["name"]) == ("s3-bucket-kms-encrypted", "patient-records")
    assert violation["control"] == "encryption-at-rest"
    assert "164.312(a)(2)(iv)" in violation["clauses"]
    assert violation["type"] == "aws:s3/bucket:Bucket"


def test_gke_cluster_with_personal_data_in_us_central1_breaks_residency(analyzed: Analyzed) -> None:
    assert _expectation(CORPUS / "gke-personal-data-us-central1.json")["packs"] == ["gdpr"]
    code, report, _ = analyzed(CORPUS / "gke-personal-data-us-central1.json")
    assert code == 1
    [violation] = report["stacks"][0]["violations"]
    assert (violation["policy"], violation["name"]) == ("data-residency", "inference-us")
    assert violation["type"] == "gcp:container/cluster:Cluster"
    assert "us-central1" in violation["message"]
    assert "Art. 44-49" in violation["clauses"]


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in _walk(v))]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


def test_secret_and_unknown_case_really_holds_a_ciphertext_and_unknowns() -> None:
    # The case proves nothing if its secret or its unknowns were edited away.
    values = [v for r in _resources(CORPUS / "secret-and-unknown-inputs.json") for v in _walk(r.get("inputs", {}))]
    assert any(isinstance(v, dict) and v.get(SIG_KEY) == SECRET_SIG and "ciphertext" in v for v in values)
    assert sum(v == UNKNOWN for v in values) >= 2


def test_autonamed_case_links_companions_only_by_property_dependencies() -> None:
    resources = _resources(CORPUS / "s3-autonamed-linked-by-dependencies.json")
    [bucket] = [r for r in resources if r["type"] == "aws:s3/bucket:Bucket"]
    assert "bucket" not in bucket["inputs"] and "bucketPrefix" not in bucket["inputs"]
    companions = [r for r in resources if r["type"].startswith("aws:s3/") and r is not bucket]
    assert len(companions) >= 6
    for companion in companions:
        # The physical name is not the logical name plus Pulumi's default 7-hex suffix: no value match is possible.
        assert not companion["inputs"]["bucket"].startswith(f"{bucket['urn'].rsplit('::', 1)[-1]}-")
        assert companion["propertyDependencies"]["bucket"] == [bucket["urn"]]


def test_corpus_covers_every_cloud_and_both_packs() -> None:
    assert 15 <= len(CASES) <= 25
    clouds = {
        r["type"].split(":")[-1] for p in CASES for r in _resources(p) if r["type"].startswith("pulumi:providers:")
    }
    assert clouds >= {"aws", "gcp", "kubernetes"}
    packs = [set(_expectation(p)["packs"]) for p in CASES]
    assert {"hipaa"} in packs and {"gdpr"} in packs and {"hipaa", "gdpr"} in packs
    assert any(not _expectation(p)["violations"] for p in CASES)  # compliant stacks pass, too


def test_readme_lists_every_case() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    listed = {line.split("`")[1] for line in readme.splitlines() if line.startswith("- `")}
    assert listed == {p.name for p in CASES}
