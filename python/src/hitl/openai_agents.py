"""The OpenAI Agents SDK: its tool approvals decided by hitl.

The SDK's human-in-the-loop model: a function tool with ``needs_approval`` makes the run stop
with ``result.interruptions`` (one ``ToolApprovalItem`` per call); the application approves or
rejects each on the run state (``state.approve(item)``, ``state.reject(item,
rejection_message=...)``) and runs the state again. :class:`HitlApprovals` puts hitl there:

- :meth:`HitlApprovals.tool` marks a function tool ``needs_approval`` and guards its invocation;
- :meth:`HitlApprovals.resolve` proposes each interrupted call of such a tool to hitl, waits for
  the verified decisions and approves or rejects the calls on the state; a rejection's message is
  :meth:`hitl.tools.ToolReview.message` (the reviewer's reason, what to do instead), which the SDK
  hands the model as the tool's result;
- :meth:`HitlApprovals.run` is ``Runner.run`` with that loop.

The guarded tool itself runs only under a verified hitl approval of exactly that call, with the
decision's arguments (a reviewer's modification; the model is told next to the result), and only
before the approval expires: approving the call on the state by other means does not run it
without hitl (the call is proposed then, and waits).

Needs the extra: ``pip install 'hitl-agents[openai-agents]'``.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

try:
    from agents import Agent, FunctionTool, RunResult, Runner, RunState, ToolApprovalItem
    from agents.tool_context import ToolContext
except ImportError as e:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "hitl.openai_agents needs the OpenAI Agents SDK: pip install 'hitl-agents[openai-agents]'"
        " (openai-agents>=0.24,<0.25)"
    ) from e

from .proposals import InputTrust
from .tools import Proposer, ToolAction, ToolGate, ToolReview

__all__ = ["HitlApprovals"]


_REMEMBERED = 10_000

Invoke = Callable[[ToolContext[Any], str], Awaitable[Any]]


def _call_fields(item: ToolApprovalItem) -> tuple[str, str, str]:
    """(tool name, call id, JSON arguments) of an interrupted function call."""
    raw = item.raw_item
    get = raw.get if isinstance(raw, Mapping) else lambda key, default=None: getattr(raw, key, default)
    name = item.tool_name or get("name") or ""
    call_id = get("call_id") or get("id") or ""
    arguments = get("arguments") or "{}"
    return str(name), str(call_id), arguments if isinstance(arguments, str) else str(arguments)


class HitlApprovals:
    """Decides the OpenAI Agents SDK's tool approvals with hitl.

    :param client: the hitl client (:class:`hitl.HitlClient`)
    :param actions: by tool name, a :class:`hitl.tools.ToolAction` (or an action type); a tool
        passed to :meth:`tool` without one is proposed under its own name
    :param on_behalf_of: the user the agent acts for
    :param input_trust: how far the conversation's input can be trusted (UNKNOWN counts as low)
    :param timeout: seconds :meth:`resolve` waits for the decisions
    :param withdraw_on_timeout: withdraw a proposal nobody decided within ``timeout`` (the call is
        rejected, the model told that it waits for approval)
    :param scope: keeps equal call ids of different conversations apart (a conversation id); the
        same call (scope, tool, call id, arguments) proposed again picks up its decision
    """

    def __init__(
        self,
        client: Proposer,
        actions: Mapping[str, ToolAction | str] | None = None,
        *,
        on_behalf_of: str = "",
        input_trust: InputTrust | str = InputTrust.UNKNOWN,
        timeout: float = 600.0,
        withdraw_on_timeout: bool = True,
        scope: str | None = None,
    ) -> None:
        self.gate = ToolGate(
            client,
            actions,
            on_behalf_of=on_behalf_of,
            input_trust=input_trust,
            timeout=timeout,
            withdraw_on_timeout=withdraw_on_timeout,
        )
        self.scope = scope
        self._guarded: set[str] = set()
        # Decisions resolve() took, by call id, until the guarded tool runs.
        self._reviews: dict[str, ToolReview] = {}
        self._user_requests: dict[str, str] = {}

    # ------------------------------------------------------------------ tools

    def tool(self, tool: FunctionTool, action: ToolAction | str | None = None) -> FunctionTool:
        """A copy of the function tool that needs hitl's approval for every call.

        :param action: how its calls are described to hitl (default: from ``actions``, else its name)
        """
        if not isinstance(tool, FunctionTool):
            raise TypeError(f"hitl guards function tools, not {type(tool).__name__}")
        if action is not None or tool.name not in self.gate._actions:
            self.gate.add(tool.name, action)
        guarded = copy.copy(tool)
        guarded.needs_approval = True
        guarded.on_invoke_tool = self._guard(guarded.on_invoke_tool)
        self._guarded.add(tool.name)
        return guarded

    def tools(self, tools: Iterable[FunctionTool]) -> list[FunctionTool]:
        """:meth:`tool` for each (described by ``actions`` or by name)."""
        return [self.tool(t) for t in tools]

    def guards(self, item: ToolApprovalItem) -> bool:
        """Whether this interruption is a call of a tool hitl decides."""
        return _call_fields(item)[0] in self._guarded

    # ------------------------------------------------------------------ approvals

    async def resolve(
        self,
        state: RunState[Any] | RunResult,
        *,
        user_request: str | None = None,
        timeout: float | None = None,
    ) -> RunState[Any]:
        """Approves or rejects, on the run state, every interrupted call of a guarded tool, as hitl decides.

        Proposes the calls (all at once), waits up to ``timeout`` seconds (default: the one given at
        construction) and approves the calls hitl approved, rejects the others with the message the
        model should get. Interruptions of other tools are left to the application.

        :param state: a run's state (``result.to_state()``, or ``RunState.from_string`` after a
            restart), or the interrupted result itself
        :param user_request: what the user asked (reviewer context)
        :returns: the state, to run again: ``Runner.run(agent, state)``
        """
        run_state: RunState[Any] = state if isinstance(state, RunState) else state.to_state()
        items = [item for item in run_state.get_interruptions() if self.guards(item)]
        reviews = await asyncio.gather(
            *(self._review(item, user_request, timeout) for item in items)
        )
        for item, review in zip(items, reviews):
            if review.may_run():
                self._reviews[review.proposal.action_id] = review
                while len(self._reviews) > _REMEMBERED:  # approved calls the run never invoked
                    del self._reviews[next(iter(self._reviews))]
                run_state.approve(item)
            else:
                self._user_requests.pop(_call_fields(item)[1], None)
                run_state.reject(item, rejection_message=review.message())
        return run_state

    async def run(self, agent: Agent[Any], input: Any, *, rounds: int = 20, **kwargs: Any) -> RunResult:
        """``Runner.run`` that lets hitl decide the approvals its guarded tools need.

        Runs, resolves the interruptions of guarded tools, runs the state again, up to ``rounds``
        times. Returns the result when it has no such interruption left (an interruption of another
        tool is returned to the caller, as ``Runner.run`` does).
        """
        user_request = input if isinstance(input, str) else None
        result = await Runner.run(agent, input, **kwargs)
        for _ in range(rounds):
            interrupted = list(result.interruptions)
            if not interrupted or not all(self.guards(item) for item in interrupted):
                return result
            state = await self.resolve(result, user_request=user_request)
            result = await Runner.run(agent, state, **kwargs)
        return result

    # ------------------------------------------------------------------ internals

    def _proposal_of(self, name: str, call_id: str, arguments: str, user_request: str | None) -> Any:
        if user_request is not None:
            self._user_requests[call_id] = user_request
        return self.gate.proposal(
            name,
            arguments,
            call_id=call_id,
            scope=self.scope,
            user_request=user_request or self._user_requests.get(call_id),
        )

    async def _review(self, item: ToolApprovalItem, user_request: str | None, timeout: float | None) -> ToolReview:
        name, call_id, arguments = _call_fields(item)
        proposal = self._proposal_of(name, call_id, arguments, user_request)
        review = await self.gate.areview(proposal, name, timeout)
        return self.gate.give_up(review)

    def _guard(self, invoke: Invoke) -> Invoke:
        async def invoke_approved(context: ToolContext[Any], arguments: str) -> Any:
            name = context.tool_name
            proposal = self._proposal_of(name, context.tool_call_id, arguments, None)
            review = self._reviews.pop(proposal.action_id, None)
            if review is None:
                # Approved on the state without resolve() (or in another process): ask hitl now.
                review = self.gate.give_up(await self.gate.areview(proposal, name))
            self._user_requests.pop(context.tool_call_id, None)
            if not review.may_run():
                return review.message()
            to_run = review.arguments_json()
            assert to_run is not None
            output = await invoke(context, to_run)
            note = review.note()
            if note is not None and isinstance(output, str):
                return f"{note}\n\n{output}"
            return output

        return invoke_approved
