"""A hitl client without Kafka, for the adapters' tests.

It keeps what the real client would send and answers with decisions signed as a decider signs them
(the test vectors' key), taken through the client's own checks: signature (DecisionVerifier),
binding to the proposal sent in its wire form (mismatch) and expiry (check). A test decides each
proposal with a script (approve, reject, modify, time out, or leave it waiting) and may decide a
waiting one later, from any thread.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone

from helpers import parsed_schema, sign, vectors

from hitl import (
    Decision,
    DecisionRecord,
    DecisionVerifier,
    Feedback,
    ProposedAction,
    PublicKeys,
    SentProposal,
    Verification,
    arguments_hash,
    check,
    mismatch,
    wire_form,
)
from hitl.proposals import epoch_millis

_VECTORS = vectors()
_SCHEMA = parsed_schema("ProposedAction")
_VERIFIER = DecisionVerifier(PublicKeys.parse(_VECTORS["publicKeys"]))
_KEY = _VECTORS["privateKey"]


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the script decides: an outcome, the reviewer's reason or modified arguments."""

    outcome: str
    reason: str | None = None
    arguments: str | None = None
    approvers: tuple[str, ...] = ()
    expires_in: timedelta = timedelta(minutes=15)


def approve(*approvers: str) -> Verdict:
    return Verdict("APPROVED" if approvers else "AUTO_APPROVED", approvers=approvers)


def reject(reason: str, approver: str = "rita@example.com") -> Verdict:
    return Verdict("REJECTED", reason=reason, approvers=(approver,))


def modify(arguments: str, reason: str | None = None, approver: str = "rita@example.com") -> Verdict:
    return Verdict("MODIFIED", reason=reason, arguments=arguments, approvers=(approver,))


def timed_out() -> Verdict:
    return Verdict("TIMED_OUT")


def expired() -> Verdict:
    """An approval that was already stale when it arrived."""
    return Verdict("APPROVED", approvers=("rita@example.com",), expires_in=timedelta(seconds=-1))


Script = Callable[[ProposedAction], Verdict | None]


class FakeHitl:
    """Records proposals and withdrawals; decides with ``script`` (None leaves a proposal waiting)."""

    def __init__(self, script: Script | None = None, agent_id: str = "support-agent-1") -> None:
        self.agent_id = agent_id
        self.script = script
        self.proposals: list[ProposedAction] = []
        self.withdrawn: list[str] = []
        self._sent: dict[str, SentProposal] = {}
        self._futures: dict[str, Future[Decision]] = {}
        self._decided: dict[str, Decision] = {}
        self._lock = threading.Lock()
        self.proposed = threading.Condition(self._lock)

    # ------------------------------------------------------------------ the client's API

    def propose(self, action: ProposedAction) -> Future[Decision]:
        if not action.agent_id:
            action = dataclasses.replace(action, agent_id=self.agent_id)
        sent = SentProposal.of(wire_form(action.to_avro(), _SCHEMA))
        with self._lock:
            earlier = self._sent.get(action.action_id)
            if earlier is not None and earlier.proposal_hash != sent.proposal_hash:
                raise ValueError(f"another proposal under actionId {action.action_id}")
            self.proposals.append(action)
            self._sent[action.action_id] = sent
            future = self._futures.setdefault(action.action_id, Future())
            known = self._decided.get(action.action_id)
            self.proposed.notify_all()
        if known is not None:
            _complete(future, known)
        elif self.script is not None:
            verdict = self.script(action)
            if verdict is not None:
                self.decide(action.action_id, verdict)
        return future

    def withdraw(self, action_id: str) -> Future[Decision]:
        with self._lock:
            self.withdrawn.append(action_id)
            future = self._futures.setdefault(action_id, Future())
        if not future.done():
            self.decide(action_id, Verdict("WITHDRAWN"))
        return future

    # ------------------------------------------------------------------ the test's side

    def decide(self, action_id: str, verdict: Verdict) -> Decision:
        """Decides a proposal as the deciders would, and hands the decision out through the checks."""
        with self._lock:
            sent = self._sent[action_id]
            future = self._futures[action_id]
        record = self._signed(sent, verdict)
        assert _VERIFIER.verify(record) is Verification.VALID
        assert mismatch(record, sent) is None
        decision = check(record, datetime.now(timezone.utc))
        with self._lock:
            self._decided[action_id] = decision
        _complete(future, decision)
        return decision

    def wait_for_proposals(self, count: int, timeout: float = 10.0) -> list[ProposedAction]:
        with self._lock:
            if not self.proposed.wait_for(lambda: len(self.proposals) >= count, timeout):
                raise AssertionError(f"{len(self.proposals)} proposals, expected {count}")
            return list(self.proposals)

    @staticmethod
    def _signed(sent: SentProposal, verdict: Verdict) -> DecisionRecord:
        wire = sent.wire
        now = epoch_millis(datetime.now(timezone.utc))
        runs = verdict.outcome in ("AUTO_APPROVED", "APPROVED", "MODIFIED")
        final = verdict.arguments if verdict.arguments is not None else str(wire["arguments"]) if runs else None
        record = DecisionRecord(
            action_id=str(wire["actionId"]),
            agent_id=str(wire["agentId"]),
            outcome=verdict.outcome,
            decided_by="default-policy/auto-read" if verdict.outcome == "AUTO_APPROVED" else "escalation",
            decided_at=now,
            action_type=wire.get("actionType"),
            tool=wire.get("tool"),
            target=wire.get("target"),
            final_arguments=final,
            arguments_hash=None if final is None else arguments_hash(final),
            proposal_hash=sent.proposal_hash,
            approvers=verdict.approvers,
            feedback=None if verdict.reason is None else Feedback(verdict.reason, "POLICY" if not runs else None),
            policy_version="v1",
            expires_at=now + int(verdict.expires_in.total_seconds() * 1000) if runs else None,
        )
        return sign(record, _KEY)


def _complete(future: Future[Decision], decision: Decision) -> None:
    if not future.done():
        future.set_result(decision)

