"""The OpenAI Agents SDK adapter on the real SDK: an agent whose scripted model calls tools hitl decides.

The model is the SDK's own ScriptedModel (agents.testing: a Model returning scripted tool calls,
no network, recording what the model is sent); hitl is the FakeHitl double, whose decisions go
through the client's own checks. Tracing is off (it would export to OpenAI).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call
from fakes import FakeHitl, approve, expired, modify, reject, timed_out

from hitl.openai_agents import HitlApprovals
from hitl.tools import ToolAction

set_tracing_disabled(True)

SENT: list[dict[str, str]] = []


@function_tool
def send_email(to: str, body: str) -> str:
    """Sends an email.

    Args:
        to: the recipient
        body: the text
    """
    SENT.append({"to": to, "body": body})
    return f"sent to {to}"


@function_tool
def search(query: str) -> str:
    """Searches the knowledge base."""
    return f"3 articles about {query}"


@pytest.fixture(autouse=True)
def nothing_sent() -> Iterator[None]:
    SENT.clear()
    yield


EMAIL_ARGS = {"to": "ann@customer.org", "body": "Your refund is on its way"}
ACTIONS = {"send_email": ToolAction("email.send", tool="gmail", target=lambda a: a.get("to"))}


def agent(approvals: HitlApprovals, *calls: Any) -> tuple[Agent[Any], ScriptedModel]:
    model = ScriptedModel([list(calls), [assistant_message("Done.")]])
    guarded = approvals.tool(send_email)
    return Agent(name="support", instructions="Help customers.", model=model, tools=[guarded, search]), model


def email_call(call_id: str = "call_1", **args: str) -> Any:
    return function_call("send_email", {**EMAIL_ARGS, **args}, call_id=call_id)


def outputs(model: ScriptedModel) -> dict[str, str]:
    """What the model was sent as each tool call's result, by call id (its last call's input)."""
    last = model.last_call
    assert last is not None
    items = last.input if isinstance(last.input, list) else []
    return {
        str(item["call_id"]): str(item["output"])
        for item in items
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    }


def run(approvals: HitlApprovals, *calls: Any, text: str = "Tell Ann about her refund") -> tuple[Any, ScriptedModel]:
    support, model = agent(approvals, *calls)
    result = asyncio.run(approvals.run(support, text))
    return result, model


def test_an_approved_call_runs_as_proposed_and_the_proposal_describes_it() -> None:
    hitl = FakeHitl(lambda a: approve("rita@example.com"))
    result, model = run(HitlApprovals(hitl, ACTIONS, on_behalf_of="alice@example.com"), email_call())

    assert SENT == [EMAIL_ARGS]
    assert outputs(model) == {"call_1": "sent to ann@customer.org"}
    assert result.final_output == "Done."
    [proposal] = hitl.proposals
    assert (proposal.action_type, proposal.tool, proposal.target) == ("email.send", "gmail", "ann@customer.org")
    assert json.loads(proposal.arguments) == EMAIL_ARGS
    assert proposal.on_behalf_of == "alice@example.com"
    assert proposal.context.user_request == "Tell Ann about her refund"


def test_a_rejection_reaches_the_model_with_the_reviewers_reason_and_nothing_runs() -> None:
    hitl = FakeHitl(lambda a: reject("Refunds are announced by the billing team"))
    result, model = run(HitlApprovals(hitl, ACTIONS), email_call())

    assert SENT == []
    said = outputs(model)["call_1"]
    assert "Rejected by rita@example.com" in said and "Refunds are announced by the billing team" in said
    assert result.final_output == "Done."


def test_a_modified_call_runs_with_the_reviewers_arguments_and_the_model_is_told() -> None:
    changed = '{"to":"ann@customer.org","body":"Your refund of 20 EUR is on its way"}'
    hitl = FakeHitl(lambda a: modify(changed, reason="Say the amount"))
    _, model = run(HitlApprovals(hitl, ACTIONS), email_call())

    assert SENT == [{"to": "ann@customer.org", "body": "Your refund of 20 EUR is on its way"}]
    said = outputs(model)["call_1"]
    assert "Approved with changes by rita@example.com" in said and "Say the amount" in said
    assert said.endswith("sent to ann@customer.org")


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [(timed_out(), "Nobody approved the action in time"), (expired(), "the approval expired")],
)
def test_a_timeout_or_an_expired_approval_reaches_the_model_and_nothing_runs(verdict: Any, expected: str) -> None:
    _, model = run(HitlApprovals(FakeHitl(lambda a: verdict), ACTIONS), email_call())

    assert SENT == []
    assert expected in outputs(model)["call_1"]


def test_no_decision_within_the_wait_rejects_the_call_and_withdraws_the_proposal() -> None:
    hitl = FakeHitl()
    _, model = run(HitlApprovals(hitl, ACTIONS, timeout=0.05), email_call())

    assert SENT == []
    assert "Nobody decided on the send_email call within 0.05 s" in outputs(model)["call_1"]
    assert hitl.withdrawn == [hitl.proposals[0].action_id]


def test_several_calls_are_proposed_together_and_each_gets_its_own_decision() -> None:
    verdicts = {"ann@customer.org": approve("rita@example.com"), "bob@customer.org": reject("Bob unsubscribed")}
    hitl = FakeHitl(lambda a: verdicts[json.loads(a.arguments)["to"]])
    search_call = function_call("search", {"query": "refunds"}, call_id="call_3")
    _, model = run(
        HitlApprovals(hitl, ACTIONS), email_call(), email_call("call_2", to="bob@customer.org"), search_call
    )

    assert SENT == [EMAIL_ARGS]
    said = outputs(model)
    assert said["call_1"] == "sent to ann@customer.org"
    assert "Bob unsubscribed" in said["call_2"]
    assert said["call_3"] == "3 articles about refunds"  # not guarded: no hitl
    assert len(hitl.proposals) == 2


def test_an_interrupted_run_resolved_by_hand_and_its_state_kept_as_json() -> None:
    # The SDK's own loop: interruptions, a state saved while hitl decides, resolve, run again.
    hitl = FakeHitl()
    approvals = HitlApprovals(hitl, ACTIONS)
    support, model = agent(approvals, email_call())

    async def main() -> Any:
        first = await Runner.run(support, "Tell Ann about her refund")
        assert [i.tool_name for i in first.interruptions] == ["send_email"]
        saved = first.to_state().to_json()
        assert SENT == [] and hitl.proposals == []  # nothing proposed until resolved

        from agents import RunState

        state = await RunState.from_json(support, saved)
        pending = asyncio.create_task(approvals.resolve(state, user_request="Tell Ann about her refund"))
        await asyncio.to_thread(hitl.wait_for_proposals, 1)
        hitl.decide(hitl.proposals[0].action_id, approve("rita@example.com"))
        return await Runner.run(support, await pending)

    result = asyncio.run(main())
    assert SENT == [EMAIL_ARGS]
    assert result.final_output == "Done."
    assert outputs(model)["call_1"] == "sent to ann@customer.org"


def test_a_call_approved_on_the_state_without_hitl_still_waits_for_hitl_and_runs_only_as_it_decides() -> None:
    hitl = FakeHitl(lambda a: reject("No"))
    approvals = HitlApprovals(hitl, ACTIONS)
    support, model = agent(approvals, email_call())

    async def main() -> Any:
        first = await Runner.run(support, "Tell Ann about her refund")
        state = first.to_state()
        for item in first.interruptions:
            state.approve(item)  # an application approving by itself
        return await Runner.run(support, state)

    asyncio.run(main())
    assert SENT == []
    assert "Rejected" in outputs(model)["call_1"] and "No" in outputs(model)["call_1"]
    assert len(hitl.proposals) == 1
