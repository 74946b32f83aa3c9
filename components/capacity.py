"""One pool's row of the capacity table, the same for every pool kind (EKS, Local Zone, GKE GPU and TPU, bare metal).

Stacks export the rows as `capacity`, and `llmops preview` shows them. A row is a plain mapping (a TypedDict) so
a program can export it as it is; `capacity_row` is the one place that builds it.
"""

from __future__ import annotations

from typing_extensions import NotRequired, TypedDict


class Capacity(TypedDict):
    """Accelerators of one pool: per node, the node range, and the total at the pool's maximum."""

    pool: str
    instance_type: str  # EC2 or GCE machine type; "bare-metal" for on-prem nodes, "hybrid-node" for hybrid nodes
    accelerator: str  # the model, e.g. "NVIDIA L40S", "TPU v5e"
    accelerators_per_node: int
    min: int
    desired: int
    max: int
    total_at_max: int
    topology: NotRequired[str]  # TPU slices only
    verified: NotRequired[bool]  # catalog rows only: false when the catalog marks the numbers unverified
    local_zone: NotRequired[str]  # Local Zone sites only


def capacity_row(
    pool: str,
    instance_type: str,
    accelerator: str,
    accelerators_per_node: int,
    nodes: tuple[int, int, int],
    *,
    topology: str | None = None,
    verified: bool | None = None,
    local_zone: str | None = None,
) -> Capacity:
    """The row of a pool with `nodes` = (min, desired, max) nodes of `accelerators_per_node` each."""
    low, desired, high = nodes
    row = Capacity(
        pool=pool,
        instance_type=instance_type,
        accelerator=accelerator,
        accelerators_per_node=accelerators_per_node,
        min=low,
        desired=desired,
        max=high,
        total_at_max=accelerators_per_node * high,
    )
    if topology is not None:
        row["topology"] = topology
    if verified is not None:
        row["verified"] = verified
    if local_zone is not None:
        row["local_zone"] = local_zone
    return row
