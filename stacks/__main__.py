"""The Pulumi program: read the environment's config, validate it, compose the platform for its targets."""

import pulumi

from llmops_infra.stacks.config import platform_from_config
from llmops_infra.stacks.platform import deploy


def _get(key: str) -> str | None:
    namespace, _, name = key.partition(":")
    return pulumi.Config(namespace).get(name)


spec = platform_from_config(_get, source=f"configs/Pulumi.{pulumi.get_stack()}.yaml")
for name, value in deploy(spec).items():
    pulumi.export(name, value)
