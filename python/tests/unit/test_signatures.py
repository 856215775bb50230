"""Decision signatures against the committed test vectors (schemas/src/test/resources/vectors)."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import sign, vectors

from hitl import DecisionRecord, DecisionVerifier, Feedback, PublicKeys, Verification
from hitl.decisions import ALGORITHM

VECTORS = vectors()
KEYS = PublicKeys.parse(VECTORS["publicKeys"])
VERIFIER = DecisionVerifier(KEYS)


@pytest.mark.parametrize("vector", VECTORS["decisions"], ids=lambda v: v["name"])
def test_signed_content_and_signature_are_byte_for_byte_the_javas(vector: dict) -> None:
    record = DecisionRecord.from_avro(vector["decision"])
    assert record.signed_content() == vector["signedContent"]
    assert VERIFIER.verify(record) is Verification.VALID
    # Ed25519 is deterministic: signing the same content with the vectors' key gives the same signature.
    assert sign(record, VECTORS["privateKey"]).signature == vector["signature"]


EXPECTED_FORGERIES = {
    "outcome changed after signing": Verification.BAD_SIGNATURE,
    "tool changed after signing": Verification.BAD_SIGNATURE,
    "signed by another key under the same key id": Verification.BAD_SIGNATURE,
    "legacy HmacSHA256": Verification.LEGACY,
}


@pytest.mark.parametrize("vector", VECTORS["forged"], ids=lambda v: v["name"])
def test_forged_vectors_do_not_verify(vector: dict) -> None:
    assert vector["valid"] is False
    assert VERIFIER.verify(DecisionRecord.from_avro(vector["decision"])) is EXPECTED_FORGERIES[vector["name"]]


def genuine() -> DecisionRecord:
    return DecisionRecord.from_avro(VECTORS["decisions"][0]["decision"])


def test_every_signed_member_is_covered() -> None:
    record = genuine()
    changes = {
        "action_id": "act-9999",
        "agent_id": "someone-else",
        "action_type": "payment.create",
        "tool": "shell",
        "target": "prod-db",
        "outcome": "APPROVED",
        "arguments_hash": "0" * 64,
        "proposal_hash": "1" * 64,
        "approvers": ("mallory",),
        "decided_by": "mallory",
        "policy_version": "none",
        "decided_at": record.decided_at + 1,
        "expires_at": record.expires_at + 3_600_000,
        "feedback": Feedback("sure", "reviewer"),
    }
    for name, value in changes.items():
        changed = dataclasses.replace(record, **{name: value})
        assert VERIFIER.verify(changed) is Verification.BAD_SIGNATURE, name


def test_arguments_that_do_not_hash_to_the_signed_hash_are_refused() -> None:
    changed = dataclasses.replace(genuine(), final_arguments='{"q":"rm -rf /","limit":5}')
    assert VERIFIER.verify(changed) is Verification.ARGUMENTS_MISMATCH
    # Same meaning, other spelling: the canonical form is the same, so it still verifies.
    respelled = dataclasses.replace(genuine(), final_arguments='{ "limit": 5.0, "q": "refund policy" }')
    assert VERIFIER.verify(respelled) is Verification.VALID
    # Text that is not strict JSON has no canonical form.
    duplicated = dataclasses.replace(genuine(), final_arguments='{"q":"refund policy","limit":5,"q":"x"}')
    assert VERIFIER.verify(duplicated) is Verification.ARGUMENTS_MISMATCH


def test_unsigned_unknown_key_other_algorithm_and_malformed_signatures_are_refused() -> None:
    record = genuine()
    assert VERIFIER.verify(dataclasses.replace(record, signature=None)) is Verification.UNSIGNED
    assert VERIFIER.verify(dataclasses.replace(record, signature_key_id=None)) is Verification.UNSIGNED
    assert VERIFIER.verify(dataclasses.replace(record, signature_algorithm=None)) is Verification.UNSIGNED
    assert VERIFIER.verify(dataclasses.replace(record, signature_algorithm="none")) is (
        Verification.UNSUPPORTED_ALGORITHM
    )
    assert VERIFIER.verify(dataclasses.replace(record, signature_key_id="other")) is Verification.UNKNOWN_KEY
    assert VERIFIER.verify(dataclasses.replace(record, signature="not base64!")) is Verification.BAD_SIGNATURE
    assert VERIFIER.verify(dataclasses.replace(record, signature="AAAA")) is Verification.BAD_SIGNATURE
    assert ALGORITHM == "Ed25519"


def test_a_decision_signed_by_an_untrusted_key_with_a_trusted_key_id_is_refused() -> None:
    attacker = dict(VECTORS["votes"]["voterPrivateKey"], kid="test-vectors-1")
    forged = sign(dataclasses.replace(genuine(), outcome="APPROVED"), attacker)
    assert VERIFIER.verify(forged) is Verification.BAD_SIGNATURE
