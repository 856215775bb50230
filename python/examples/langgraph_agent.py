"""A LangGraph agent whose email tool runs only when hitl approves it (pausing the graph meanwhile).

    python examples/langgraph_agent.py      # with the HITL_* settings of the README's example

The chat model is scripted (langchain-core's GenericFakeChatModel) so that this runs without a
language model; put yours (``init_chat_model(...).bind_tools(tools)``) in its place.
"""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from hitl import InputTrust
from hitl.langgraph import HitlTools
from hitl.tools import Proposer, ToolAction


@tool
def send_email(to: str, body: str) -> str:
    """Sends an email to a customer."""
    return f"Email sent to {to}."


@tool
def search_kb(query: str) -> str:
    """Searches the knowledge base."""
    return "Refunds take 5 days."


def build(hitl: Proposer, wait: float = 5.0) -> tuple[Any, HitlTools]:
    tools = HitlTools(
        hitl,
        {"send_email": ToolAction("email.send", tool="gmail", target=lambda args: args["to"])},
        unreviewed=["search_kb"],  # reads run without asking
        on_behalf_of="alice@example.com",
        input_trust=InputTrust.USER,
        wait=wait,  # seconds to wait before pausing the graph (a policy's auto-approval is faster)
    )
    model = GenericFakeChatModel(  # your model here
        messages=iter(
            [
                AIMessage(
                    "Ann asked twice; telling her.",
                    tool_calls=[
                        {"name": "send_email", "args": {"to": "ann@customer.org", "body": "Your refund is on its way"}, "id": "call_1"}
                    ],
                ),
                AIMessage("I have told Ann (or told you why not)."),
            ]
        )
    )

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", tools.tool_node([send_email, search_kb]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools.route, ["tools", END])  # each tool call its own task
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=InMemorySaver()), tools  # a durable checkpointer in production


def main(hitl: Proposer, decision_timeout: float = 30 * 60, wait: float = 5.0) -> list[Any]:
    graph, tools = build(hitl, wait)
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    result = graph.invoke({"messages": [HumanMessage("Tell Ann about her refund")]}, config)
    while tools.pending(result):  # paused: the email waits for a reviewer
        print("Waiting for hitl:", [p.action_id for p in tools.pending(result)])
        tools.wait_for_decisions(result, timeout=decision_timeout)  # or resume later, even elsewhere
        result = graph.invoke(tools.resume(result), config)
    for message in result["messages"]:
        print(f"{type(message).__name__}: {message.content}")
    return list(result["messages"])


if __name__ == "__main__":
    from client_from_env import client_from_env

    with client_from_env() as client:
        main(client)
