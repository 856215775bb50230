"""Proposed actions, their wire form and their proposal hash.

The proposal hash (schemas README, "Proposal hash") is the lower-case hex SHA-256 of the RFC 8785
JSON of every ProposedAction field but ``proposedAt``, by its Avro name: strings as strings
(``arguments`` as the JSON *text* the agent sent), numbers as numbers, enums by symbol, arrays as
arrays, nested records as objects, the decimal ``estimatedCost.amount`` as the plain digits at the
schema's scale (``"1250.000000000"``), timestamps as epoch milliseconds; a null member is left out,
at every depth.

The hash is taken over the proposal's *wire form*: the record as the classifier reads it back from
the topic (an Avro round trip with the registry's schema), so the agent and the classifier hash the
same values (defaults filled in, a cost at nine decimal places).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from enum import Enum
from typing import Any

from .canonical import canonicalize, sha256_hex

__all__ = [
    "InputTrust",
    "Money",
    "ActionContext",
    "ProposedAction",
    "SentProposal",
    "action",
    "epoch_millis",
    "from_epoch_millis",
    "proposal_canonical",
    "proposal_hash",
    "wire_form",
    "COST_SCALE",
]

#: The scale of ``Money.amount`` in the schema: costs are exact to nine decimal places.
COST_SCALE = 9
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLI = timedelta(milliseconds=1)


def epoch_millis(instant: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC), rounded down."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return (instant - _EPOCH) // _MILLI


def from_epoch_millis(millis: int) -> datetime:
    """The UTC datetime of epoch milliseconds."""
    return _EPOCH + timedelta(milliseconds=millis)


def _now_millis() -> datetime:
    return from_epoch_millis(epoch_millis(datetime.now(timezone.utc)))


class InputTrust(str, Enum):
    """How far the input that led to a proposal can be trusted (low: RETRIEVED, TOOL_OUTPUT, UNKNOWN)."""

    USER = "USER"
    INTERNAL = "INTERNAL"
    RETRIEVED = "RETRIEVED"
    TOOL_OUTPUT = "TOOL_OUTPUT"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Money:
    """An amount in one currency (ISO 4217), exact to nine decimal places."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = self.amount if isinstance(self.amount, Decimal) else Decimal(str(self.amount))
        object.__setattr__(self, "amount", amount)

    def to_avro(self) -> dict[str, Any]:
        with localcontext() as exact:
            exact.prec = 80
            scaled = self.amount.quantize(Decimal(1).scaleb(-COST_SCALE))
        if scaled != self.amount:
            raise ValueError(
                f"the cost {self.amount} has more than {COST_SCALE} decimal places; the schema keeps nine"
            )
        return {"amount": scaled, "currency": self.currency}


@dataclass(frozen=True)
class ActionContext:
    """What a reviewer needs to judge an action. All of it is untrusted text written by the agent."""

    user_request: str | None = None
    steps_so_far: Sequence[str] = ()
    rationale: str | None = None
    alternatives: Sequence[str] = ()
    expected_outcome: str | None = None
    risks: Sequence[str] = ()

    def __post_init__(self) -> None:
        for name in ("steps_so_far", "alternatives", "risks"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def to_avro(self) -> dict[str, Any]:
        return {
            "userRequest": self.user_request,
            "stepsSoFar": list(self.steps_so_far),
            "rationale": self.rationale,
            "alternatives": list(self.alternatives),
            "expectedOutcome": self.expected_outcome,
            "risks": list(self.risks),
        }


@dataclass(frozen=True)
class ProposedAction:
    """An action an agent wants to take (``hitl.actions.proposed``); build it with :func:`action`.

    ``arguments`` is the tool call's arguments as JSON text: a strict JSON object (I-JSON). Keep
    the proposal (or its ``action_id`` and ``proposed_at``) to resend it: a resend with the same
    id and content is decided once.
    """

    action_type: str
    tool: str
    arguments: str
    on_behalf_of: str = ""
    action_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    agent_id: str = ""
    session_id: str | None = None
    target: str | None = None
    estimated_cost: Money | None = None
    confidence: float | None = None
    systems_affected: Sequence[str] = ()
    input_trust: InputTrust = InputTrust.UNKNOWN
    domain: str | None = None
    instruction_conflict: str | None = None
    batch_id: str | None = None
    batch_size: int | None = None
    context: ActionContext = field(default_factory=ActionContext)
    proposed_at: datetime = field(default_factory=_now_millis)
    reply_by: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "systems_affected", tuple(self.systems_affected))
        object.__setattr__(self, "input_trust", InputTrust(self.input_trust))

    def to_avro(self) -> dict[str, Any]:
        """The Avro record (``dev.hitl.schemas.ProposedAction``) as a dict; timestamps in epoch ms."""
        return {
            "actionId": self.action_id,
            "agentId": self.agent_id,
            "onBehalfOf": self.on_behalf_of,
            "sessionId": self.session_id,
            "actionType": self.action_type,
            "tool": self.tool,
            "target": self.target,
            "arguments": self.arguments,
            "estimatedCost": None if self.estimated_cost is None else self.estimated_cost.to_avro(),
            "confidence": None if self.confidence is None else float(self.confidence),
            "systemsAffected": list(self.systems_affected),
            "inputTrust": self.input_trust.value,
            "domain": self.domain,
            "instructionConflict": self.instruction_conflict,
            "batchId": self.batch_id,
            "batchSize": self.batch_size,
            "context": self.context.to_avro(),
            "proposedAt": epoch_millis(self.proposed_at),
            "replyBy": None if self.reply_by is None else epoch_millis(self.reply_by),
        }


def action(
    action_type: str,
    tool: str,
    arguments: str | Mapping[str, Any],
    *,
    on_behalf_of: str = "",
    action_id: str | None = None,
    target: str | None = None,
    user_request: str | None = None,
    steps_so_far: Sequence[str] = (),
    rationale: str | None = None,
    alternatives: Sequence[str] = (),
    expected_outcome: str | None = None,
    risks: Sequence[str] = (),
    **fields: Any,
) -> ProposedAction:
    """Builds a proposal with the reviewer's context.

    ``arguments`` is JSON text, or a mapping that is written as compact JSON. Other keyword
    arguments are :class:`ProposedAction` fields (``confidence``, ``input_trust``, ``domain``,
    ``estimated_cost``, ``reply_by``, ...). The action id is generated when not given.
    """
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
    context = ActionContext(
        user_request=user_request,
        steps_so_far=steps_so_far,
        rationale=rationale,
        alternatives=alternatives,
        expected_outcome=expected_outcome,
        risks=risks,
    )
    extra: dict[str, Any] = {} if action_id is None else {"action_id": action_id}
    return ProposedAction(
        action_type=action_type,
        tool=tool,
        arguments=text,
        on_behalf_of=on_behalf_of,
        target=target,
        context=context,
        **extra,
        **fields,
    )


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _hashable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_hashable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return epoch_millis(value)
    if isinstance(value, Enum):
        return value.value
    return value


def proposal_canonical(wire: Mapping[str, Any]) -> str:
    """The canonical JSON the proposal hash is taken over, of a proposal in its wire form."""
    try:
        return canonicalize(_hashable({k: v for k, v in wire.items() if k != "proposedAt"}))
    except ValueError as e:
        raise ValueError(f"the proposal has no canonical form: {e}") from e


def proposal_hash(wire: Mapping[str, Any]) -> str:
    """The proposal hash of a proposal in its wire form (see :func:`wire_form`)."""
    return sha256_hex(proposal_canonical(wire))


def wire_form(record: Mapping[str, Any], parsed_schema: Any) -> dict[str, Any]:
    """The proposal as the deciding services read it back: an Avro round trip with the schema.

    ``parsed_schema`` is the registry's ProposedAction schema as ``fastavro.parse_schema`` returns
    it. Fields the agent did not set get the schema's defaults; decimals come back at the schema's
    scale. Raises :class:`ValueError` when the record cannot be written with that schema.
    """
    import fastavro

    buffer = io.BytesIO()
    try:
        fastavro.schemaless_writer(buffer, parsed_schema, dict(record))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as e:
        raise ValueError(f"the proposal cannot be written: {e}") from e
    buffer.seek(0)
    wire: dict[str, Any] = fastavro.schemaless_reader(buffer, parsed_schema, None)  # type: ignore[assignment]
    return wire


@dataclass(frozen=True)
class SentProposal:
    """A proposal in its wire form, with its proposal hash: what a decision is bound to."""

    wire: Mapping[str, Any]
    proposal_hash: str

    @classmethod
    def of(cls, wire: Mapping[str, Any]) -> SentProposal:
        return cls(wire, proposal_hash(wire))

    @property
    def action_id(self) -> str:
        return str(self.wire["actionId"])

    @property
    def proposed_at_millis(self) -> int:
        value = self.wire["proposedAt"]
        return epoch_millis(value) if isinstance(value, datetime) else int(value)
