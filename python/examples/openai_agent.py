"""An OpenAI Agents SDK agent whose email tool needs approval, and hitl gives or refuses it.

    python examples/openai_agent.py         # with the HITL_* settings of the README's example

The model is scripted (the SDK's ScriptedModel) so that this runs without OpenAI; drop ``model=``
(and set OPENAI_API_KEY) for a real one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agents import Agent, function_tool, set_tracing_disabled
from agents.testing import ScriptedModel, assistant_message, function_call

from hitl import InputTrust
from hitl.openai_agents import HitlApprovals
from hitl.tools import Proposer, ToolAction


@function_tool
def send_email(to: str, body: str) -> str:
    """Sends an email to a customer."""
    return f"Email sent to {to}."


async def main(hitl: Proposer, decision_timeout: float = 30 * 60) -> Any:
    approvals = HitlApprovals(
        hitl,
        {"send_email": ToolAction("email.send", tool="gmail", target=lambda args: args["to"])},
        on_behalf_of="alice@example.com",
        input_trust=InputTrust.USER,
        timeout=decision_timeout,
    )
    model = ScriptedModel(  # your model here
        [
            [function_call("send_email", {"to": "ann@customer.org", "body": "Your refund is on its way"}, call_id="call_1")],
            [assistant_message("I have told Ann (or told you why not).")],
        ]
    )
    agent = Agent(name="support", instructions="Help customers.", model=model, tools=[approvals.tool(send_email)])
    result = await approvals.run(agent, "Tell Ann about her refund")  # Runner.run + hitl's approvals
    print(result.final_output)
    return result


if __name__ == "__main__":
    from client_from_env import client_from_env

    set_tracing_disabled(True)  # or keep it, with OPENAI_API_KEY
    with client_from_env() as client:
        asyncio.run(main(client))
