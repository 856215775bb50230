"""What an agent takes from a verified decision: binding to its proposal, expiry, instructions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from helpers import parsed_schema, sign, vectors
from test_proposals import as_record

from hitl import Decision, DecisionRecord, Feedback, Outcome, SentProposal, check, mismatch, wire_form
from hitl.proposals import from_epoch_millis

VECTORS = vectors()
SCHEMA = parsed_schema("ProposedAction")
KEY = VECTORS["privateKey"]


def proposal(name: str) -> SentProposal:
    vector = next(v for v in VECTORS["proposals"] if v["name"] == name)
    return SentProposal.of(wire_form(as_record(vector["proposal"]), SCHEMA))


def decision(index: int) -> DecisionRecord:
    return DecisionRecord.from_avro(VECTORS["decisions"][index]["decision"])


AUTO = decision(0)  # AUTO_APPROVED, of proposal "minimal"
MODIFIED = decision(1)  # MODIFIED, of proposal "full"
BEFORE_EXPIRY = from_epoch_millis(AUTO.decided_at + 1000)


def test_the_vectors_decisions_decide_the_vectors_proposals() -> None:
    assert mismatch(AUTO, proposal("minimal")) is None
    assert mismatch(MODIFIED, proposal("full")) is None
    assert "action act-0001, not act-0002" in (mismatch(AUTO, proposal("full")) or "")
    resent = proposal("minimal")
    other_content = SentProposal.of({**resent.wire, "arguments": '{"q":"refund policy","limit":6}'})
    assert "another proposal" in (mismatch(AUTO, other_content) or "")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tool": "shell"}, "tool shell"),
        ({"action_type": "db.execute"}, "actionType db.execute"),
        ({"target": "prod-db"}, "target prod-db"),
        ({"agent_id": "support-agent-2"}, "agent support-agent-2"),
        ({"action_id": "act-0009"}, "action act-0009"),
        ({"proposal_hash": "0" * 64}, "another proposal"),
    ],
)
def test_a_genuinely_signed_approval_of_something_else_is_not_this_proposals(change: dict[str, Any], expected: str) -> None:
    # Signed with the trusted key: a decider's bug, or a replay of another decision.
    other = sign(dataclasses.replace(AUTO, **change), KEY)
    assert expected in (mismatch(other, proposal("minimal")) or "")


def test_an_approval_of_other_arguments_is_not_this_proposals_unless_a_reviewer_modified_them() -> None:
    other_args = '{"q":"refund policy","limit":500}'
    from hitl import arguments_hash

    approved = sign(
        dataclasses.replace(AUTO, final_arguments=other_args, arguments_hash=arguments_hash(other_args)), KEY
    )
    assert "other arguments" in (mismatch(approved, proposal("minimal")) or "")
    modified = sign(dataclasses.replace(approved, outcome="MODIFIED"), KEY)
    assert mismatch(modified, proposal("minimal")) is None
    taken = check(modified, BEFORE_EXPIRY)
    assert taken.may_run and taken.modified and taken.arguments_to_run == other_args
    assert other_args in taken.instructions()


def test_a_refusal_may_leave_out_tool_and_target_but_not_name_others() -> None:
    rejected = sign(dataclasses.replace(AUTO, outcome="REJECTED", tool=None, action_type=None), KEY)
    assert mismatch(rejected, proposal("minimal")) is None
    renamed = sign(dataclasses.replace(rejected, tool="shell"), KEY)
    assert mismatch(renamed, proposal("minimal")) is not None


def test_an_approval_runs_only_before_it_expires() -> None:
    assert check(AUTO, BEFORE_EXPIRY).may_run
    assert check(AUTO, BEFORE_EXPIRY).still_valid_at(BEFORE_EXPIRY)
    assert not check(AUTO, BEFORE_EXPIRY).still_valid_at(from_epoch_millis(AUTO.expires_at))
    expired = check(AUTO, from_epoch_millis(AUTO.expires_at))
    assert not expired.may_run and expired.arguments_to_run is None
    assert "expired" in (expired.problem or "") and expired.instructions().startswith("Do not run")
    no_expiry = check(dataclasses.replace(AUTO, expires_at=None), BEFORE_EXPIRY)
    assert not no_expiry.may_run and "no expiry" in (no_expiry.problem or "")
    no_arguments = check(dataclasses.replace(AUTO, final_arguments=None), BEFORE_EXPIRY)
    assert not no_arguments.may_run


def test_only_approvals_run() -> None:
    for outcome in Outcome:
        taken = check(dataclasses.replace(AUTO, outcome=outcome.value), BEFORE_EXPIRY)
        assert taken.may_run == (outcome in (Outcome.AUTO_APPROVED, Outcome.APPROVED, Outcome.MODIFIED))
    assert Outcome.of("SOMETHING_NEW") is Outcome.UNKNOWN
    assert not check(dataclasses.replace(AUTO, outcome="SOMETHING_NEW"), BEFORE_EXPIRY).may_run


def test_instructions_tell_the_model_what_to_do() -> None:
    def said(outcome: str, **change: Any) -> str:
        return check(dataclasses.replace(AUTO, outcome=outcome, **change), BEFORE_EXPIRY).instructions()

    assert said("AUTO_APPROVED").startswith("Approved by policy: run")
    assert said("APPROVED", approvers=("carol",)).startswith("Approved by carol: run")
    rejected = said("REJECTED", approvers=("carol",), feedback=Feedback("Not during the audit", "reviewer"))
    assert rejected.startswith("Rejected by carol: do not run") and "Reason: Not during the audit" in rejected
    assert "in time" in said("TIMED_OUT")
    assert "never allowed" in said("BLOCKED", decided_by="no-drop-table")
    assert "invalid" in said("INVALID")
    assert "halted" in said("HALTED")
    assert "withdrawn" in said("WITHDRAWN")
    assert "does not know" in said("SOMETHING_NEW")


def test_expires_at_and_arguments() -> None:
    taken = check(AUTO, BEFORE_EXPIRY)
    assert taken.expires_at == from_epoch_millis(AUTO.expires_at)
    assert taken.arguments() == {"q": "refund policy", "limit": 5}
    assert taken.expires_at - from_epoch_millis(AUTO.decided_at) == timedelta(minutes=15)
    assert isinstance(taken, Decision)
