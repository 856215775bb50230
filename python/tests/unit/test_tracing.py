"""The proposal's trace headers: W3C Trace Context, byte for byte, replacing any upstream one."""

from __future__ import annotations

import pytest

from hitl import tracing

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

otel = pytest.importorskip("opentelemetry.trace")


def _context(state: str = "") -> object:
    return otel.SpanContext(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        is_remote=True,
        trace_flags=otel.TraceFlags(otel.TraceFlags.SAMPLED),
        trace_state=otel.TraceState.from_header([state]) if state else otel.TraceState(),
    )


def test_the_traceparent_is_the_w3c_format_byte_for_byte() -> None:
    assert tracing.traceparent(TRACE_ID, SPAN_ID, True).encode() == TRACEPARENT
    assert tracing.traceparent(1, 2, False) == "00-00000000000000000000000000000001-0000000000000002-00"
    with pytest.raises(ValueError):
        tracing.traceparent(0, SPAN_ID, True)
    with pytest.raises(ValueError):
        tracing.traceparent(TRACE_ID, 1 << 64, True)


def test_the_span_context_replaces_an_upstream_trace_context_and_keeps_the_mac() -> None:
    upstream = [
        ("hitl.auth", b"v1.cred-1.mac"),
        ("traceparent", b"00-11111111111111111111111111111111-2222222222222222-01"),
        ("tracestate", b"old=1"),
    ]

    headers = tracing.with_trace_context(upstream, _context("vendor=x1"))

    assert headers == [("hitl.auth", b"v1.cred-1.mac"), ("traceparent", TRACEPARENT), ("tracestate", b"vendor=x1")]


def test_no_valid_context_means_no_trace_headers() -> None:
    upstream = [("hitl.auth", b"v1.cred-1.mac"), ("traceparent", TRACEPARENT)]
    assert tracing.with_trace_context(upstream, None) == [("hitl.auth", b"v1.cred-1.mac")]
    assert tracing.with_trace_context(upstream, otel.INVALID_SPAN_CONTEXT) == [("hitl.auth", b"v1.cred-1.mac")]


def test_the_proposal_carries_the_callers_context_when_the_application_has_no_sdk() -> None:
    # With the API alone the propose span records nothing and is its parent's context, so the
    # proposal carries the agent's own trace context (its tool call's) unchanged.
    caller = otel.NonRecordingSpan(_context())
    with otel.use_span(caller):
        span = tracing.Tracing().propose("a-1", "agent-1", "gmail", "email.send")
    headers = tracing.with_trace_context([], tracing.span_context(span))
    tracing.end(span)

    assert headers == [("traceparent", TRACEPARENT)]


def test_the_decision_span_is_harmless_without_an_sdk() -> None:
    tracing.Tracing().decision([("traceparent", TRACEPARENT)], _context(), "a-1", "agent-1", "APPROVED")
    tracing.Tracing().decision(None, None, "a-1", "agent-1", "REJECTED")
