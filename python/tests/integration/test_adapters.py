"""The LangGraph and OpenAI Agents adapters on the real stack: real library, real client, real services.

The models are the libraries' own scripted ones (no language model, no network); everything else is
real: the proposal goes through Confluent's client to the broker, the Java classifier and escalation
decide and sign, a reviewer votes on the approval service's API, the client verifies the decision,
and only then does the tool run, with the arguments the decision names. Each test's calls carry a
fresh scope and text, so a rerun against the same stack proposes new actions (the classifier rejects
a repeat of a rejected proposal at once: rejection memory).
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call
from conftest import Reviewer
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from hitl import Decision, HitlClient, InputTrust, Outcome
from hitl.langgraph import HitlTools, default_context
from hitl.openai_agents import HitlApprovals
from hitl.tools import ToolAction, ToolGate

set_tracing_disabled(True)

SENT: list[dict[str, str]] = []
SEARCHED: list[str] = []


@pytest.fixture(autouse=True)
def nothing_ran() -> Iterator[None]:
    SENT.clear()
    SEARCHED.clear()
    yield


# An email to a customer waits for a reviewer under the default policy; a web search is a read.
ACTIONS = {
    "send_email": ToolAction("email.send", tool="gmail", target=lambda a: a.get("to")),
    "search": ToolAction("search.web", tool="web"),
}


def unique(text: str) -> str:
    return f"{text} (ref {uuid.uuid4().hex[:12]})"


def decided(gate: ToolGate, action_id: str, timeout: float = 90) -> Decision:
    """The verified decision of an action the adapter proposed (through the real client)."""
    future = gate.submitted(action_id)
    assert future is not None, f"the adapter did not propose {action_id}"
    return future.result(timeout)


def vote_when_asked(reviewer: Reviewer, action_id: Callable[[], str], vote: dict[str, Any]) -> threading.Thread:
    """A reviewer in another thread: waits for the request in the inbox, then votes."""
    failures: list[BaseException] = []

    def review() -> None:
        try:
            wanted = action_id()
            reviewer.wait_for(wanted)
            reviewer.vote(wanted, vote)
        except BaseException as e:  # reported by the joining test
            failures.append(e)

    thread = threading.Thread(target=review, daemon=True)
    thread.failures = failures  # type: ignore[attr-defined]
    thread.start()
    return thread


def joined(thread: threading.Thread) -> None:
    thread.join(120)
    assert not thread.is_alive(), "the reviewer never voted"
    failures: list[BaseException] = thread.failures  # type: ignore[attr-defined]
    if failures:
        raise failures[0]


# ---------------------------------------------------------------------------------------- LangGraph


@tool
def send_email(to: str, body: str) -> str:
    """Sends an email."""
    SENT.append({"to": to, "body": body})
    return f"sent to {to}"


@tool
def search(query: str) -> str:
    """Searches the web."""
    SEARCHED.append(query)
    return f"3 pages about {query}"


def langgraph_agent(hitl: HitlTools, *calls: dict[str, Any]) -> Any:
    model = GenericFakeChatModel(messages=iter([AIMessage("", tool_calls=list(calls)), AIMessage("Done.")]))

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", hitl.tool_node([send_email, search]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", hitl.route, ["tools", END])
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=InMemorySaver())


def tool_call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def tool_messages(result: dict[str, Any]) -> dict[str, ToolMessage]:
    return {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}


def langgraph_tools(client: HitlClient) -> HitlTools:
    # The reviewer context the graph gives, plus the agent's confidence: without one, the default
    # policy raises an email to the senior tier (the OpenAI tests below go there).
    return HitlTools(
        client,
        ACTIONS,
        on_behalf_of="alice@example.com",
        input_trust=InputTrust.USER,
        mode="interrupt",
        wait=3.0,
        context=lambda request: {**default_context(request), "confidence": 0.9},
    )


def test_langgraph_runs_a_read_at_once_and_pauses_an_email_until_the_reviewer_approves(
    client: HitlClient, reviewer: Reviewer
) -> None:
    hitl = langgraph_tools(client)
    body = unique("Your refund is on its way")
    query = unique("refund policy")
    graph = langgraph_agent(
        hitl,
        tool_call("search", {"query": query}, "call_search"),
        tool_call("send_email", {"to": "ann@customer.org", "body": body}, "call_email"),
    )
    thread = f"lg-{uuid.uuid4()}"
    config = {"configurable": {"thread_id": thread}}

    paused = graph.invoke({"messages": [HumanMessage("Tell Ann about her refund")]}, config)

    # The read was auto-approved by policy and ran; the email waits for a person: the graph paused.
    assert SEARCHED == [query]
    assert SENT == []
    [pending] = HitlTools.pending(paused)
    assert pending.tool_name == "send_email" and pending.tool_call_id == "call_email"
    assert decided(hitl.gate, hitl.gate.action_id("search", {"query": query}, "call_search", thread)).outcome is Outcome.AUTO_APPROVED

    reviewer.wait_for(pending.action_id)
    reviewer.vote(pending.action_id, {"verdict": "APPROVE"})
    assert hitl.wait_for_decisions(paused, 90), "no decision reached the client"

    result = graph.invoke(hitl.resume(paused), config)

    assert SENT == [{"to": "ann@customer.org", "body": body}]
    assert SEARCHED == [query], "a resumed graph ran the finished read again"
    messages = tool_messages(result)
    assert messages["call_email"].status == "success"
    assert messages["call_email"].content == "sent to ann@customer.org"
    assert result["messages"][-1].content == "Done."
    decision = decided(hitl.gate, pending.action_id)
    assert decision.outcome is Outcome.APPROVED and tuple(decision.approvers) == ("reviewer",)


def test_langgraph_tells_the_model_the_reviewers_reason_for_a_rejection_and_sends_nothing(
    client: HitlClient, reviewer: Reviewer
) -> None:
    hitl = langgraph_tools(client)
    graph = langgraph_agent(
        hitl, tool_call("send_email", {"to": "ann@customer.org", "body": unique("No refund")}, "call_email")
    )
    config = {"configurable": {"thread_id": f"lg-{uuid.uuid4()}"}}
    paused = graph.invoke({"messages": [HumanMessage("Tell Ann she gets no refund")]}, config)
    [pending] = HitlTools.pending(paused)

    reviewer.wait_for(pending.action_id)
    reviewer.vote(pending.action_id, {"verdict": "REJECT", "reason": "Billing announces refund decisions"})
    assert hitl.wait_for_decisions(paused, 90)
    result = graph.invoke(hitl.resume(paused), config)

    assert SENT == []
    message = tool_messages(result)["call_email"]
    assert message.status == "error"
    assert "Rejected by reviewer" in message.content
    assert "Billing announces refund decisions" in message.content
    assert result["messages"][-1].content == "Done."  # the model was told, and went on
    assert decided(hitl.gate, pending.action_id).outcome is Outcome.REJECTED


def test_langgraph_runs_the_reviewers_modification_not_the_models_arguments(
    client: HitlClient, reviewer: Reviewer
) -> None:
    hitl = langgraph_tools(client)
    graph = langgraph_agent(
        hitl,
        tool_call("send_email", {"to": "ann@customer.org", "body": unique("Refund of 1000 EUR")}, "call_email"),
    )
    config = {"configurable": {"thread_id": f"lg-{uuid.uuid4()}"}}
    paused = graph.invoke({"messages": [HumanMessage("Tell Ann about her refund")]}, config)
    [pending] = HitlTools.pending(paused)
    changed = {"to": "ann@customer.org", "body": unique("Your refund is on its way")}

    reviewer.wait_for(pending.action_id)
    reviewer.vote(
        pending.action_id,
        {"verdict": "MODIFY", "modifiedArguments": json.dumps(changed), "reason": "No amounts in emails"},
    )
    assert hitl.wait_for_decisions(paused, 90)
    result = graph.invoke(hitl.resume(paused), config)

    assert SENT == [changed]
    content = tool_messages(result)["call_email"].content
    assert "Approved with changes by reviewer" in content and "No amounts in emails" in content
    assert decided(hitl.gate, pending.action_id).outcome is Outcome.MODIFIED


# ------------------------------------------------------------------------------- OpenAI Agents SDK


@function_tool(name_override="send_email")
def send_email_tool(to: str, body: str) -> str:
    """Sends an email.

    Args:
        to: the recipient
        body: the text
    """
    SENT.append({"to": to, "body": body})
    return f"sent to {to}"


def openai_agent(approvals: HitlApprovals, *calls: Any) -> tuple[Agent[Any], ScriptedModel]:
    model = ScriptedModel([list(calls), [assistant_message("Done.")]])
    return Agent(name="support", instructions="Help customers.", model=model, tools=[approvals.tool(send_email_tool)]), model


def outputs(model: ScriptedModel) -> dict[str, str]:
    """What the model was sent as each tool call's result, by call id."""
    last = model.last_call
    assert last is not None
    items = last.input if isinstance(last.input, list) else []
    return {
        str(item["call_id"]): str(item["output"])
        for item in items
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    }


def test_openai_agents_approval_hook_waits_for_the_reviewer_and_runs_the_approved_call(
    client: HitlClient, senior_reviewer: Reviewer
) -> None:
    approvals = HitlApprovals(
        client, ACTIONS, on_behalf_of="alice@example.com", input_trust=InputTrust.USER, timeout=90,
        scope=f"oa-{uuid.uuid4()}",
    )
    body = unique("Your refund is on its way")
    arguments = json.dumps({"to": "ann@customer.org", "body": body})
    support, model = openai_agent(approvals, function_call("send_email", arguments, call_id="call_1"))

    async def conversation() -> Any:
        interrupted = await Runner.run(support, "Tell Ann about her refund")
        [item] = interrupted.interruptions  # the SDK asks for approval; nothing ran
        assert SENT == []
        action_id = approvals.gate.action_id("send_email", arguments, "call_1", approvals.scope)
        voter = vote_when_asked(senior_reviewer, lambda: action_id, {"verdict": "APPROVE"})
        state = await approvals.resolve(interrupted, user_request="Tell Ann about her refund")
        joined(voter)
        return await Runner.run(support, state), action_id

    result, action_id = asyncio.run(conversation())

    assert SENT == [{"to": "ann@customer.org", "body": body}]
    assert outputs(model) == {"call_1": "sent to ann@customer.org"}
    assert result.final_output == "Done."
    decision = decided(approvals.gate, action_id)
    # No confidence in an SDK tool call: the default policy raised the email to the senior tier.
    assert decision.outcome is Outcome.APPROVED and tuple(decision.approvers) == ("senior",)


def test_openai_agents_rejection_reaches_the_model_with_the_reason_and_nothing_runs(
    client: HitlClient, senior_reviewer: Reviewer
) -> None:
    scope = f"oa-{uuid.uuid4()}"
    approvals = HitlApprovals(
        client, ACTIONS, on_behalf_of="alice@example.com", input_trust=InputTrust.USER, timeout=90, scope=scope
    )
    body = unique("We cannot refund you")
    arguments = json.dumps({"to": "ann@customer.org", "body": body})
    support, model = openai_agent(approvals, function_call("send_email", arguments, call_id="call_1"))
    action_id = approvals.gate.action_id("send_email", arguments, "call_1", scope)
    voter = vote_when_asked(
        senior_reviewer, lambda: action_id, {"verdict": "REJECT", "reason": "Offer a call instead"}
    )

    result = asyncio.run(approvals.run(support, "Tell Ann she gets no refund"))
    joined(voter)

    assert SENT == []
    said = outputs(model)["call_1"]
    assert "Rejected by senior" in said and "Offer a call instead" in said
    assert result.final_output == "Done."
    assert decided(approvals.gate, action_id).outcome is Outcome.REJECTED
