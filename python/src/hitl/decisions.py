"""Decisions: the record on ``hitl.decisions``, its verification, and what an agent takes from it.

A decision is taken only when (1) its Ed25519 signature verifies with a pinned public key over its
signed content and ``finalArguments`` hash to the signed ``argumentsHash``
(:class:`DecisionVerifier`), (2) it decides exactly the proposal the agent sent (:func:`mismatch`:
actionId, agent, ``proposalHash``, and for an approval the proposal's actionType, tool and target,
and for AUTO_APPROVED/APPROVED its own arguments), and (3) an approval runs only before
``expiresAt``. These are the checks of the Java SDK (``DecisionVerifier``, ``DecisionBinding``,
``HitlClient``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from cryptography.exceptions import InvalidSignature

from .canonical import StrictJsonError, arguments_hash, canonicalize
from .keys import PublicKeys
from .proposals import SentProposal, epoch_millis, from_epoch_millis

__all__ = [
    "ALGORITHM",
    "LEGACY_ALGORITHM",
    "NOT_THIS_PROPOSAL",
    "Outcome",
    "Feedback",
    "DecisionRecord",
    "Verification",
    "DecisionVerifier",
    "Decision",
    "mismatch",
    "check",
    "refused",
    "RUNNABLE",
]

#: The one accepted signature algorithm.
ALGORITHM = "Ed25519"
#: Decisions signed before Ed25519 name this; they are never run.
LEGACY_ALGORITHM = "HmacSHA256"
#: The refusal reason of a verified decision that does not decide the proposal the client sent.
NOT_THIS_PROPOSAL = "NOT_THIS_PROPOSAL"


class Outcome(str, Enum):
    """The final outcome of a proposed action. Only AUTO_APPROVED, APPROVED and MODIFIED may run."""

    AUTO_APPROVED = "AUTO_APPROVED"
    APPROVED = "APPROVED"
    MODIFIED = "MODIFIED"
    REJECTED = "REJECTED"
    TIMED_OUT = "TIMED_OUT"
    BLOCKED = "BLOCKED"
    INVALID = "INVALID"
    HALTED = "HALTED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def of(cls, symbol: str | None) -> Outcome:
        """The outcome of a symbol; one this client does not know reads UNKNOWN (do not run)."""
        try:
            return cls(symbol)
        except ValueError:
            return cls.UNKNOWN


RUNNABLE = frozenset({Outcome.AUTO_APPROVED, Outcome.APPROVED, Outcome.MODIFIED})


@dataclass(frozen=True)
class Feedback:
    """Why an action was not approved as proposed: the reviewer's or the rule's words."""

    reason: str | None
    category: str | None = None


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return epoch_millis(value)
    return int(value)


@dataclass(frozen=True)
class DecisionRecord:
    """A ``dev.hitl.schemas.Decision`` as read from ``hitl.decisions`` (timestamps in epoch ms)."""

    action_id: str
    agent_id: str
    outcome: str
    decided_by: str
    decided_at: int
    action_type: str | None = None
    tool: str | None = None
    target: str | None = None
    final_arguments: str | None = None
    arguments_hash: str | None = None
    proposal_hash: str | None = None
    approvers: tuple[str, ...] = ()
    feedback: Feedback | None = None
    policy_version: str | None = None
    expires_at: int | None = None
    signature_key_id: str | None = None
    signature_algorithm: str | None = None
    signature: str | None = None

    @classmethod
    def from_avro(cls, record: Mapping[str, Any]) -> DecisionRecord:
        """From the Avro record as a dict (timestamps as datetimes or epoch ms)."""
        feedback = record.get("feedback")
        decided_at = _millis(record["decidedAt"])
        assert decided_at is not None
        return cls(
            action_id=record["actionId"],
            agent_id=record["agentId"],
            outcome=record["outcome"],
            decided_by=record["decidedBy"],
            decided_at=decided_at,
            action_type=record.get("actionType"),
            tool=record.get("tool"),
            target=record.get("target"),
            final_arguments=record.get("finalArguments"),
            arguments_hash=record.get("argumentsHash"),
            proposal_hash=record.get("proposalHash"),
            approvers=tuple(record.get("approvers") or ()),
            feedback=None
            if feedback is None
            else Feedback(reason=feedback.get("reason"), category=feedback.get("category")),
            policy_version=record.get("policyVersion"),
            expires_at=_millis(record.get("expiresAt")),
            signature_key_id=record.get("signatureKeyId"),
            signature_algorithm=record.get("signatureAlgorithm"),
            signature=record.get("signature"),
        )

    def to_avro(self) -> dict[str, Any]:
        """The Avro record as a dict (timestamps in epoch ms)."""
        return {
            "actionId": self.action_id,
            "agentId": self.agent_id,
            "actionType": self.action_type,
            "tool": self.tool,
            "target": self.target,
            "outcome": self.outcome,
            "finalArguments": self.final_arguments,
            "argumentsHash": self.arguments_hash,
            "proposalHash": self.proposal_hash,
            "approvers": list(self.approvers),
            "feedback": None
            if self.feedback is None
            else {"reason": self.feedback.reason, "category": self.feedback.category},
            "decidedBy": self.decided_by,
            "policyVersion": self.policy_version,
            "decidedAt": self.decided_at,
            "expiresAt": self.expires_at,
            "signatureKeyId": self.signature_key_id,
            "signatureAlgorithm": self.signature_algorithm,
            "signature": self.signature,
        }

    def signed_content(self) -> str:
        """The RFC 8785 JSON of the 16 signed members (schemas README, "Decision signatures")."""
        return canonicalize(
            {
                "actionId": self.action_id,
                "actionType": self.action_type,
                "agentId": self.agent_id,
                "approvers": list(self.approvers),
                "argumentsHash": self.arguments_hash,
                "decidedAt": self.decided_at,
                "decidedBy": self.decided_by,
                "expiresAt": self.expires_at,
                "feedback": None
                if self.feedback is None
                else {"category": self.feedback.category, "reason": self.feedback.reason},
                "outcome": self.outcome,
                "policyVersion": self.policy_version,
                "proposalHash": self.proposal_hash,
                "signatureAlgorithm": self.signature_algorithm,
                "signatureKeyId": self.signature_key_id,
                "target": self.target,
                "tool": self.tool,
            }
        )


class Verification(Enum):
    """What verifying one decision found. Only VALID lets an action run."""

    VALID = "valid"
    LEGACY = "signed with the legacy HmacSHA256 scheme, which is no longer accepted"
    UNSIGNED = "not signed"
    UNSUPPORTED_ALGORITHM = "signed with an algorithm other than Ed25519"
    UNKNOWN_KEY = "signed with a key that is not among the trusted decision keys"
    BAD_SIGNATURE = "its signature does not verify (changed or forged)"
    ARGUMENTS_MISMATCH = "its finalArguments do not match the signed argumentsHash"

    def describe(self) -> str:
        """A sentence for logs and refusals."""
        return str(self.value)


class DecisionVerifier:
    """Verifies decisions with the deciders' public keys: it can check a decision, never make one."""

    def __init__(self, keys: PublicKeys) -> None:
        if len(keys) == 0:
            raise ValueError("a decision verifier needs at least one public key")
        self.keys = keys

    def verify(self, record: DecisionRecord) -> Verification:
        if record.signature is None or record.signature_key_id is None or record.signature_algorithm is None:
            return Verification.UNSIGNED
        if record.signature_algorithm == LEGACY_ALGORITHM:
            return Verification.LEGACY
        if record.signature_algorithm != ALGORITHM:
            return Verification.UNSUPPORTED_ALGORITHM
        key = self.keys.get(record.signature_key_id)
        if key is None:
            return Verification.UNKNOWN_KEY
        try:
            signature = base64.b64decode(record.signature, validate=True)
        except (binascii.Error, ValueError):
            return Verification.BAD_SIGNATURE
        if len(signature) != 64:
            return Verification.BAD_SIGNATURE
        try:
            content = record.signed_content().encode("utf-8")
        except ValueError:
            return Verification.BAD_SIGNATURE
        try:
            key.key().verify(signature, content)
        except InvalidSignature:
            return Verification.BAD_SIGNATURE
        if record.final_arguments is not None:
            try:
                computed = arguments_hash(record.final_arguments)
            except ValueError:
                return Verification.ARGUMENTS_MISMATCH
            if computed != record.arguments_hash:
                return Verification.ARGUMENTS_MISMATCH
        return Verification.VALID


def _differs(decided: str | None, proposed: str | None, strict: bool) -> bool:
    # A decision that lets the action run must name the proposal's value exactly (a null target
    # included); one that does not may leave it out.
    return decided != proposed if strict else decided is not None and decided != proposed


def mismatch(record: DecisionRecord, proposal: SentProposal) -> str | None:
    """Why a verified decision is not the decision of this proposal, or None when it is."""
    wire = proposal.wire
    if record.action_id != wire["actionId"]:
        return f"it decides action {record.action_id}, not {wire['actionId']}"
    if record.agent_id != wire["agentId"]:
        return f"it is addressed to agent {record.agent_id}, not {wire['agentId']}"
    if record.proposal_hash != proposal.proposal_hash:
        return (
            f"it decides another proposal under the same actionId (its proposalHash is {record.proposal_hash},"
            f" this proposal's is {proposal.proposal_hash})"
        )
    outcome = Outcome.of(record.outcome)
    runs = outcome in RUNNABLE
    if _differs(record.action_type, wire.get("actionType"), runs):
        return f"it names actionType {record.action_type}, the proposal {wire.get('actionType')}"
    if _differs(record.tool, wire.get("tool"), runs):
        return f"it names tool {record.tool}, the proposal {wire.get('tool')}"
    if _differs(record.target, wire.get("target"), runs):
        return f"it names target {record.target}, the proposal {wire.get('target')}"
    if outcome in (Outcome.AUTO_APPROVED, Outcome.APPROVED):
        try:
            proposed = arguments_hash(str(wire["arguments"]))
        except StrictJsonError as e:
            return f"the proposal's arguments are not strict JSON: {e}"
        if proposed != record.arguments_hash:
            return (
                f"it approves other arguments than the proposal's (argumentsHash {record.arguments_hash},"
                f" the proposal's arguments hash to {proposed})"
            )
    return None


@dataclass(frozen=True)
class Decision:
    """A verified decision as an agent uses it: may the action run, with which arguments, until when,
    and when it may not, what to do instead, in words a model can act on.

    ``may_run`` is true only for an approval (AUTO_APPROVED, APPROVED, MODIFIED) whose signature
    verified, that decides exactly the proposal sent, carries arguments and had not expired when it
    was handed out. Check :meth:`still_valid_at` right before acting.
    """

    record: DecisionRecord
    may_run: bool
    problem: str | None = None

    @property
    def outcome(self) -> Outcome:
        return Outcome.of(self.record.outcome)

    @property
    def action_id(self) -> str:
        return self.record.action_id

    @property
    def arguments_to_run(self) -> str | None:
        """The JSON arguments to run with (a reviewer's modification, or the proposal's), when it may run."""
        return self.record.final_arguments if self.may_run else None

    def arguments(self) -> dict[str, Any] | None:
        """:attr:`arguments_to_run` parsed, when it may run."""
        text = self.arguments_to_run
        return None if text is None else json.loads(text)

    @property
    def modified(self) -> bool:
        """Whether a reviewer changed the arguments."""
        return self.outcome is Outcome.MODIFIED

    @property
    def approvers(self) -> Sequence[str]:
        return self.record.approvers

    @property
    def feedback(self) -> Feedback | None:
        return self.record.feedback

    @property
    def expires_at(self) -> datetime | None:
        """When the approval stops holding; run the action only before it."""
        return None if self.record.expires_at is None else from_epoch_millis(self.record.expires_at)

    def still_valid_at(self, now: datetime | None = None) -> bool:
        """Whether the approval still holds at ``now`` (default: the current time)."""
        moment = now if now is not None else datetime.now(timezone.utc)
        return (
            self.may_run and self.record.expires_at is not None and epoch_millis(moment) < self.record.expires_at
        )

    def instructions(self) -> str:
        """What the agent should do next, in plain words for its model."""
        record = self.record
        who = "" if not record.approvers else " by " + ", ".join(record.approvers)
        why = "" if record.feedback is None else f" Reason: {record.feedback.reason}"
        if self.problem is not None:
            return f"Do not run the action: {self.problem} Propose it again if it is still needed."
        outcome = self.outcome
        if outcome is Outcome.AUTO_APPROVED:
            return "Approved by policy: run the action with the arguments as proposed."
        if outcome is Outcome.APPROVED:
            return f"Approved{who}: run the action with the arguments as proposed."
        if outcome is Outcome.MODIFIED:
            return (
                f"Approved with changes{who}: run the action only with these arguments instead of yours:"
                f" {record.final_arguments}.{why}"
            )
        if outcome is Outcome.REJECTED:
            return (
                f"Rejected{who}: do not run the action.{why}"
                " Adapt your plan to this feedback; do not propose the same action unchanged."
            )
        if outcome is Outcome.TIMED_OUT:
            return (
                "Nobody approved the action in time, so it was not run. Do not run it; tell the user it"
                " is waiting for approval, or propose it again later."
            )
        if outcome is Outcome.BLOCKED:
            return (
                f"Blocked by policy rule {record.decided_by}: this action is never allowed.{why}"
                " Do not retry it; find another way or ask the user."
            )
        if outcome is Outcome.INVALID:
            return f"The proposal was invalid and was not considered.{why}"
        if outcome is Outcome.HALTED:
            return f"Your actions are halted; nothing will run until an operator resumes you.{why}"
        if outcome is Outcome.WITHDRAWN:
            return "The proposal was withdrawn; do not run the action."
        return "The decision has an outcome this client does not know; do not run the action."


def check(record: DecisionRecord, now: datetime | None = None) -> Decision:
    """May a verified decision of this proposal run at ``now``? (The expiry check.)"""
    if Outcome.of(record.outcome) not in RUNNABLE:
        return Decision(record, False)
    if record.final_arguments is None:
        return Decision(record, False, "the approval carries no arguments to run.")
    if record.expires_at is None:
        return Decision(record, False, "the approval names no expiry.")
    moment = now if now is not None else datetime.now(timezone.utc)
    if epoch_millis(moment) >= record.expires_at:
        return Decision(
            record,
            False,
            f"the approval expired at {from_epoch_millis(record.expires_at).isoformat()}.",
        )
    return Decision(record, True)


def refused(record: DecisionRecord, reason: str) -> Decision:
    """A record that is not an answer (forged, or another proposal's), as a decision that never runs."""
    return Decision(record, False, f"this decision was refused: {reason}.")
