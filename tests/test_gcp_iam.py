"""WorkloadServiceAccount through the offline engine: a Google service account that exactly one Kubernetes service
account may act as (the Workload Identity member string, bound on the account itself), bucket-scoped object
access (read-only where asked), nothing project-wide, the annotation the Kubernetes service account needs, the
arguments refused, and the GCP policy rules passing over what it registers."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from llmops_infra.cli.recording import Recording
from llmops_infra.components.gcp.iam import WorkloadAccess, WorkloadServiceAccount
from llmops_infra.policies.runtime.rule import RULES, evaluate
from tests.conftest import preview
from tests.rule_judging import as_resource, changed, rule_violations

CONFIG = {"gcp:project": "llmops-test", "gcp:region": "europe-west4"}
POOL = "llmops-test.svc.id.goog"
EMAIL = "vllm-wi@llmops-test.iam.gserviceaccount.com"

ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"

# Cloud Storage roles that only touch objects; anything else on a bucket would reach its IAM, ACLs or settings.
OBJECT_READ_ROLES = {"roles/storage.objectViewer"}


def workload_preview(access: WorkloadAccess | None = None, name: str = "vllm", pool: Any = POOL) -> Recording:
    def program() -> None:
        WorkloadServiceAccount(
            name,
            access or WorkloadAccess("serving", "vllm", read_buckets=("llmops-test-models",)),
            workload_pool=pool() if callable(pool) else pool,
        )

    return preview(program, CONFIG)


def grants(rec: Recording) -> list[dict[str, Any]]:
    return [g.inputs for g in rec.of_type(BUCKET_MEMBER)]


# ---- identity ---------------------------------------------------------------------------------------------


def test_only_the_named_kubernetes_service_account_may_act_as_the_account() -> None:
    rec = workload_preview()
    account = rec.one(ACCOUNT)
    [binding] = rec.of_type(ACCOUNT_MEMBER)
    assert binding.inputs["member"] == "serviceAccount:llmops-test.svc.id.goog[serving/vllm]"
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    # Bound on the account itself, not on the project.
    assert binding.inputs["serviceAccountId"] == account.outputs["name"]


def test_the_workload_pool_may_be_an_output_of_the_cluster() -> None:
    rec = workload_preview(pool=lambda: pulumi.Output.from_input("other-project.svc.id.goog"))
    [binding] = rec.of_type(ACCOUNT_MEMBER)
    assert binding.inputs["member"] == "serviceAccount:other-project.svc.id.goog[serving/vllm]"


def test_account_is_named_for_the_workload() -> None:
    account = workload_preview().one(ACCOUNT).inputs
    assert account["accountId"] == "vllm-wi"
    assert "serving/vllm" in account["displayName"]


def test_outputs_are_the_email_member_and_the_kubernetes_annotation() -> None:
    outputs = workload_preview().one("llmops:gcp:WorkloadServiceAccount").outputs
    assert outputs["email"] == EMAIL
    assert outputs["member"] == "serviceAccount:llmops-test.svc.id.goog[serving/vllm]"
    assert outputs["annotations"] == {"iam.gke.io/gcp-service-account": EMAIL}


# ---- access -----------------------------------------------------------------------------------------------


def test_each_read_bucket_gets_a_read_only_object_grant_to_the_account() -> None:
    rec = workload_preview(WorkloadAccess("serving", "vllm", read_buckets=("models-a", "models-b")))
    assert sorted(g["bucket"] for g in grants(rec)) == ["models-a", "models-b"]
    for grant in grants(rec):
        assert grant["role"] in OBJECT_READ_ROLES
        assert grant["member"] == f"serviceAccount:{EMAIL}"


def test_write_buckets_get_object_user_and_nothing_more() -> None:
    access = WorkloadAccess("training", "trainer", read_buckets=("datasets",), write_buckets=("checkpoints",))
    rec = workload_preview(access, name="trainer")
    roles = {g["bucket"]: g["role"] for g in grants(rec)}
    assert roles == {"datasets": "roles/storage.objectViewer", "checkpoints": "roles/storage.objectUser"}


def test_no_buckets_means_no_grants() -> None:
    assert grants(workload_preview(WorkloadAccess("serving", "vllm"))) == []


def test_nothing_is_granted_project_wide() -> None:
    rec = workload_preview(WorkloadAccess("serving", "vllm", read_buckets=("aa1", "bb2"), write_buckets=("cc3",)))
    assert not [r for r in rec.resources if r.type.startswith(("gcp:projects/", "gcp:organizations/", "gcp:folder"))]
    custom = sorted({r.type for r in rec.resources if r.custom and not r.type.startswith("pulumi:providers:")})
    assert custom == sorted({ACCOUNT, ACCOUNT_MEMBER, BUCKET_MEMBER})


@pytest.mark.parametrize("rule_name", ["gcs-iam-no-public-members"])
def test_policy_rules_pass_over_the_grants_and_fail_when_a_grant_goes_public(rule_name: str) -> None:
    rec = workload_preview()
    assert rule_violations(rec, rule_name) == []
    grant = rec.one(BUCKET_MEMBER)
    public = as_resource(grant, changed(grant.inputs, ("member",), "allUsers"))
    assert evaluate(RULES[rule_name], public) != []


# ---- arguments --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("access", "name", "message"),
    [
        (WorkloadAccess("Serving", "vllm"), "vllm", "namespace 'Serving'"),
        (WorkloadAccess("serving", "vllm_server"), "vllm", "service_account 'vllm_server'"),
        (WorkloadAccess("serving", "vllm", read_buckets=("gs://models",)), "vllm", "read_buckets: 'gs://models'"),
        (WorkloadAccess("serving", "vllm", write_buckets=("models/ckpt",)), "vllm", "write_buckets: 'models/ckpt'"),
        (WorkloadAccess("serving", "vllm", read_buckets=("mm1",), write_buckets=("mm1",)), "vllm", "both read and"),
        (WorkloadAccess("serving", "vllm"), "ab", "not a valid service account id"),
    ],
)
def test_arguments_iam_or_kubernetes_would_reject_are_refused(access: WorkloadAccess, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        workload_preview(access, name=name)
