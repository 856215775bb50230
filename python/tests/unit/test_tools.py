"""The part of the adapters that needs no framework: tool calls as proposals, waiting, what the model is told."""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from fakes import FakeHitl, approve, modify, reject

from hitl import Decision, InputTrust, Money, ProposalNotSent, ProposedAction
from hitl.tools import ToolAction, ToolGate, ToolReview

EMAIL = {"to": "ann@customer.org", "body": "Your refund is on its way"}


def gate(hitl: Any = None, **kwargs: Any) -> ToolGate:
    actions = {
        "send_email": ToolAction(
            "email.send",
            tool="gmail",
            target=lambda a: a.get("to"),
            domain="support",
            systems_affected=("gmail",),
            estimated_cost=lambda a: Money(Decimal("0.01"), "EUR"),
        ),
        "refund": "payment.refund",
    }
    return ToolGate(hitl or FakeHitl(), actions, unreviewed=["search"], **kwargs)


def test_a_tool_call_is_proposed_as_its_tool_action_describes_it() -> None:
    proposal = gate(input_trust=InputTrust.USER, on_behalf_of="alice@example.com").proposal(
        "send_email", EMAIL, call_id="call_1", scope="thread-1", user_request="Tell Ann", rationale="She asked"
    )
    assert (proposal.action_type, proposal.tool, proposal.target) == ("email.send", "gmail", "ann@customer.org")
    assert (proposal.domain, tuple(proposal.systems_affected)) == ("support", ("gmail",))
    assert proposal.estimated_cost == Money(Decimal("0.01"), "EUR")
    assert proposal.input_trust is InputTrust.USER and proposal.on_behalf_of == "alice@example.com"
    assert (proposal.context.user_request, proposal.context.rationale) == ("Tell Ann", "She asked")
    assert json.loads(proposal.arguments) == EMAIL


def test_tools_named_by_action_type_only_or_not_at_all_are_proposed_under_their_names() -> None:
    g = gate()
    refund = g.proposal("refund", '{"order":"o-1"}', call_id="c")
    assert (refund.action_type, refund.tool, refund.arguments) == ("payment.refund", "refund", '{"order":"o-1"}')
    other = g.proposal("delete_account", {}, call_id="c")
    assert (other.action_type, other.tool) == ("delete_account", "delete_account")
    assert g.reviews("delete_account") and not g.reviews("search")
    with pytest.raises(ValueError, match="both reviewed and unreviewed"):
        ToolGate(FakeHitl(), {"search": "kb.read"}, unreviewed=["search"])


def test_the_same_call_is_the_same_action_and_any_difference_makes_another() -> None:
    g = gate()
    same = g.action_id("send_email", EMAIL, "call_1", "t1")
    assert same == g.action_id("send_email", dict(reversed(list(EMAIL.items()))), "call_1", "t1")
    assert same == g.proposal("send_email", EMAIL, call_id="call_1", scope="t1").action_id
    others = {
        g.action_id("send_email", EMAIL, "call_1", "t2"),
        g.action_id("send_email", EMAIL, "call_2", "t1"),
        g.action_id("send_email", {**EMAIL, "to": "bob@customer.org"}, "call_1", "t1"),
        g.action_id("refund", EMAIL, "call_1", "t1"),
        gate(FakeHitl(agent_id="billing-agent-7")).action_id("send_email", EMAIL, "call_1", "t1"),
    }
    assert same not in others and len(others) == 5


def test_an_action_is_proposed_once_however_often_it_is_reviewed() -> None:
    hitl = FakeHitl()
    g = gate(hitl)
    proposal = g.proposal("send_email", EMAIL, call_id="call_1")
    assert not g.review(proposal, "send_email", 0).decided
    assert not g.review(proposal, "send_email", 0).decided
    assert len(hitl.proposals) == 1
    hitl.decide(proposal.action_id, approve("rita@example.com"))
    review = g.review(proposal, "send_email", 0)
    assert review.may_run() and review.arguments() == EMAIL
    assert len(hitl.proposals) == 1


def test_waiting_asynchronously_leaves_the_proposal_open_when_the_wait_ends() -> None:
    hitl = FakeHitl()
    g = gate(hitl)
    proposal = g.proposal("send_email", EMAIL, call_id="call_1")
    review = asyncio.run(g.areview(proposal, "send_email", 0.01))
    assert not review.decided
    future = g.submitted(proposal.action_id)
    assert future is not None and not future.cancelled()  # a cancelled wait must not cancel the proposal
    hitl.decide(proposal.action_id, reject("No"))
    assert not asyncio.run(g.areview(proposal, "send_email", 1)).may_run()


class Unsendable:
    agent_id = "support-agent-1"

    def __init__(self) -> None:
        self.proposals: list[ProposedAction] = []

    def propose(self, action: ProposedAction) -> Future[Decision]:
        self.proposals.append(action)
        future: Future[Decision] = Future()
        future.set_exception(ProposalNotSent("the broker is down"))
        return future

    def withdraw(self, action_id: str) -> Future[Decision]:
        raise AssertionError("nothing to withdraw")


def test_a_proposal_that_could_not_be_sent_is_told_to_the_model_and_sent_again_next_time() -> None:
    client = Unsendable()
    g = gate(client)
    proposal = g.proposal("send_email", EMAIL, call_id="call_1")
    review = g.give_up(g.review(proposal, "send_email", 1))
    assert not review.may_run() and not review.withdrawn
    assert "could not be put to hitl for approval (the broker is down)" in review.message()
    g.review(proposal, "send_email", 1)
    assert len(client.proposals) == 2


def test_what_the_model_is_told() -> None:
    hitl = FakeHitl()
    g = gate(hitl, timeout=90)
    proposal = g.proposal("send_email", EMAIL, call_id="call_1")
    waiting = g.review(proposal, "send_email", 0)
    assert "is waiting for approval (no decision within 0 s)" in waiting.message()
    assert "within 3 min" in ToolReview(proposal, "send_email", None, 180, withdrawn=True).message()

    approved = ToolReview(proposal, "send_email", hitl.decide(proposal.action_id, approve("rita@example.com")))
    assert approved.may_run() and approved.note() is None
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert not approved.may_run(later)
    assert "expired before it could run" in approved.message(later)

    changed = '{"to":"ann@customer.org","body":"Hi"}'
    other = g.proposal("send_email", EMAIL, call_id="call_2")
    g.review(other, "send_email", 0)
    modified = ToolReview(other, "send_email", hitl.decide(other.action_id, modify(changed, reason="Shorter")))
    assert modified.arguments_json() == changed
    assert modified.note() == (
        "Approved with changes by rita@example.com: the send_email call ran with these arguments instead of"
        f" yours: {changed}. Reason: Shorter"
    )


def test_the_core_package_needs_neither_framework() -> None:
    code = "import sys, hitl, hitl.tools; print(sorted({'langgraph', 'agents', 'langchain_core'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "missing", "extra"),
    [("hitl.langgraph", "langgraph", "langgraph"), ("hitl.openai_agents", "agents", "openai-agents")],
)
def test_an_adapter_without_its_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch, module: str, missing: str, extra: str
) -> None:
    for name in [m for m in sys.modules if m == missing or m.startswith(missing + ".")] + [missing]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=rf"pip install 'hitl-agents\[{extra}\]'"):
        importlib.import_module(module)
