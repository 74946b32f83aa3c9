"""The GDPR policy pack: `pulumi preview --policy-pack policies/gdpr`, or `llmops check`."""

import sys
from pathlib import Path

# The rule library lives beside this pack (policies/rules); make it importable however the pack was started.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from policies.rules.pack import build_pack  # noqa: E402

build_pack("llmops-gdpr", "gdpr")
