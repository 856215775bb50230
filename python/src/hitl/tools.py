"""Tool calls of an agent framework put in front of hitl: what the adapters share.

An agent framework (LangGraph, the OpenAI Agents SDK) hands over a tool call as a name, JSON
arguments and a call id. :class:`ToolGate` turns it into a proposal (:class:`ToolAction` says which
action type, tool and target it is), proposes it, waits for the verified decision and says what to
do: run (with the arguments the decision names: a reviewer's modification), or not, with the words
the model gets instead of the tool's result (:meth:`ToolReview.message`). It needs no framework:
:mod:`hitl.langgraph` and :mod:`hitl.openai_agents` wire it into theirs.

**One tool call is one action.** Its action id is derived from the agent, a scope (a conversation
or graph thread), the tool, the call id and the arguments, so proposing the same call again (a
graph resumed after a pause, a process restarted) picks up the decision already made instead of
asking the reviewers twice: hitl decides a resent proposal once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .decisions import Decision
from .proposals import InputTrust, Money, ProposedAction, action

__all__ = ["Proposer", "ToolAction", "ToolGate", "ToolReview", "ACTION_ID_NAMESPACE"]

LOG = logging.getLogger("hitl.tools")

#: The UUID namespace of tool calls' action ids (uuid5 over agent, scope, tool, call id, arguments).
ACTION_ID_NAMESPACE = uuid.UUID("6d1b3c2e-7a51-5f0e-9b8e-4f1d2c3b4a59")

_REMEMBERED = 10_000


class Proposer(Protocol):
    """What a gate needs of a client: :class:`hitl.HitlClient` is one."""

    @property
    def agent_id(self) -> str: ...

    def propose(self, action: ProposedAction) -> Future[Decision]: ...

    def withdraw(self, action_id: str) -> Future[Decision]: ...


ArgumentsFunction = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class ToolAction:
    """How the calls of one tool are described to hitl (the policy and the reviewers judge this).

    :param action_type: the kind of action (``email.send``, ``crm.read``): the policy's rules and the
        agent's registered permissions name it
    :param tool: the system it acts on (``gmail``); the framework's tool name when None
    :param target: what it acts on: a string, or a function of the call's arguments
        (``lambda a: a["to"]``)
    :param domain: the business domain, when the policy uses one
    :param systems_affected: systems the action touches
    :param estimated_cost: a :class:`hitl.Money`, or a function of the arguments giving one (or None)
    """

    action_type: str
    tool: str | None = None
    target: str | Callable[[Mapping[str, Any]], str | None] | None = None
    domain: str | None = None
    systems_affected: Sequence[str] = ()
    estimated_cost: Money | Callable[[Mapping[str, Any]], Money | None] | None = None


@dataclass(frozen=True)
class ToolReview:
    """What hitl said about one tool call: run it (with which arguments), or what to tell the model.

    ``decision`` is None when no decision came within the wait (``waited`` seconds) or when the call
    could not be proposed (``error``).
    """

    proposal: ProposedAction
    tool_name: str
    decision: Decision | None
    waited: float = 0.0
    withdrawn: bool = False
    error: str | None = None

    def may_run(self, now: datetime | None = None) -> bool:
        """Whether the tool may run now: a verified approval of exactly this call, not expired."""
        return self.decision is not None and self.decision.still_valid_at(now)

    def arguments_json(self) -> str | None:
        """The JSON arguments to run with (the proposal's, or a reviewer's modification), if it may run."""
        return None if self.decision is None else self.decision.arguments_to_run

    def arguments(self) -> dict[str, Any] | None:
        """:meth:`arguments_json` parsed."""
        return None if self.decision is None else self.decision.arguments()

    @property
    def decided(self) -> bool:
        return self.decision is not None

    def message(self, now: datetime | None = None) -> str:
        """What the model is told instead of the tool's result when the tool does not run."""
        name = self.tool_name
        if self.error is not None:
            return (
                f"The {name} call was not run: it could not be put to hitl for approval ({self.error})."
                " Do not try to run it another way."
            )
        decision = self.decision
        if decision is None:
            if self.withdrawn:
                return (
                    f"Nobody decided on the {name} call within {_seconds(self.waited)}, so it was not run and"
                    " its proposal was withdrawn. Tell the user it needs approval, or propose it again later."
                )
            return (
                f"The {name} call is waiting for approval (no decision within {_seconds(self.waited)}); it was"
                " not run. Tell the user it is waiting for approval; do not run it another way."
            )
        if decision.may_run and not decision.still_valid_at(now):
            return (
                f"The approval of the {name} call expired before it could run, so it was not run. Propose it"
                " again if it is still needed."
            )
        return f"The {name} call was not run. {decision.instructions()}"

    def note(self) -> str | None:
        """What the model is told next to the tool's result when a reviewer changed the arguments."""
        decision = self.decision
        if decision is None or not decision.may_run or not decision.modified:
            return None
        who = "" if not decision.approvers else " by " + ", ".join(decision.approvers)
        reason = (
            ""
            if decision.feedback is None or not decision.feedback.reason
            else f" Reason: {decision.feedback.reason}"
        )
        return (
            f"Approved with changes{who}: the {self.tool_name} call ran with these arguments instead of"
            f" yours: {decision.arguments_to_run}.{reason}"
        )


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 120 else f"{value / 60:g} min"


def _parsed(arguments: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return arguments


class ToolGate:
    """Proposes tool calls to hitl and says, for each, whether and how it may run.

    :param client: the hitl client (:class:`hitl.HitlClient`), started and owned by the caller
    :param actions: by tool name, how its calls are described: a :class:`ToolAction`, or just its
        action type. A tool not named here and not in ``unreviewed`` is proposed with its own name as
        action type and tool (an action type the agent is not registered for is INVALID, never run).
    :param unreviewed: tool names that run without hitl (reads the operators chose not to review)
    :param on_behalf_of: the user the agent acts for (reviewers see it; the policy may use it)
    :param input_trust: how far the input that led to the calls can be trusted; the default policy
        treats UNKNOWN as low trust and routes it to senior reviewers, so say what it is
    :param timeout: seconds to wait for a decision when blocking
    :param withdraw_on_timeout: withdraw a proposal nobody decided within ``timeout`` (the model is
        told it was not run; the reviewers' inbox does not keep a request the agent has given up on)
    """

    def __init__(
        self,
        client: Proposer,
        actions: Mapping[str, ToolAction | str] | None = None,
        *,
        unreviewed: Iterable[str] = (),
        on_behalf_of: str = "",
        input_trust: InputTrust | str = InputTrust.UNKNOWN,
        timeout: float = 600.0,
        withdraw_on_timeout: bool = True,
    ) -> None:
        if timeout < 0 or math.isnan(timeout):
            raise ValueError("timeout must be zero or more seconds")
        self.client = client
        self._actions: dict[str, ToolAction] = {
            name: spec if isinstance(spec, ToolAction) else ToolAction(spec) for name, spec in (actions or {}).items()
        }
        self.unreviewed = frozenset(unreviewed)
        overlap = self.unreviewed & set(self._actions)
        if overlap:
            raise ValueError(f"tools both reviewed and unreviewed: {sorted(overlap)}")
        self.on_behalf_of = on_behalf_of
        self.input_trust = InputTrust(input_trust)
        self.timeout = timeout
        self.withdraw_on_timeout = withdraw_on_timeout
        self._futures: OrderedDict[str, Future[Decision]] = OrderedDict()
        self._lock = threading.Lock()

    def reviews(self, tool_name: str) -> bool:
        """Whether calls of this tool go to hitl."""
        return tool_name not in self.unreviewed

    def add(self, tool_name: str, spec: ToolAction | str | None = None) -> ToolAction:
        """Describes the calls of one more tool (its own name as action type when ``spec`` is None)."""
        if tool_name in self.unreviewed:
            raise ValueError(f"tool {tool_name} is listed as unreviewed")
        described = ToolAction(tool_name) if spec is None else spec if isinstance(spec, ToolAction) else ToolAction(spec)
        self._actions[tool_name] = described
        return described

    def action_for(self, tool_name: str) -> ToolAction:
        """How calls of ``tool_name`` are described."""
        return self._actions.get(tool_name) or ToolAction(tool_name)

    def action_id(self, tool_name: str, arguments: Mapping[str, Any] | str, call_id: str, scope: str | None) -> str:
        """The action id of a tool call: the same call (same scope, tool, call id, arguments) gets the same id."""
        text = arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True, default=str)
        name = json.dumps([self.client.agent_id, scope or "", tool_name, call_id, text], separators=(",", ":"))
        return str(uuid.uuid5(ACTION_ID_NAMESPACE, name))

    def proposal(
        self,
        tool_name: str,
        arguments: Mapping[str, Any] | str,
        *,
        call_id: str,
        scope: str | None = None,
        **context: Any,
    ) -> ProposedAction:
        """The proposal of a tool call.

        :param arguments: the call's arguments: a mapping, or the JSON text the model wrote
        :param call_id: the framework's id of this call (a model's tool call id)
        :param scope: what keeps equal call ids of different conversations apart (a thread id)
        :param context: reviewer context for :func:`hitl.action`: ``user_request``, ``rationale``,
            ``steps_so_far``, ``alternatives``, ``expected_outcome``, ``risks``, ``confidence``, ...
        """
        spec = self.action_for(tool_name)
        parsed = _parsed(arguments)
        target = spec.target(parsed) if callable(spec.target) else spec.target
        cost = spec.estimated_cost(parsed) if callable(spec.estimated_cost) else spec.estimated_cost
        fields: dict[str, Any] = {"input_trust": self.input_trust}
        if spec.domain is not None:
            fields["domain"] = spec.domain
        if spec.systems_affected:
            fields["systems_affected"] = tuple(spec.systems_affected)
        if cost is not None:
            fields["estimated_cost"] = cost
        fields.update({k: v for k, v in context.items() if v is not None})
        return action(
            spec.action_type,
            spec.tool or tool_name,
            arguments,
            on_behalf_of=self.on_behalf_of,
            action_id=self.action_id(tool_name, arguments, call_id, scope),
            target=target,
            **fields,
        )

    def submit(self, proposal: ProposedAction) -> Future[Decision]:
        """Proposes the action, once: the same action submitted again gets the same future.

        :raises ValueError: arguments that are not a strict JSON object, and the like (nothing sent)
        :raises hitl.ProposalNotSent: the proposal could not be written
        """
        with self._lock:
            known = self._futures.get(proposal.action_id)
            if known is not None and not known.cancelled():
                self._futures.move_to_end(proposal.action_id)
                return known
            future = self.client.propose(proposal)
            self._futures[proposal.action_id] = future
            while len(self._futures) > _REMEMBERED:
                self._futures.popitem(last=False)
            return future

    def submitted(self, action_id: str) -> Future[Decision] | None:
        """The future of an action this gate proposed, if it still remembers it."""
        with self._lock:
            return self._futures.get(action_id)

    def review(self, proposal: ProposedAction, tool_name: str, timeout: float | None = None) -> ToolReview:
        """Proposes (once) and waits up to ``timeout`` seconds (default: the gate's) for the decision."""
        wait = self.timeout if timeout is None else timeout
        try:
            future = self.submit(proposal)
        except Exception as e:  # ValueError, ProposalNotSent: the model is told, nothing runs
            return self._not_proposed(proposal, tool_name, e)
        done, _ = futures.wait([future], timeout=wait)
        return self._reviewed(proposal, tool_name, future if done else None, wait)

    async def areview(self, proposal: ProposedAction, tool_name: str, timeout: float | None = None) -> ToolReview:
        """:meth:`review` for asyncio: waits without blocking the event loop."""
        wait = self.timeout if timeout is None else timeout
        try:
            future = self.submit(proposal)
        except Exception as e:
            return self._not_proposed(proposal, tool_name, e)
        # asyncio.wait never cancels what it waits for: the proposal stays open when the wait ends.
        wrapped = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({wrapped}, timeout=wait)
        return self._reviewed(proposal, tool_name, future if done else None, wait)

    def give_up(self, review: ToolReview) -> ToolReview:
        """After a wait without decision: withdraws the proposal when the gate is told to."""
        if review.decision is not None or review.error is not None or not self.withdraw_on_timeout:
            return review
        try:
            self.client.withdraw(review.proposal.action_id)
        except Exception as e:
            LOG.warning("Could not withdraw action %s: %s", review.proposal.action_id, e)
            return review
        return ToolReview(review.proposal, review.tool_name, None, review.waited, withdrawn=True)

    def _not_proposed(self, proposal: ProposedAction, tool_name: str, error: BaseException) -> ToolReview:
        LOG.warning("Could not propose the %s call (action %s): %s", tool_name, proposal.action_id, error)
        return ToolReview(proposal, tool_name, None, error=str(error) or type(error).__name__)

    def _forget(self, action_id: str, future: Future[Decision]) -> None:
        # A proposal that failed is proposed anew next time.
        with self._lock:
            if self._futures.get(action_id) is future:
                del self._futures[action_id]

    def _reviewed(
        self, proposal: ProposedAction, tool_name: str, future: Future[Decision] | None, waited: float
    ) -> ToolReview:
        if future is None:
            return ToolReview(proposal, tool_name, None, waited)
        if future.cancelled():
            self._forget(proposal.action_id, future)
            return ToolReview(proposal, tool_name, None, waited, error="the hitl client was closed")
        error = future.exception()
        if error is not None:
            self._forget(proposal.action_id, future)
            return self._not_proposed(proposal, tool_name, error)
        return ToolReview(proposal, tool_name, future.result(), waited)
