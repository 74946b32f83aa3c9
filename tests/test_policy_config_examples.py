"""The example policy configs under policies/config/ fit the packs they are for (names and parameter schemas)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from llmops_infra.cli.analyzer_host import AnalyzerInfo, PolicyPackHost
from llmops_infra.cli.check import check_config, read_policy_config
from llmops_infra.cli.stackfile import InputError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "policies" / "config").glob("*.json"))


@pytest.fixture(scope="module")
def infos() -> Iterator[dict[str, AnalyzerInfo]]:
    found: dict[str, AnalyzerInfo] = {}
    for pack in ("hipaa", "gdpr"):
        with PolicyPackHost(ROOT / "policies" / pack) as host:
            found[pack] = host.info()
    yield found


def packs_for(example: Path) -> list[str]:
    # hipaa*.json and gdpr*.json are for one pack; any other example is for either.
    prefix = example.name.split("-")[0].split(".")[0]
    return [prefix] if prefix in ("hipaa", "gdpr") else ["hipaa", "gdpr"]


def test_there_are_examples_for_both_packs():
    assert {p for e in EXAMPLES for p in packs_for(e)} == {"hipaa", "gdpr"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_config_fits_its_pack(example: Path, infos: dict[str, AnalyzerInfo]):
    config = read_policy_config(example)
    for pack in packs_for(example):
        check_config(config, [infos[pack]], str(example))  # raises InputError on any misfit


def test_a_misfit_is_caught(tmp_path: Path, infos: dict[str, AnalyzerInfo]):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data-residency": {"allowAdequacyRegions": "yes"}}')
    with pytest.raises(InputError, match=r"data-residency\.allowAdequacyRegions"):
        check_config(read_policy_config(bad), [infos["gdpr"]], str(bad))
