"""hitl for Python agents: propose actions, get verified decisions.

>>> from hitl import HitlClient, action

Adapters (optional extras): :mod:`hitl.langgraph` (``hitl-agents[langgraph]``) and
:mod:`hitl.openai_agents` (``hitl-agents[openai-agents]``).
"""

from .canonical import StrictJsonError, arguments_hash, canonical_json, canonicalize, parse_strict
from .client import DEFAULT_NAMESPACE, DEFAULT_PARTITIONS, HitlClient, ProposalNotSent
from .credentials import (
    AUTH_AGENT_HEADER,
    AUTH_HEADER,
    WITHDRAWN_BY_HEADER,
    AgentCredential,
    auth_header,
    derive,
    proposal_content,
    withdrawal_content,
)
from .decisions import (
    NOT_THIS_PROPOSAL,
    Decision,
    DecisionRecord,
    DecisionVerifier,
    Feedback,
    Outcome,
    Verification,
    check,
    mismatch,
)
from .keys import JWKS_PATH, PublicKey, PublicKeys
from .partitioner import murmur2, partition_for
from .proposals import (
    ActionContext,
    InputTrust,
    Money,
    ProposedAction,
    SentProposal,
    action,
    proposal_canonical,
    proposal_hash,
    wire_form,
)
from .tools import ToolAction, ToolGate, ToolReview

__version__ = "0.1.0"

__all__ = [
    "AUTH_AGENT_HEADER",
    "AUTH_HEADER",
    "DEFAULT_NAMESPACE",
    "DEFAULT_PARTITIONS",
    "JWKS_PATH",
    "NOT_THIS_PROPOSAL",
    "WITHDRAWN_BY_HEADER",
    "ActionContext",
    "AgentCredential",
    "Decision",
    "DecisionRecord",
    "DecisionVerifier",
    "Feedback",
    "HitlClient",
    "InputTrust",
    "Money",
    "Outcome",
    "ProposalNotSent",
    "ProposedAction",
    "PublicKey",
    "PublicKeys",
    "SentProposal",
    "StrictJsonError",
    "ToolAction",
    "ToolGate",
    "ToolReview",
    "Verification",
    "action",
    "arguments_hash",
    "auth_header",
    "canonical_json",
    "canonicalize",
    "check",
    "derive",
    "mismatch",
    "murmur2",
    "parse_strict",
    "partition_for",
    "proposal_canonical",
    "proposal_content",
    "proposal_hash",
    "wire_form",
    "withdrawal_content",
]
