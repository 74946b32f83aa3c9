"""Where personal data may live: the region lists of docs/controls.md "Regions (for data-residency)", as data.

The lists are written exactly as docs/controls.md gives them (GCS spells its multi- and dual-region codes upper-case,
"EU", "EUR4"); rules compare case-insensitively. An adequacy region maps to the country whose adequacy decision
(GDPR Art. 45) covers it, so a message can say why the region could be allowed.
"""

from __future__ import annotations

import re

# docs/controls.md "AWS EU/EEA", including the AWS European Sovereign Cloud region (partition aws-eusc).
AWS_EU_REGIONS: tuple[str, ...] = (
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "eusc-de-east-1",
)

# docs/controls.md "AWS in adequacy-decision countries".
AWS_ADEQUACY_REGIONS: dict[str, str] = {
    "eu-central-2": "Switzerland",
    "eu-west-2": "United Kingdom",
    "ca-central-1": "Canada (commercial organisations)",
    "ca-west-1": "Canada (commercial organisations)",
    "il-central-1": "Israel",
    "ap-northeast-1": "Japan",
    "ap-northeast-3": "Japan",
    "ap-northeast-2": "Republic of Korea",
    "ap-southeast-6": "New Zealand",
    "sa-east-1": "Brazil",
}

# docs/controls.md "GCP EU": the EU regions, the multi-region EU and the dual-region EUR4
# (europe-north1 + europe-west4).
GCP_EU_REGIONS: tuple[str, ...] = (
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west3",
    "europe-west4",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "EU",
    "EUR4",
)

# docs/controls.md "GCP in adequacy countries".
GCP_ADEQUACY_REGIONS: dict[str, str] = {
    "europe-west2": "United Kingdom",
    "europe-west6": "Switzerland",
    "northamerica-northeast1": "Canada (commercial organisations)",
    "northamerica-northeast2": "Canada (commercial organisations)",
    "asia-northeast1": "Japan",
    "asia-northeast2": "Japan",
    "asia-northeast3": "Republic of Korea",
    "me-west1": "Israel",
    "southamerica-east1": "Brazil",
}

# The GDPR default when the pack config lists no allowedRegions (docs/controls.md: "GDPR default = EU/EEA regions").
EU_REGIONS: tuple[str, ...] = AWS_EU_REGIONS + GCP_EU_REGIONS
ADEQUACY_REGIONS: dict[str, str] = {**AWS_ADEQUACY_REGIONS, **GCP_ADEQUACY_REGIONS}

# Zones name their region plus a suffix (docs/controls.md: zones inherit their region):
# GCP zones `<region>-<letter>` (europe-west4-a); AWS Availability Zones `<region><letter>` (eu-west-1a) and
# Local / Wavelength Zones `<region>-<city>-...` (us-east-1-bos-1a, us-east-1-wl1-bos-wlz-1).
_GCP_ZONE = re.compile(r"([a-z]+-[a-z]+\d+)-[a-z][a-z0-9]*")
_AWS_REGION = r"[a-z]{2,4}(?:-[a-z]+)+-\d+"
_AWS_ZONE = re.compile(rf"({_AWS_REGION})(?:[a-z]|-[a-z0-9]+(?:-[a-z0-9]+)*)")


def region_of_zone(location: str) -> str:
    """The region a zone is in, lower-cased; a region or multi-region comes back as itself, lower-cased."""
    value = location.strip().lower()
    match = _GCP_ZONE.fullmatch(value) or _AWS_ZONE.fullmatch(value)
    return match.group(1) if match else value


def adequacy_country(region: str) -> str | None:
    """The adequacy-decision country a region is in, or None when it is in none."""
    return next((c for r, c in ADEQUACY_REGIONS.items() if r.lower() == region.strip().lower()), None)
