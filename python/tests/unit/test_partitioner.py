"""Java's murmur2 partitioner, against values computed with Kafka's own Utils.murmur2 (vectors/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hitl import murmur2, partition_for

MURMUR2 = json.loads((Path(__file__).parent / "vectors" / "murmur2.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", MURMUR2, ids=lambda v: repr(v["key"]))
def test_murmur2_and_partitions_are_javas(vector: dict) -> None:
    assert murmur2(vector["key"].encode("utf-8")) == vector["murmur2"]
    assert partition_for(vector["key"], 6) == vector["partitionOf6"]
    assert partition_for(vector["key"], 24) == vector["partitionOf24"]


def test_the_placement_test_of_the_java_services_agrees() -> None:
    # escalation-service PlacementTest: "vote-1" is on partition 3 of 6.
    assert partition_for("vote-1", 6) == 3
    assert partition_for(b"vote-1", 6) == 3


def test_librdkafkas_default_crc32_would_disagree_for_most_keys() -> None:
    import zlib

    keys = [f"action-{i}".encode() for i in range(1200)]
    disagreements = sum(1 for k in keys if zlib.crc32(k) % 6 != partition_for(k, 6))
    assert 900 <= disagreements <= 1100


def test_a_topic_has_partitions() -> None:
    with pytest.raises(ValueError):
        partition_for("x", 0)
