"""Test helpers: the repository's schemas and test vectors, and signing as a decider does.

Signing is here, not in the package: an agent never holds a key that can make a decision.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

import fastavro
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hitl import DecisionRecord

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas" / "src" / "main" / "avro"
VECTORS = REPO / "schemas" / "src" / "test" / "resources" / "vectors" / "signatures.json"


def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def parsed_schema(name: str) -> Any:
    """A record schema of the repository, with the named types it uses."""
    named: dict[str, Any] = {}
    for dependency in ("Money", "ActionContext", "InputTrust", "Outcome", "Feedback"):
        fastavro.parse_schema(json.loads((SCHEMAS / f"{dependency}.avsc").read_text()), named_schemas=named)
    return fastavro.parse_schema(json.loads((SCHEMAS / f"{name}.avsc").read_text()), named_schemas=named)


def private_key(jwk: dict[str, Any]) -> Ed25519PrivateKey:
    d = jwk["d"]
    return Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)))


def sign(record: DecisionRecord, jwk: dict[str, Any]) -> DecisionRecord:
    """The record signed as a decider with the private JWK does it (Ed25519 over the signed content)."""
    unsigned = dataclasses.replace(record, signature_key_id=jwk["kid"], signature_algorithm="Ed25519")
    signature = private_key(jwk).sign(unsigned.signed_content().encode("utf-8"))
    return dataclasses.replace(unsigned, signature=base64.b64encode(signature).decode("ascii"))
