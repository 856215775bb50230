"""The client refuses to start without what makes its answers trustworthy (checked before connecting)."""

from __future__ import annotations

import pytest
from helpers import vectors

from hitl import AgentCredential, HitlClient, derive

VECTORS = vectors()
PUBLIC = VECTORS["publicKeys"]
NOWHERE = dict(bootstrap_servers="127.0.0.1:1", schema_registry_url="http://127.0.0.1:1")
MINE = derive(b"0123456789abcdef0123456789abcdef", "agent-1", "cred-1")


def test_there_is_no_unauthenticated_mode() -> None:
    with pytest.raises(ValueError, match="needs its credential"):
        HitlClient("agent-1", credential=None, decision_public_keys=PUBLIC, **NOWHERE)


def test_another_agents_credential_is_refused() -> None:
    theirs = derive(b"0123456789abcdef0123456789abcdef", "agent-2", "cred-1")
    with pytest.raises(ValueError, match="agent agent-2's, not agent-1's") as refused:
        HitlClient("agent-1", credential=theirs, decision_public_keys=PUBLIC, **NOWHERE)
    assert theirs.encoded_key not in str(refused.value)
    with pytest.raises(ValueError, match="not both"):
        HitlClient("agent-1", credential=MINE, delegate_credential=theirs, decision_public_keys=PUBLIC, **NOWHERE)
    with pytest.raises(ValueError, match="own"):
        HitlClient("agent-1", credential=None, delegate_credential=MINE, decision_public_keys=PUBLIC, **NOWHERE)


def test_a_decider_private_key_is_refused_as_a_trusted_key() -> None:
    with pytest.raises(ValueError, match='"d"'):
        HitlClient("agent-1", credential=MINE, decision_public_keys={"keys": [VECTORS["privateKey"]]}, **NOWHERE)


def test_a_malformed_credential_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as refused:
        HitlClient("agent-1", credential=("cred-1", "c2hvcnQ"), decision_public_keys=PUBLIC, **NOWHERE)
    assert "c2hvcnQ" not in str(refused.value)
    assert isinstance(AgentCredential.of("agent-1", "cred-1", MINE.encoded_key), AgentCredential)
