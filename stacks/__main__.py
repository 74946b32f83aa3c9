"""The Pulumi program: read the environment's config, validate it, compose the platform for its targets."""

from pathlib import Path

import pulumi
import yaml

from llmops_infra.stacks.config import platform_from_config
from llmops_infra.stacks.platform import deploy


def _get(key: str) -> str | None:
    namespace, _, name = key.partition(":")
    return pulumi.Config(namespace).get(name)


def _stack_file(stack: str) -> str:
    """The stack file Pulumi read: Pulumi.<stack>.yaml in the project's stackConfigDir (the program runs in the
    project directory). When it is not there (`pulumi up --config-file`), the stack's name, never a guessed path."""
    try:
        project = yaml.safe_load(Path("Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        project = {}
    folder = Path(str(project.get("stackConfigDir") or ".")) if isinstance(project, dict) else Path(".")
    for name in (f"Pulumi.{stack}.yaml", f"Pulumi.{stack}.yml"):
        if (folder / name).is_file():
            return str(folder / name)
    return f"the config of stack {stack}"


spec = platform_from_config(
    _get,
    source=_stack_file(pulumi.get_stack()),
    # Under `pulumi up` the language host hands the program the stack's secret keys as it does its config.
    is_secret=pulumi.runtime.is_config_secret,
    keys=pulumi.runtime.get_config_env(),
)
for name, value in deploy(spec).items():
    pulumi.export(name, value)
