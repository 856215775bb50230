"""The README's adapter examples run (with the FakeHitl double in place of the stack)."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

from agents import set_tracing_disabled
from fakes import FakeHitl, approve, reject
from langchain_core.messages import ToolMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import langgraph_agent  # noqa: E402
import openai_agent  # noqa: E402

set_tracing_disabled(True)


def test_the_langgraph_example_waits_for_the_reviewer_and_sends_the_approved_email() -> None:
    hitl = FakeHitl()

    def reviewer() -> None:
        [proposal] = hitl.wait_for_proposals(1)
        hitl.decide(proposal.action_id, approve("rita@example.com"))

    deciding = threading.Thread(target=reviewer)
    deciding.start()
    messages = langgraph_agent.main(hitl, decision_timeout=10, wait=0)
    deciding.join()
    assert [m.content for m in messages if isinstance(m, ToolMessage)] == ["Email sent to ann@customer.org."]


def test_the_openai_agents_example_hands_the_rejection_to_the_model() -> None:
    result = asyncio.run(openai_agent.main(FakeHitl(lambda a: reject("Billing announces refunds"))))
    outputs = [i["output"] for i in result.to_input_list() if isinstance(i, dict) and i.get("type") == "function_call_output"]
    assert len(outputs) == 1 and "Billing announces refunds" in str(outputs[0])
    assert result.final_output == "I have told Ann (or told you why not)."
