"""Java's default partitioner for keyed records: ``toPositive(murmur2(key)) % partitions``.

Kafka's Java producer places a keyed record on the partition given by its ``Utils.murmur2`` of the
key bytes; librdkafka's default (``consistent_random``) is CRC32 and disagrees for most keys. hitl's
services write each agent's decisions keyed by its agentId, so an agent reads exactly one partition
of ``hitl.decisions``: this one. (The client's producer uses librdkafka's ``murmur2_random``, which
is the same function, so its proposals land where a Java producer would put them.)
"""

from __future__ import annotations

__all__ = ["murmur2", "partition_for"]

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2``: a signed 32-bit hash, as Java returns it."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    for i in range(0, length - length % 4, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    tail = length & ~3
    remaining = length % 4
    if remaining == 3:
        h ^= data[tail + 2] << 16
    if remaining >= 2:
        h ^= data[tail + 1] << 8
    if remaining >= 1:
        h ^= data[tail]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for(key: str | bytes, partitions: int) -> int:
    """The partition Java's producer gives a record with this key (a str is taken as UTF-8)."""
    if partitions < 1:
        raise ValueError("a topic has at least one partition")
    data = key.encode("utf-8") if isinstance(key, str) else key
    return (murmur2(data) & 0x7FFFFFFF) % partitions
