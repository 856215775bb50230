"""OpenTelemetry traces of the proposal hop, like the Java SDK's (``dev.hitl.tracing``).

Optional: everything here works only when ``opentelemetry-api`` is importable (the ``otel`` extra,
``pip install hitl-agents[otel]``); without it the client sends no trace headers and makes no spans.
With the API but no SDK installed by the application, spans are no-ops and the caller's current
trace context (if any) is what the proposal carries.

- ``propose`` makes a ``hitl propose`` span (kind PRODUCER), the child of the caller's current span
  (its tool call), with the GenAI attributes ``gen_ai.operation.name=execute_tool``,
  ``gen_ai.tool.name``, ``gen_ai.tool.call.id`` (= actionId) and ``hitl.action_id``,
  ``hitl.agent_id``, ``hitl.action_type``; its context goes in the proposal's ``traceparent`` (and
  ``tracestate``) header, W3C Trace Context, UTF-8, exactly as over HTTP.
- when the verified decision arrives, a ``hitl decision`` span (CONSUMER): the child of the decision
  record's ``traceparent``, **linked** to the proposal's span (the wait may take hours), with
  ``hitl.outcome``.

The trace headers are not covered by the agent's credential MAC (``hitl.auth`` binds the proposal's
content), and a proposal carries one trace context: any ``traceparent`` already in the headers is
replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "PROPOSE_SPAN",
    "DECISION_SPAN",
    "available",
    "traceparent",
    "with_trace_context",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
PROPOSE_SPAN = "hitl propose"
DECISION_SPAN = "hitl decision"

try:  # optional dependency: the "otel" extra
    from opentelemetry import trace as _trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _W3C: Any = TraceContextTextMapPropagator()
except ImportError:  # pragma: no cover - exercised where the API is not installed
    _trace = None  # type: ignore[assignment]
    _W3C = None

_SCOPE = "dev.hitl"
_TRACE_KEYS = (TRACEPARENT, TRACESTATE)


def available() -> bool:
    """:return: whether ``opentelemetry-api`` is importable (traces possible)"""
    return _trace is not None


def traceparent(trace_id: int, span_id: int, sampled: bool) -> str:
    """The W3C ``traceparent`` value (version 00) of a span context, byte for byte.

    :param trace_id: the 128-bit trace id (not 0)
    :param span_id: the 64-bit span id (not 0)
    :param sampled: the sampled flag
    """
    if not 0 < trace_id < 1 << 128 or not 0 < span_id < 1 << 64:
        raise ValueError("a traceparent needs a non-zero 128-bit trace id and 64-bit span id")
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def with_trace_context(
    headers: Iterable[tuple[str, Any]], span_context: Any
) -> list[tuple[str, str | bytes | None]]:
    """The headers with the trace context of a span replacing any already there.

    :param headers: a record's headers
    :param span_context: an OpenTelemetry ``SpanContext`` (an invalid one removes the trace context)
    """
    kept: list[tuple[str, str | bytes | None]] = [(k, v) for k, v in headers if k not in _TRACE_KEYS]
    if _trace is None or span_context is None or not span_context.is_valid:
        return kept
    value = traceparent(span_context.trace_id, span_context.span_id, span_context.trace_flags.sampled)
    kept.append((TRACEPARENT, value.encode("utf-8")))
    state = span_context.trace_state.to_header() if span_context.trace_state else ""
    if state:
        kept.append((TRACESTATE, state.encode("utf-8")))
    return kept


class Tracing:
    """The client's spans; every method is a no-op without ``opentelemetry-api``."""

    def __init__(self, tracer_provider: Any = None) -> None:
        self._tracer = None if _trace is None else _trace.get_tracer(_SCOPE, tracer_provider=tracer_provider)

    def propose(self, action_id: str, agent_id: str, tool: str, action_type: str) -> Any:
        """:return: the started ``hitl propose`` span (child of the current context), or None"""
        if self._tracer is None:
            return None
        return self._tracer.start_span(
            PROPOSE_SPAN,
            kind=_trace.SpanKind.PRODUCER,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool,
                "gen_ai.tool.call.id": action_id,
                "hitl.action_id": action_id,
                "hitl.agent_id": agent_id,
                "hitl.action_type": action_type,
            },
        )

    def decision(
        self,
        headers: Iterable[tuple[str, Any]] | None,
        propose_span_context: Any,
        action_id: str,
        agent_id: str,
        outcome: str,
    ) -> None:
        """Records the ``hitl decision`` span: the child of the decision record's trace context,
        linked to the proposal's span."""
        if self._tracer is None:
            return
        carrier: dict[str, str] = {}
        for key, value in headers or ():
            if key in _TRACE_KEYS and value is not None:
                carrier[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        parent = _W3C.extract(carrier) if TRACEPARENT in carrier else _trace.set_span_in_context(_trace.INVALID_SPAN)
        links = (
            [_trace.Link(propose_span_context)]
            if propose_span_context is not None and propose_span_context.is_valid
            else []
        )
        span = self._tracer.start_span(
            DECISION_SPAN,
            context=parent,
            kind=_trace.SpanKind.CONSUMER,
            links=links,
            attributes={"hitl.action_id": action_id, "hitl.agent_id": agent_id, "hitl.outcome": outcome},
        )
        span.end()


def span_context(span: Any) -> Any:
    """:return: the span's context, or None without a span"""
    return None if span is None else span.get_span_context()


def end(span: Any, error: str | None = None) -> None:
    """Ends a span (if any), marking it failed with ``error``."""
    if span is None:
        return
    if error is not None and _trace is not None:
        span.set_status(_trace.Status(_trace.StatusCode.ERROR, error))
    span.end()
