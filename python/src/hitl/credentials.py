"""Agent credentials: who an agent is comes from a key it holds, never from a field it fills in.

The operators issue each agent a credential id and a 32-byte key (base64url without padding),
derived from their master secret (HKDF-SHA256, schemas README "Agent credentials"). Every proposal
and withdrawal carries the record header ``hitl.auth`` = ``v1.<credentialId>.<mac>``: base64url
(no padding) HMAC-SHA256 with the key over the RFC 8785 JSON of what it authenticates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .canonical import canonicalize

__all__ = [
    "AUTH_HEADER",
    "AUTH_AGENT_HEADER",
    "WITHDRAWN_BY_HEADER",
    "AgentCredential",
    "derive",
    "proposal_content",
    "withdrawal_content",
    "auth_header",
]

#: The record header carrying a proposal's or withdrawal's authentication.
AUTH_HEADER = "hitl.auth"
#: The header a delegate adds: the id of the agent whose credential made ``hitl.auth``.
AUTH_AGENT_HEADER = "hitl.auth.agent"
#: The header of a withdrawal tombstone: the withdrawing agent's id.
WITHDRAWN_BY_HEADER = "hitl.withdrawn.by"

_VERSION = "v1"
_SALT = b"hitl agent credential v1"
_CREDENTIAL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _require_credential_id(credential_id: str) -> None:
    if not isinstance(credential_id, str) or not _CREDENTIAL_ID.fullmatch(credential_id):
        raise ValueError("a credential id is 1-64 letters, digits, '_' or '-'")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("an agent key is base64url (as hitl-agents prints it)") from e


@dataclass(frozen=True)
class AgentCredential:
    """An agent's credential: the agent, the credential id the registry lists, the 32-byte key.

    Its ``repr`` never shows the key.
    """

    agent_id: str
    credential_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.agent_id, str) or not self.agent_id:
            raise ValueError("a credential names its agent")
        _require_credential_id(self.credential_id)
        if not isinstance(self.key, (bytes, bytearray)) or len(self.key) != 32:
            raise ValueError("an agent key is 32 bytes")
        object.__setattr__(self, "key", bytes(self.key))

    @classmethod
    def of(cls, agent_id: str, credential_id: str, encoded_key: str) -> AgentCredential:
        """The credential as the operators hand it out: its id and its key in base64url."""
        if not isinstance(encoded_key, str):
            raise ValueError("an agent key is base64url text")
        return cls(agent_id, credential_id, _unb64url(encoded_key))

    @property
    def encoded_key(self) -> str:
        """The key as base64url without padding (what an agent is given)."""
        return _b64url(self.key)

    def __repr__(self) -> str:
        return f"AgentCredential(agent_id={self.agent_id!r}, credential_id={self.credential_id!r}, key not shown)"


def derive(master_secret: bytes, agent_id: str, credential_id: str) -> AgentCredential:
    """The operators' derivation (for tests and tooling; agents are given the result).

    HKDF-SHA256 (RFC 5869): IKM = the master secret (at least 32 bytes), salt = ``hitl agent
    credential v1``, info = agentId, a NUL byte, credentialId; 32 bytes.
    """
    if len(master_secret) < 32:
        raise ValueError("the agent credentials' master secret needs at least 32 bytes")
    _require_credential_id(credential_id)
    info = agent_id.encode("utf-8") + b"\x00" + credential_id.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(master_secret)
    return AgentCredential(agent_id, credential_id, key)


def proposal_content(
    action_id: str, agent_id: str, credential_id: str, proposal_hash: str, proposed_at_millis: int
) -> str:
    """What a proposal's ``hitl.auth`` covers: the proposal (by its hash) and its send time."""
    return canonicalize(
        {
            "actionId": action_id,
            "agentId": agent_id,
            "credentialId": credential_id,
            "proposalHash": proposal_hash,
            "proposedAt": proposed_at_millis,
            "type": "proposal",
        }
    )


def withdrawal_content(action_id: str, agent_id: str, credential_id: str) -> str:
    """What a withdrawal's ``hitl.auth`` covers (``agent_id`` is the ``hitl.withdrawn.by`` agent)."""
    return canonicalize(
        {"actionId": action_id, "agentId": agent_id, "credentialId": credential_id, "type": "withdrawal"}
    )


def auth_header(credential: AgentCredential, content: str) -> str:
    """The ``hitl.auth`` value: ``v1.<credentialId>.<base64url HMAC-SHA256(key, content)>``."""
    mac = hmac.new(credential.key, content.encode("utf-8"), hashlib.sha256).digest()
    return f"{_VERSION}.{credential.credential_id}.{_b64url(mac)}"
