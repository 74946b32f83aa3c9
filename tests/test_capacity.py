"""The capacity row every pool kind shares (components/capacity.py)."""

from __future__ import annotations

from typing import get_type_hints

from llmops_infra.components.capacity import Capacity, capacity_row


def test_the_total_is_per_node_times_the_maximum_and_optional_keys_appear_only_when_set():
    row = capacity_row("serve", "g6e.12xlarge", "NVIDIA L40S", 4, (0, 1, 3), verified=True)
    assert row == {
        "pool": "serve",
        "instance_type": "g6e.12xlarge",
        "accelerator": "NVIDIA L40S",
        "accelerators_per_node": 4,
        "min": 0,
        "desired": 1,
        "max": 3,
        "total_at_max": 12,
        "verified": True,
    }
    bare = capacity_row("rack", "bare-metal", "NVIDIA H100", 8, (2, 2, 2))
    assert "verified" not in bare and "topology" not in bare and bare["total_at_max"] == 16


def test_the_row_keeps_the_key_order_reports_show():
    row = capacity_row("v5e", "ct5lp-hightpu-4t", "TPU v5e", 4, (2, 2, 2), topology="2x4", verified=False)
    assert list(row) == [*list(get_type_hints(Capacity))[:8], "topology", "verified"]
    zone = capacity_row("bos", "g6.xlarge", "NVIDIA L4", 1, (1, 1, 2), verified=True, local_zone="us-east-1-bos-1a")
    assert list(zone)[-2:] == ["verified", "local_zone"]
