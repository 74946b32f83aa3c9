"""The HIPAA policy pack: `pulumi preview --policy-pack "$(llmops pack path hipaa)"`, or `llmops check`."""

import sys
from pathlib import Path

# Run the rule library that came with this pack: the nearest folder above it that holds `llmops_infra` (the
# repository, site-packages, or a pack built by `llmops pack build`) goes first on sys.path.
folders = Path(__file__).resolve().parents
sys.path.insert(0, str(next(f for f in folders if (f / "llmops_infra" / "__init__.py").is_file())))

from llmops_infra.policies.runtime.pack import build_pack  # noqa: E402

build_pack("llmops-hipaa", "hipaa")
