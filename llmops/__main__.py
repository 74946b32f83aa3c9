"""`python -m llmops_infra.cli`: the `llmops` command without the console script."""

import sys

from llmops_infra.cli.main import main

sys.exit(main())
