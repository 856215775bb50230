"""Agent credentials against the committed test vectors."""

from __future__ import annotations

import pytest
from helpers import vectors

from hitl import AgentCredential, auth_header, derive, proposal_content, withdrawal_content

VECTORS = vectors()
CREDENTIALS = VECTORS["agentCredentials"]
FULL = next(p for p in VECTORS["proposals"] if p["name"] == CREDENTIALS["proposal"])


def credential() -> AgentCredential:
    return AgentCredential.of(CREDENTIALS["agentId"], CREDENTIALS["credentialId"], CREDENTIALS["key"])


def test_the_key_derivation_is_the_operators() -> None:
    derived = derive(
        CREDENTIALS["masterSecretUtf8"].encode("utf-8"), CREDENTIALS["agentId"], CREDENTIALS["credentialId"]
    )
    assert derived.encoded_key == CREDENTIALS["key"]
    assert derived == credential()


def test_proposal_and_withdrawal_headers_are_the_javas() -> None:
    proposal = FULL["proposal"]
    content = proposal_content(
        proposal["actionId"],
        proposal["agentId"],
        CREDENTIALS["credentialId"],
        FULL["proposalHash"],
        proposal["proposedAt"],
    )
    assert content == CREDENTIALS["proposalContent"]
    assert auth_header(credential(), content) == CREDENTIALS["proposalHeader"]
    withdrawal = withdrawal_content(proposal["actionId"], proposal["agentId"], CREDENTIALS["credentialId"])
    assert withdrawal == CREDENTIALS["withdrawalContent"]
    assert auth_header(credential(), withdrawal) == CREDENTIALS["withdrawalHeader"]


def test_another_key_or_other_content_gives_another_header() -> None:
    other = derive(b"another installation's master secret, 32+ bytes", CREDENTIALS["agentId"], "cred-2026-12")
    assert auth_header(other, CREDENTIALS["proposalContent"]) != CREDENTIALS["proposalHeader"]
    later = CREDENTIALS["proposalContent"].replace("1796376599001", "1796376599002")
    assert auth_header(credential(), later) != CREDENTIALS["proposalHeader"]


def test_the_key_never_shows() -> None:
    assert CREDENTIALS["key"] not in repr(credential())
    assert CREDENTIALS["key"] not in str(credential())


@pytest.mark.parametrize(
    ("credential_id", "key"),
    [("", CREDENTIALS["key"]), ("has space", CREDENTIALS["key"]), ("x" * 65, CREDENTIALS["key"]),
     ("ok", "too-short"), ("ok", "not base64url!!" * 3)],
)
def test_malformed_credentials_are_refused(credential_id: str, key: str) -> None:
    with pytest.raises(ValueError) as refused:
        AgentCredential.of("agent", credential_id, key)
    assert key not in str(refused.value) or len(key) < 16


def test_a_short_master_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        derive(b"short", "agent", "cred")
