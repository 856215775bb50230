"""Proposal hashes against the committed test vectors, and the wire form they are taken over."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from helpers import parsed_schema, vectors

from hitl import ActionContext, InputTrust, Money, ProposedAction, action, proposal_canonical, proposal_hash, wire_form
from hitl.proposals import from_epoch_millis

VECTORS = vectors()
SCHEMA = parsed_schema("ProposedAction")


def as_record(proposal: dict[str, Any]) -> dict[str, Any]:
    record = dict(proposal)
    if record["estimatedCost"] is not None:
        record["estimatedCost"] = dict(record["estimatedCost"], amount=Decimal(record["estimatedCost"]["amount"]))
    return record


def as_action(proposal: dict[str, Any]) -> ProposedAction:
    cost = proposal["estimatedCost"]
    context = proposal["context"]
    return ProposedAction(
        action_id=proposal["actionId"],
        agent_id=proposal["agentId"],
        on_behalf_of=proposal["onBehalfOf"],
        session_id=proposal["sessionId"],
        action_type=proposal["actionType"],
        tool=proposal["tool"],
        target=proposal["target"],
        arguments=proposal["arguments"],
        estimated_cost=None if cost is None else Money(Decimal(cost["amount"]), cost["currency"]),
        confidence=proposal["confidence"],
        systems_affected=proposal["systemsAffected"],
        input_trust=InputTrust(proposal["inputTrust"]),
        domain=proposal["domain"],
        instruction_conflict=proposal["instructionConflict"],
        batch_id=proposal["batchId"],
        batch_size=proposal["batchSize"],
        context=ActionContext(
            user_request=context["userRequest"],
            steps_so_far=context["stepsSoFar"],
            rationale=context["rationale"],
            alternatives=context["alternatives"],
            expected_outcome=context["expectedOutcome"],
            risks=context["risks"],
        ),
        proposed_at=from_epoch_millis(proposal["proposedAt"]),
        reply_by=None if proposal["replyBy"] is None else from_epoch_millis(proposal["replyBy"]),
    )


@pytest.mark.parametrize("vector", VECTORS["proposals"], ids=lambda v: v["name"])
def test_the_hash_of_the_wire_form_is_the_javas(vector: dict[str, Any]) -> None:
    wire = wire_form(as_record(vector["proposal"]), SCHEMA)
    assert proposal_canonical(wire) == vector["canonical"]
    assert proposal_hash(wire) == vector["proposalHash"]


@pytest.mark.parametrize("vector", VECTORS["proposals"], ids=lambda v: v["name"])
def test_a_proposal_built_in_python_hashes_alike(vector: dict[str, Any]) -> None:
    built = as_action(vector["proposal"])
    assert proposal_hash(built.to_avro()) == vector["proposalHash"]
    assert proposal_hash(wire_form(built.to_avro(), SCHEMA)) == vector["proposalHash"]


def test_defaults_the_agent_left_out_are_hashed_as_the_classifier_reads_them() -> None:
    minimal = next(v for v in VECTORS["proposals"] if v["name"] == "minimal")
    record = {k: v for k, v in minimal["proposal"].items() if k not in ("systemsAffected", "inputTrust", "context")}
    assert proposal_hash(wire_form(record, SCHEMA)) == minimal["proposalHash"]


def test_a_cost_is_hashed_at_the_schemas_nine_places() -> None:
    full = next(v for v in VECTORS["proposals"] if v["name"] == "full")
    record = as_record(full["proposal"])
    record["estimatedCost"] = {"amount": Decimal("1250"), "currency": "EUR"}
    assert proposal_hash(wire_form(record, SCHEMA)) == full["proposalHash"]
    built = as_action(full["proposal"])
    assert Money(Decimal("1250.5"), "EUR").to_avro()["amount"] == Decimal("1250.500000000")
    assert str(Money(Decimal("1250.5"), "EUR").to_avro()["amount"]) == "1250.500000000"
    assert proposal_hash(built.to_avro()) == full["proposalHash"]


def test_a_cost_finer_than_nine_places_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="nine"):
        Money(Decimal("0.0000000001"), "USD").to_avro()


def test_a_proposal_with_a_non_finite_confidence_has_no_canonical_form() -> None:
    proposal = action("search.web", "web", {"q": "x"}, confidence=math.nan, agent_id="a")
    with pytest.raises(ValueError, match="no canonical form"):
        proposal_hash(proposal.to_avro())


def test_every_content_field_changes_the_hash_but_the_send_time_does_not() -> None:
    base = action("email.send", "gmail", {"to": "ann@example.org"}, agent_id="a", on_behalf_of="alice")
    before = proposal_hash(base.to_avro())
    later = ProposedAction(**{**base.__dict__, "proposed_at": from_epoch_millis(1)})
    assert proposal_hash(later.to_avro()) == before
    for change in ({"tool": "outlook"}, {"arguments": '{"to":"eve@example.org"}'}, {"target": "eve"},
                   {"confidence": 0.5}, {"input_trust": InputTrust.USER}, {"on_behalf_of": "bob"}):
        assert proposal_hash(ProposedAction(**{**base.__dict__, **change}).to_avro()) != before, change


def test_action_writes_mapping_arguments_as_compact_json_and_generates_an_id() -> None:
    built = action("email.send", "gmail", {"to": "Zoë"}, user_request="hi", risks=["r"])
    assert built.arguments == '{"to":"Zoë"}'
    assert built.action_id and built.agent_id == ""
    assert built.context.user_request == "hi" and built.context.risks == ("r",)
    assert built.proposed_at.microsecond % 1000 == 0
