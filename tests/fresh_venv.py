"""A new virtualenv with only the given requirements from the package registry, for tests of what runs outside
this project's own environment (a built policy pack, a user's program with its own dependencies)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path


def fresh_venv(where: Path, *requirements: str) -> Path:
    """Create a virtualenv at `where` (no system site-packages), pip-install `requirements`; its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if requirements:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
            check=True,
            capture_output=True,
            text=True,
        )
    return python
