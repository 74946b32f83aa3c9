"""The platform's data buckets (`buckets:`), S3 on the aws target and Cloud Storage on the gcp target.

One list serves either cloud, so a bucket name must suit both clouds' naming rules; the gcp target's own
bucket checks (locations, labels) are in gcp.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from llmops_infra.components.config.base import (
    Classification,
    DnsLabel,
    Model,
)

BucketPurpose = Literal["model-artifacts", "datasets", "checkpoints"]


class BucketSpec(Model):
    """A data bucket: S3 on the aws target (components.aws.EncryptedBucket), Cloud Storage on the gcp target
    (components.gcp.EncryptedBucket). Both are encrypted with a customer-managed key, private, versioned and
    access-logged."""

    name: DnsLabel = Field(
        description="Logical name, unique among the buckets: a DNS label of 1 to 32 lowercase letters, digits "
        "and `-` (alphanumeric at both ends). The stacks name the bucket component after it, so the physical name "
        "is Pulumi's auto-name (this name and a random suffix) and its access logs go under `<name>/`.",
    )
    purpose: BucketPurpose = Field(
        description="`model-artifacts`, `datasets` or `checkpoints`: the bucket's `purpose` tag. The stacks give "
        "the model-reader workload identity (and edge sites' `modelUri`) read access to `model-artifacts` "
        "buckets only.",
    )
    classification: Classification | None = Field(
        default=None,
        description="The bucket's `data-classification` tag: `phi`, `personal`, `internal` or `public`. None "
        "(default): the platform's `dataClassification`.",
    )
    noncurrent_version_expiration_days: int = Field(
        default=90,
        ge=1,
        le=36500,
        description="Days after which noncurrent (overwritten or deleted) object versions are deleted by the "
        "lifecycle rule: 1 to 36500 (default 90).",
    )
    expiration_days: int | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="Days after which current objects expire (then become noncurrent versions, removed by the "
        "noncurrent rule): 1 to 36500. None (default): current objects are kept. Set it for GDPR storage "
        "limitation.",
    )
    location: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]+[A-Za-z0-9-]*$",
        description="GCS only: a region, dual-region or multi-region that holds the platform's region (e.g. "
        "EUR4 for europe-west4); its Cloud KMS key is created in the matching KMS location. None (default): the "
        "platform's region. Refused on the aws target: S3 buckets are always in the platform's region.",
    )

    @field_validator("name")
    @classmethod
    def _cloud_accepts(cls, name: str) -> str:
        """Refuse the names S3 and Cloud Storage reserve, as they would at `pulumi up`.

        The stacks name the bucket component after `name` and the bucket is auto-named from it: the physical name
        is `<name>-<7 random hex digits>` (components.aws/gcp.EncryptedBucket). So the rules on how a bucket name
        starts or what it contains apply to `name`; those on how it ends (S3's `-s3alias`, `--ol-s3`, `.mrap`,
        `--x-s3`, `--table-s3`) can never match a name that ends in the hex suffix. A spec serves either cloud,
        so a name must suit both.
        """
        # S3, "General purpose bucket naming rules" (docs.aws.amazon.com/AmazonS3/latest/userguide/
        # bucketnamingrules.html): must not start with xn--, sthree- (which covers sthree-configurator) or
        # amzn-s3-demo-.
        for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
            if name.startswith(prefix):
                raise ValueError(
                    f"S3 refuses bucket names that start with {prefix} (a reserved prefix in its bucket naming "
                    "rules); choose another name"
                )
        # Cloud Storage, "Bucket names" (cloud.google.com/storage/docs/buckets#naming): cannot begin with "goog",
        # cannot contain "google" or close misspellings such as "g00gle".
        if name.startswith("goog"):
            raise ValueError(
                "Cloud Storage refuses bucket names that start with goog (its naming rules); choose another name"
            )
        if "google" in name.replace("0", "o").replace("1", "l"):
            raise ValueError(
                'Cloud Storage refuses bucket names that contain "google" or a close misspelling such as "g00gle" '
                "(its naming rules); choose another name"
            )
        return name
