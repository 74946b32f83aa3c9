"""Per-workload Google service accounts for GKE Workload Identity.

A Kubernetes service account annotated with `iam.gke.io/gcp-service-account` acts as its own Google service
account, which holds only object access on the buckets it names: nothing project-wide, nothing granted to the
node, so one workload's access is not every pod's access. Buckets encrypted with a Cloud KMS key need no key grant
here: the Cloud Storage service agent decrypts for any requester the bucket lets read (Cloud Storage "Customer-
managed encryption keys" doc).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from llmops_infra.components.gcp.bucket import grant_on_bucket
from llmops_infra.components.gcp.gke import account_id

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
# Cloud Storage predefined roles (cloud.google.com/storage/docs/access-control/iam-roles): objectViewer "view
# objects and their metadata ... list the objects"; objectUser "create, view, list, update, and delete objects"
# without any IAM or ACL permission.
READ_ROLE = "roles/storage.objectViewer"
WRITE_ROLE = "roles/storage.objectUser"
# The annotation a Kubernetes service account carries to act as a Google service account (terraform-google-
# kubernetes-engine modules/workload-identity/main.tf).
ANNOTATION = "iam.gke.io/gcp-service-account"

# Kubernetes names: a namespace is a DNS label, a service account a DNS subdomain.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# A Cloud Storage bucket name (no gs:// and no object path): BucketIAMMember takes the bare name.
BUCKET_NAME = re.compile(r"^[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9]$")


@dataclass(frozen=True)
class WorkloadAccess:
    """What one Kubernetes service account may do: read objects of some buckets, write objects of others."""

    namespace: str = field(metadata={"description": "The service account's Kubernetes namespace (a DNS label)."})
    service_account: str = field(metadata={"description": "The Kubernetes service account's name (a DNS subdomain)."})
    read_buckets: Sequence[pulumi.Input[str]] = field(
        default=(),
        metadata={
            "description": "Names of the Cloud Storage buckets (no gs://, no path) whose objects it may list and "
            "read: roles/storage.objectViewer on each. Empty (default): none."
        },
    )
    write_buckets: Sequence[pulumi.Input[str]] = field(
        default=(),
        metadata={
            "description": "Names of the buckets whose objects it may create, read, update and delete: "
            "roles/storage.objectUser on each; none also in read_buckets. Empty (default): none."
        },
    )


def workload_member(workload_pool: str, namespace: str, service_account: str) -> str:
    """The IAM member a Kubernetes service account is inside the cluster's workload identity pool
    (terraform-google-kubernetes-engine modules/workload-identity: serviceAccount:<project>.svc.id.goog[ns/ksa])."""
    return f"serviceAccount:{workload_pool}[{namespace}/{service_account}]"


def _check(access: WorkloadAccess) -> None:
    if not DNS_LABEL.match(access.namespace):
        raise ValueError(f"namespace {access.namespace!r} is not a Kubernetes namespace name (a DNS label)")
    if not DNS_SUBDOMAIN.match(access.service_account):
        raise ValueError(f"service_account {access.service_account!r} is not a Kubernetes service account name")
    for what, buckets in (("read_buckets", access.read_buckets), ("write_buckets", access.write_buckets)):
        for bucket in buckets:
            # Outputs (a bucket component's name) are checked by Cloud Storage; plain strings here, now.
            if isinstance(bucket, str) and not BUCKET_NAME.match(bucket):
                raise ValueError(f"{what}: {bucket!r} is not a bucket name (no gs://, no object path)")


class WorkloadServiceAccount(pulumi.ComponentResource):
    """The Google service account one Kubernetes service account acts as (GKE Workload Identity), with
    bucket-scoped object access.

    Annotate the Kubernetes service account with `annotations` (`iam.gke.io/gcp-service-account: <email>`) and
    its pods act as this account. Buckets encrypted with Cloud KMS need no key grant: the Cloud Storage service
    agent decrypts for any requester the bucket lets read.

    Args:
        name: Component name; the account id is `<name>-wi`, shortened to the 30 characters IAM allows.
        access: WorkloadAccess: the namespace and service account, the buckets it reads and writes. Names that
            are not Kubernetes names, bucket values with gs:// or a path, or a bucket both read and written raise
            ValueError before anything is registered.
        workload_pool: The cluster's Workload Identity pool (GkeCluster.workload_pool).
        opts: Resource options; the provider decides the project.

    Outputs:
        account: The `gcp.serviceaccount.Account`.
        email: Its email.
        member: The IAM member of the Kubernetes service account,
            `serviceAccount:<pool>[<namespace>/<service account>]`.
        annotations: The annotation for the Kubernetes service account.

    Security:
        - Least privilege: roles/iam.workloadIdentityUser on this account (not the project) for exactly one
          Kubernetes service account; roles/storage.objectViewer on each read bucket and roles/storage.objectUser
          on each write bucket, bucket by bucket; nothing project-wide and nothing granted to the nodes.
        - No public access: grants to allUsers or allAuthenticatedUsers are refused outright.
    """

    account: gcp.serviceaccount.Account
    email: pulumi.Output[str]
    member: pulumi.Output[str]
    annotations: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        access: WorkloadAccess,
        *,
        workload_pool: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Checked before registering anything, so a wrong call leaves no half-built component behind.
        _check(access)
        overlap = [b for b in access.read_buckets if isinstance(b, str) and b in access.write_buckets]
        if overlap:
            raise ValueError(f"buckets both read and written: {', '.join(map(str, overlap))}; list them once")
        identity = account_id(name, "wi")
        super().__init__("llmops:gcp:WorkloadServiceAccount", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        subject = f"{access.namespace}/{access.service_account}"

        self.account = gcp.serviceaccount.Account(
            name,
            account_id=identity,
            display_name=f"Workload {subject}",
            description=f"Workload Identity for Kubernetes service account {subject}",
            opts=child,
        )
        self.member = pulumi.Output.from_input(workload_pool).apply(
            lambda pool: workload_member(pool, access.namespace, access.service_account)
        )
        # Only this one Kubernetes service account may act as the account: the binding is on the account,
        # not the project, so it grants no other service account anything.
        gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            service_account_id=self.account.name,
            role=WORKLOAD_IDENTITY_USER,
            member=self.member,
            opts=child,
        )
        grants = {"read": (READ_ROLE, access.read_buckets), "write": (WRITE_ROLE, access.write_buckets)}
        for suffix, (role, buckets) in grants.items():
            for i, bucket in enumerate(buckets):
                grant_on_bucket(self, f"{name}-{suffix}-{i}", bucket=bucket, role=role, member=self.account.member)

        self.email = self.account.email
        self.annotations = self.email.apply(lambda email: {ANNOTATION: email})
        self.register_outputs({"email": self.email, "member": self.member, "annotations": self.annotations})
