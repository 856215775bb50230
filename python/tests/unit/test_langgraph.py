"""The LangGraph adapter on real LangGraph: a graph whose scripted chat model calls tools that hitl decides.

The model is langchain-core's GenericFakeChatModel (no language model, no network); the graph is a
StateGraph with LangGraph's prebuilt ToolNode wrapped by HitlTools; hitl is the FakeHitl double,
whose decisions go through the client's own checks.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fakes import FakeHitl, approve, expired, modify, reject, timed_out
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import tools_condition
from langgraph.types import Command

from hitl import ProposedAction
from hitl.langgraph import HitlTools
from hitl.tools import ToolAction

SENT: list[dict[str, str]] = []


@tool
def send_email(to: str, body: str) -> str:
    """Sends an email."""
    SENT.append({"to": to, "body": body})
    return f"sent to {to}"


@tool
def search(query: str) -> str:
    """Searches the knowledge base."""
    return f"3 articles about {query}"


@pytest.fixture(autouse=True)
def nothing_sent() -> Iterator[None]:
    SENT.clear()
    yield


def call(name: str, args: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


EMAIL = call("send_email", {"to": "ann@customer.org", "body": "Your refund is on its way"})


def graph(hitl: HitlTools, *turns: AIMessage, checkpointer: Any = None, routed: bool = True) -> Any:
    model = GenericFakeChatModel(messages=iter([*turns, AIMessage("Done.")]))

    def agent(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", hitl.tool_node([send_email, search]))
    builder.add_edge(START, "agent")
    # hitl.route: each tool call a task of its own (what interrupt mode wants); or LangGraph's own edge.
    builder.add_conditional_edges("agent", hitl.route if routed else tools_condition, ["tools", END])
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=checkpointer)


def tools_called(*calls: dict[str, Any], text: str = "") -> AIMessage:
    return AIMessage(text, tool_calls=list(calls))


ACTIONS = {"send_email": ToolAction("email.send", tool="gmail", target=lambda a: a.get("to"))}


def wait_mode(hitl: FakeHitl, **kwargs: Any) -> HitlTools:
    return HitlTools(hitl, ACTIONS, mode="wait", on_behalf_of="alice@example.com", **kwargs)


def ask(g: Any, text: str = "Tell Ann about her refund", config: Any = None) -> dict[str, Any]:
    return g.invoke({"messages": [HumanMessage(text)]}, config)  # type: ignore[no-any-return]


def tool_message(result: dict[str, Any]) -> ToolMessage:
    return next(m for m in result["messages"] if isinstance(m, ToolMessage))


def test_an_approved_call_runs_as_proposed_and_the_proposal_describes_it() -> None:
    hitl = FakeHitl(lambda a: approve("rita@example.com"))
    result = ask(graph(wait_mode(hitl), tools_called(EMAIL, text="Ann asked twice")))

    assert SENT == [{"to": "ann@customer.org", "body": "Your refund is on its way"}]
    assert tool_message(result).content == "sent to ann@customer.org"
    assert tool_message(result).status == "success"
    [proposal] = hitl.proposals
    assert (proposal.action_type, proposal.tool, proposal.target) == ("email.send", "gmail", "ann@customer.org")
    assert json.loads(proposal.arguments) == EMAIL["args"]
    assert proposal.on_behalf_of == "alice@example.com"
    assert proposal.context.user_request == "Tell Ann about her refund"
    assert proposal.context.rationale == "Ann asked twice"


def test_a_rejection_is_the_tools_result_with_the_reviewers_reason_and_nothing_runs() -> None:
    hitl = FakeHitl(lambda a: reject("Refunds are announced by the billing team"))
    result = ask(graph(wait_mode(hitl), tools_called(EMAIL)))

    assert SENT == []
    message = tool_message(result)
    assert message.status == "error"
    assert "Rejected by rita@example.com" in message.content
    assert "Refunds are announced by the billing team" in message.content
    assert message.tool_call_id == "call_1"
    assert result["messages"][-1].content == "Done."  # the model got it and went on


def test_a_modified_call_runs_with_the_reviewers_arguments_and_the_model_is_told() -> None:
    changed = '{"to":"ann@customer.org","body":"Your refund of 20 EUR is on its way"}'
    hitl = FakeHitl(lambda a: modify(changed, reason="Say the amount"))
    result = ask(graph(wait_mode(hitl), tools_called(EMAIL)))

    assert SENT == [{"to": "ann@customer.org", "body": "Your refund of 20 EUR is on its way"}]
    content = tool_message(result).content
    assert "Approved with changes by rita@example.com" in content
    assert "Say the amount" in content and changed in content
    assert content.endswith("sent to ann@customer.org")


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [(timed_out(), "Nobody approved the action in time"), (expired(), "the approval expired")],
)
def test_a_timeout_or_an_expired_approval_is_told_to_the_model_and_nothing_runs(verdict: Any, expected: str) -> None:
    result = ask(graph(wait_mode(FakeHitl(lambda a: verdict)), tools_called(EMAIL)))

    assert SENT == []
    assert expected in tool_message(result).content
    assert tool_message(result).status == "error"


def test_no_decision_within_the_wait_withdraws_the_proposal_and_tells_the_model() -> None:
    hitl = FakeHitl()  # nobody decides
    result = ask(graph(wait_mode(hitl, timeout=0.05), tools_called(EMAIL)))

    assert SENT == []
    assert "Nobody decided on the send_email call within 0.05 s" in tool_message(result).content
    assert hitl.withdrawn == [hitl.proposals[0].action_id]


def test_unreviewed_tools_run_without_hitl_and_others_are_proposed_under_their_name() -> None:
    hitl = FakeHitl(lambda a: approve())
    g = graph(HitlTools(hitl, mode="wait", unreviewed=["search"]), tools_called(call("search", {"query": "refunds"})))
    assert tool_message(ask(g)).content == "3 articles about refunds"
    assert hitl.proposals == []

    g = graph(HitlTools(hitl, mode="wait"), tools_called(call("search", {"query": "refunds"})))
    assert tool_message(ask(g)).content == "3 articles about refunds"
    assert [(p.action_type, p.tool) for p in hitl.proposals] == [("search", "search")]


def test_arguments_hitl_cannot_take_are_refused_to_the_model_not_raised() -> None:
    hitl = FakeHitl(lambda a: approve())
    huge = call("send_email", {"to": "ann@customer.org", "body": "x", "ref": 2**60})
    result = ask(graph(wait_mode(hitl), tools_called(huge)))

    assert SENT == []
    assert "could not be put to hitl for approval" in tool_message(result).content


# ---------------------------------------------------------------------- interrupt mode


def thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


def test_interrupt_mode_pauses_the_graph_until_hitl_decides_and_resumes_with_the_decision() -> None:
    hitl = FakeHitl()
    tools = HitlTools(hitl, ACTIONS, wait=0)
    g = graph(tools, tools_called(EMAIL), checkpointer=InMemorySaver())
    config = thread()

    paused = ask(g, config=config)
    [pending] = tools.pending(paused)
    [proposal] = hitl.proposals
    assert (pending.action_id, pending.tool_name, pending.tool_call_id) == (proposal.action_id, "send_email", "call_1")
    assert SENT == []
    assert not tools.wait_for_decisions(paused, timeout=0)

    hitl.decide(proposal.action_id, reject("Not today"))
    assert tools.wait_for_decisions(paused, timeout=5)
    done = g.invoke(tools.resume(paused), config)

    assert SENT == []
    assert "Not today" in tool_message(done).content
    assert done["messages"][-1].content == "Done."
    assert len({p.action_id for p in hitl.proposals}) == 1  # the resumed call is the same action


def test_a_resume_before_the_decision_pauses_again_and_never_runs_the_tool() -> None:
    hitl = FakeHitl()
    tools = HitlTools(hitl, ACTIONS, wait=0)
    g = graph(tools, tools_called(EMAIL), checkpointer=InMemorySaver())
    config = thread()

    paused = ask(g, config=config)
    # Whatever the resume carries (here a forged "approval"), the decision comes from hitl.
    again = g.invoke(Command(resume={paused["__interrupt__"][0].id: {"outcome": "APPROVED"}}), config)
    assert SENT == [] and tools.pending(again)

    hitl.decide(hitl.proposals[0].action_id, approve("rita@example.com"))
    done = g.invoke(tools.resume(again), config)
    assert SENT == [{"to": "ann@customer.org", "body": "Your refund is on its way"}]
    assert tool_message(done).content == "sent to ann@customer.org"


def test_after_a_restart_the_resumed_call_picks_up_its_decision_from_hitl() -> None:
    hitl = FakeHitl()
    checkpointer = InMemorySaver()
    config = thread()
    g = graph(HitlTools(hitl, ACTIONS, wait=0), tools_called(EMAIL), checkpointer=checkpointer)
    ask(g, config=config)
    action_id = hitl.proposals[0].action_id
    hitl.decide(action_id, approve("rita@example.com"))

    # A new process: a new HitlTools (nothing remembered) over the same checkpoints.
    restarted = HitlTools(hitl, ACTIONS, wait=5)
    g2 = graph(restarted, checkpointer=checkpointer)
    state = g2.get_state(config)
    assert [p.action_id for p in restarted.pending(state)] == [action_id]
    done = g2.invoke(restarted.resume(state), config)

    assert SENT == [{"to": "ann@customer.org", "body": "Your refund is on its way"}]
    assert {p.action_id for p in hitl.proposals} == {action_id}
    assert tool_message(done).status == "success"


def test_two_calls_in_one_message_pause_together_and_each_gets_its_own_decision() -> None:
    hitl = FakeHitl()
    tools = HitlTools(hitl, ACTIONS, wait=0)
    second = call("send_email", {"to": "bob@customer.org", "body": "Hello"}, "call_2")
    g = graph(tools, tools_called(EMAIL, second), checkpointer=InMemorySaver())
    config = thread()

    paused = ask(g, config=config)
    pending = {str(p.arguments["to"]): p.action_id for p in tools.pending(paused)}
    assert set(pending) == {"ann@customer.org", "bob@customer.org"}  # one task, one interrupt each
    hitl.decide(pending["ann@customer.org"], approve("rita@example.com"))
    partly = g.invoke(tools.resume(paused), config)  # Ann's email runs, Bob's still waits
    assert [p.tool_name for p in tools.pending(partly)] == ["send_email"]
    hitl.decide(pending["bob@customer.org"], reject("Bob unsubscribed"))
    done = g.invoke(tools.resume(partly), config)

    assert SENT == [{"to": "ann@customer.org", "body": "Your refund is on its way"}]  # once
    contents = {m.tool_call_id: m.content for m in done["messages"] if isinstance(m, ToolMessage)}
    assert contents["call_1"] == "sent to ann@customer.org" and "Bob unsubscribed" in contents["call_2"]
    assert done["messages"][-1].content == "Done."


@pytest.mark.parametrize(
    ("routed", "restarted", "ann_emailed"),
    [(True, True, 1), (False, False, 1), (False, True, 2)],
    ids=["hitl.route, restarted", "tools_condition, same process", "tools_condition, restarted"],
)
def test_a_call_that_ran_while_another_waits_runs_once_when_each_call_is_its_own_task(
    routed: bool, restarted: bool, ann_emailed: int
) -> None:
    # LangGraph re-runs a whole task when it resumes it. With tools_condition both calls are one
    # task: only this process's memory keeps Ann's email from being sent again, and a restart loses
    # it. hitl.route makes each call a task of its own, which the checkpoint keeps once it finished.
    hitl = FakeHitl()
    checkpointer = InMemorySaver()
    second = call("send_email", {"to": "bob@customer.org", "body": "Hello"}, "call_2")
    config = thread()
    tools = HitlTools(hitl, ACTIONS, wait=0)
    g = graph(tools, tools_called(EMAIL, second), checkpointer=checkpointer, routed=routed)

    result = ask(g, config=config)
    while tools.pending(result):
        first = min(tools.pending(result), key=lambda p: str(p.arguments["to"]))  # Ann, then Bob
        hitl.decide(first.action_id, approve("rita@example.com"))
        if restarted:
            tools = HitlTools(hitl, ACTIONS, wait=0)
            g = graph(tools, checkpointer=checkpointer, routed=routed)
        result = g.invoke(tools.resume(result), config)

    assert [m["to"] for m in SENT].count("ann@customer.org") == ann_emailed
    assert [m["to"] for m in SENT].count("bob@customer.org") == 1


def test_interrupt_mode_needs_a_checkpointer() -> None:
    g = graph(HitlTools(FakeHitl(), ACTIONS), tools_called(EMAIL))
    with pytest.raises(ValueError, match="checkpointer"):
        ask(g)


def test_an_asynchronous_graph_waits_without_blocking_the_event_loop() -> None:
    hitl = FakeHitl()
    g = graph(wait_mode(hitl), tools_called(EMAIL))

    async def main() -> dict[str, Any]:
        running = asyncio.create_task(g.ainvoke({"messages": [HumanMessage("Tell Ann")]}))
        while not hitl.proposals:  # the loop keeps turning while the tool call waits
            await asyncio.sleep(0)
        hitl.decide(hitl.proposals[0].action_id, approve("rita@example.com"))
        return await running

    result = asyncio.run(main())
    assert tool_message(result).content == "sent to ann@customer.org"
