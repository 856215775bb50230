"""LangGraph: a ``ToolNode`` whose tool calls run only when hitl approves them.

:class:`HitlTools` is a ``wrap_tool_call`` wrapper for LangGraph's prebuilt ``ToolNode``
(``HitlTools(client).tool_node(tools)``). For each tool call it proposes the action to hitl and
then, in the default ``interrupt`` mode, waits a few seconds (a policy's auto-approval comes back
at once) and otherwise **pauses the graph** with LangGraph's ``interrupt()``: with a checkpointer
the run ends with ``__interrupt__`` and the application resumes it later with
:meth:`HitlTools.resume` (after :meth:`HitlTools.wait_for_decisions`, or from another process).
In ``wait`` mode it blocks the node until the decision comes (no checkpointer needed).

The tool runs only when the verified decision lets it, with the decision's arguments (a
reviewer's modification: the model is told next to the result). A rejection, block, timeout or
withdrawal is not an exception: the model gets it as the tool's result (a ``ToolMessage`` with
status ``error``), with the reviewer's reason and what to do instead.

**A resume value never approves anything**: whatever ``Command(resume=...)`` carries, the resumed
call takes its decision from hitl, verified by the client.

Needs the extra: ``pip install 'hitl-agents[langgraph]'``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass
from typing import Any, Literal, cast

try:
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
    from langchain_core.tools import BaseTool
    from langgraph.prebuilt import ToolNode
    from langgraph.graph import END
    from langgraph.prebuilt.tool_node import ToolCallRequest, ToolCallWithContext
    from langgraph.types import Command, Interrupt, Send, StateSnapshot, interrupt
except ImportError as e:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "hitl.langgraph needs LangGraph: pip install 'hitl-agents[langgraph]' (langgraph>=1.2, langchain-core>=1)"
    ) from e

from .proposals import InputTrust
from .tools import Proposer, ToolAction, ToolGate, ToolReview

__all__ = ["HitlTools", "PendingToolCall", "PENDING"]

#: The ``kind`` of the interrupt value a tool call waiting for hitl pauses the graph with.
PENDING = "hitl.awaiting_decision"

_REMEMBERED = 10_000

ToolResult = ToolMessage | Command  # type: ignore[type-arg]
Execute = Callable[[ToolCallRequest], ToolResult]
AsyncExecute = Callable[[ToolCallRequest], Awaitable[ToolResult]]
ContextFunction = Callable[[ToolCallRequest], Mapping[str, Any]]


@dataclass(frozen=True)
class PendingToolCall:
    """A tool call the graph paused for: its interrupt and the hitl action it waits for."""

    interrupt_id: str
    action_id: str
    tool_name: str
    tool_call_id: str
    arguments: Mapping[str, Any]

    @classmethod
    def of(cls, item: Interrupt) -> PendingToolCall | None:
        """The hitl tool call an interrupt pauses for; None for another interrupt."""
        value = item.value
        if not isinstance(value, Mapping) or value.get("kind") != PENDING:
            return None
        return cls(
            interrupt_id=item.id,
            action_id=str(value["action_id"]),
            tool_name=str(value["tool"]),
            tool_call_id=str(value["tool_call_id"]),
            arguments=value.get("arguments") or {},
        )


def _interrupts(paused: Any) -> Sequence[Interrupt]:
    if isinstance(paused, StateSnapshot):
        return tuple(paused.interrupts)
    if isinstance(paused, Mapping):
        return tuple(paused.get("__interrupt__", ()))
    if isinstance(paused, Interrupt):
        return (paused,)
    if isinstance(paused, Iterable):
        return tuple(i for i in paused if isinstance(i, Interrupt))
    raise TypeError(f"not a graph result, state snapshot or interrupts: {type(paused).__name__}")


def _text(message: BaseMessage) -> str | None:
    content = message.content
    if isinstance(content, str):
        return content.strip() or None
    parts = [
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in content
        if isinstance(part, str) or (isinstance(part, Mapping) and part.get("type") == "text")
    ]
    joined = "\n".join(p for p in parts if p).strip()
    return joined or None


def _messages(state: Any) -> Sequence[Any]:
    if isinstance(state, Mapping):
        found = state.get("messages")
    elif isinstance(state, list):
        found = state
    else:
        found = getattr(state, "messages", None)
    return found if isinstance(found, list) else ()


def default_context(request: ToolCallRequest) -> dict[str, Any]:
    """Reviewer context from the graph state: the user's last request and the model's words with the call."""
    messages = _messages(request.state)
    call_id = request.tool_call.get("id")
    context: dict[str, Any] = {}
    for message in reversed(messages):
        if "rationale" not in context and isinstance(message, AIMessage):
            if any(call.get("id") == call_id for call in message.tool_calls):
                context["rationale"] = _text(message)
        if isinstance(message, HumanMessage):
            context["user_request"] = _text(message)
            break
    return {k: v for k, v in context.items() if v is not None}


class HitlTools:
    """Puts a ``ToolNode``'s tool calls in front of hitl (a ``wrap_tool_call`` / ``awrap_tool_call``).

    :param client: the hitl client (:class:`hitl.HitlClient`)
    :param actions: by tool name, a :class:`hitl.tools.ToolAction` (or an action type) describing its
        calls; other tools are proposed under their own name (see :class:`hitl.tools.ToolGate`)
    :param unreviewed: tool names that run without hitl
    :param on_behalf_of: the user the agent acts for
    :param input_trust: how far the conversation's input can be trusted (UNKNOWN counts as low)
    :param mode: ``interrupt`` pauses the graph when no decision came within ``wait`` seconds (needs a
        checkpointer and a ``thread_id``); ``wait`` blocks the node up to ``timeout`` seconds
    :param wait: interrupt mode: seconds to wait for the decision before pausing, and again on resume
    :param timeout: wait mode: seconds to wait before telling the model no decision came
    :param withdraw_on_timeout: wait mode: withdraw the proposal nobody decided within ``timeout``
    :param context: reviewer context of a call (``user_request``, ``rationale``, ... as for
        :func:`hitl.action`); by default the last human message and the model's text with the call
    """

    def __init__(
        self,
        client: Proposer,
        actions: Mapping[str, ToolAction | str] | None = None,
        *,
        unreviewed: Iterable[str] = (),
        on_behalf_of: str = "",
        input_trust: InputTrust | str = InputTrust.UNKNOWN,
        mode: Literal["interrupt", "wait"] = "interrupt",
        wait: float = 5.0,
        timeout: float = 600.0,
        withdraw_on_timeout: bool = True,
        context: ContextFunction = default_context,
    ) -> None:
        if mode not in ("interrupt", "wait"):
            raise ValueError(f"mode is 'interrupt' or 'wait', not {mode!r}")
        if wait < 0:
            raise ValueError("wait must be zero or more seconds")
        self.gate = ToolGate(
            client,
            actions,
            unreviewed=unreviewed,
            on_behalf_of=on_behalf_of,
            input_trust=input_trust,
            timeout=timeout,
            withdraw_on_timeout=withdraw_on_timeout,
        )
        self.mode = mode
        self.wait = wait
        self._context = context
        self.node = "tools"
        # Results of calls that ran, by action id: a call replayed in this process is not run again.
        self._ran: OrderedDict[str, ToolResult] = OrderedDict()
        self._lock = threading.Lock()

    def tool_node(self, tools: Sequence[BaseTool | Callable[..., Any]], *, name: str = "tools", **kwargs: Any) -> ToolNode:
        """A ``ToolNode`` of these tools whose calls go through hitl (``kwargs`` go to ``ToolNode``)."""
        self.node = name
        return ToolNode(tools, name=name, wrap_tool_call=self, awrap_tool_call=self.awrap, **kwargs)

    def route(self, state: Any) -> list[Send] | str:
        """A conditional edge after the model: each tool call of its last message to the tool node
        as a task of its own (LangGraph's ``Send``), or ``END`` when it calls none.

        Use it instead of ``tools_condition`` in interrupt mode: LangGraph re-runs a whole task when
        it resumes it, so calls sharing a task with one that paused would run again; as tasks of
        their own, the calls that finished are kept in the checkpoint and never run twice.
        """
        messages = _messages(state)
        last = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        if last is None or not last.tool_calls:
            return END
        return [
            Send(
                self.node,
                cast(ToolCallWithContext, {"__type": "tool_call_with_context", "tool_call": call, "state": state}),
            )
            for call in last.tool_calls
        ]

    # ------------------------------------------------------------------ the wrapper

    def __call__(self, request: ToolCallRequest, execute: Execute) -> ToolResult:
        """``wrap_tool_call``: proposes the call, waits or pauses, runs it only when approved."""
        name = request.tool_call["name"]
        if not self.gate.reviews(name):
            return execute(request)
        proposal = self._proposal(request)
        ran = self._already_ran(proposal.action_id)
        if ran is not None:  # a replayed call that ran in this process: its result, not a second run
            return ran
        if self.mode == "wait":
            review = self.gate.give_up(self.gate.review(proposal, name))
        else:
            review = self.gate.review(proposal, name, self.wait)
            while not review.decided and review.error is None:
                interrupt(self._pending(request, review))  # pauses here; returns on resume
                review = self.gate.review(proposal, name, self.wait)
        if not review.may_run():
            return self._refusal(request, review)
        return self._remember(review, self._noted(execute(self._approved(request, review)), review))

    async def awrap(self, request: ToolCallRequest, execute: Callable[[ToolCallRequest], Awaitable[ToolResult]]) -> ToolResult:
        """``awrap_tool_call``: :meth:`__call__` for asynchronous graphs."""
        name = request.tool_call["name"]
        if not self.gate.reviews(name):
            return await execute(request)
        proposal = self._proposal(request)
        ran = self._already_ran(proposal.action_id)
        if ran is not None:
            return ran
        if self.mode == "wait":
            review = self.gate.give_up(await self.gate.areview(proposal, name))
        else:
            review = await self.gate.areview(proposal, name, self.wait)
            while not review.decided and review.error is None:
                interrupt(self._pending(request, review))
                review = await self.gate.areview(proposal, name, self.wait)
        if not review.may_run():
            return self._refusal(request, review)
        return self._remember(review, self._noted(await execute(self._approved(request, review)), review))

    # ------------------------------------------------------------------ the application's side

    @staticmethod
    def pending(paused: Any) -> list[PendingToolCall]:
        """The tool calls a paused graph waits on hitl for.

        :param paused: what ``graph.invoke`` returned, ``graph.get_state(config)``, or its interrupts
        """
        found = (PendingToolCall.of(item) for item in _interrupts(paused))
        return [p for p in found if p is not None]

    def wait_for_decisions(self, paused: Any, timeout: float | None = None) -> bool:
        """Waits until hitl has decided every tool call the graph paused for; whether it has.

        Calls this object did not propose (another process's, before a restart) are not waited
        for: resume the graph and each such call picks up its decision (or pauses again).
        """
        waiting = [self.gate.submitted(p.action_id) for p in self.pending(paused)]
        known = [f for f in waiting if f is not None]
        if not known:
            return True
        _, not_done = futures.wait(known, timeout=timeout)
        return not not_done

    def resume(self, paused: Any) -> Command:  # type: ignore[type-arg]
        """The ``Command`` that resumes the tool calls a graph paused for (``graph.invoke(it, config)``).

        Each resumed call takes its decision from hitl; one not decided yet pauses the graph again.
        Other interrupts of the graph are left to the application.
        """
        calls = self.pending(paused)
        if not calls:
            raise ValueError("the graph is not paused for a hitl decision")
        return Command(resume={call.interrupt_id: {"kind": PENDING, "action_id": call.action_id} for call in calls})

    # ------------------------------------------------------------------ internals

    def _already_ran(self, action_id: str) -> ToolResult | None:
        with self._lock:
            return self._ran.get(action_id)

    def _remember(self, review: ToolReview, result: ToolResult) -> ToolResult:
        with self._lock:
            self._ran[review.proposal.action_id] = result
            while len(self._ran) > _REMEMBERED:
                self._ran.popitem(last=False)
        return result

    def _proposal(self, request: ToolCallRequest) -> Any:
        call = request.tool_call
        config = getattr(request.runtime, "config", None) or {}
        thread = (config.get("configurable") or {}).get("thread_id")
        if self.mode == "interrupt" and thread is None:
            raise ValueError(
                "hitl's interrupt mode pauses the graph with interrupt(), which needs a checkpointer and a"
                " thread_id in the config; compile the graph with a checkpointer, or use mode='wait'"
            )
        return self.gate.proposal(
            call["name"],
            dict(call.get("args") or {}),
            call_id=str(call.get("id") or ""),
            scope=None if thread is None else str(thread),
            **dict(self._context(request)),
        )

    def _pending(self, request: ToolCallRequest, review: ToolReview) -> dict[str, Any]:
        call = request.tool_call
        return {
            "kind": PENDING,
            "action_id": review.proposal.action_id,
            "agent_id": review.proposal.agent_id or self.gate.client.agent_id,
            "tool": call["name"],
            "tool_call_id": call.get("id"),
            "action_type": review.proposal.action_type,
            "arguments": dict(call.get("args") or {}),
            "message": f"The {call['name']} call waits for hitl's decision (action {review.proposal.action_id}).",
        }

    @staticmethod
    def _refusal(request: ToolCallRequest, review: ToolReview) -> ToolMessage:
        call = request.tool_call
        return ToolMessage(
            content=review.message(),
            name=call["name"],
            tool_call_id=call.get("id") or "",
            status="error",
            artifact={
                "hitl": {
                    "action_id": review.proposal.action_id,
                    "outcome": None if review.decision is None else review.decision.outcome.value,
                }
            },
        )

    @staticmethod
    def _approved(request: ToolCallRequest, review: ToolReview) -> ToolCallRequest:
        arguments = review.arguments()
        if arguments is None or arguments == request.tool_call.get("args"):
            return request
        return request.override(tool_call={**request.tool_call, "args": arguments})

    @staticmethod
    def _noted(result: ToolResult, review: ToolReview) -> ToolResult:
        note = review.note()
        if note is None or not isinstance(result, ToolMessage):
            return result
        content = result.content
        if isinstance(content, str):
            return result.model_copy(update={"content": f"{note}\n\n{content}"})
        return result.model_copy(update={"content": [{"type": "text", "text": note}, *content]})
