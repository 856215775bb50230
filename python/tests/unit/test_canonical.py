"""Strict JSON and RFC 8785, as the Java StrictJson and CanonicalJson read and write them."""

from __future__ import annotations

import pytest

from hitl import StrictJsonError, arguments_hash, canonical_json, canonicalize, parse_strict
from hitl.canonical import parse_strict_object


@pytest.mark.parametrize(
    "text",
    [
        '{"to":"a","to":"b"}',
        '{"a":{"x":1,"x":1}}',
        '{"id": 9007199254740993}',
        '{"id": -9007199254740993}',
        '{"x": 0.10000000000000000001}',
        '{"x": 333333333.33333329}',
        '{"x": 1e400}',
        '{"x": NaN}',
        '{"x": Infinity}',
        '{"x": 1} {"y": 2}',
        "",
        "{",
        "[" * 65 + "]" * 65,
    ],
)
def test_text_parsers_disagree_on_is_refused(text: str) -> None:
    with pytest.raises(StrictJsonError):
        parse_strict(text)


def test_numbers_a_double_holds_exactly_pass() -> None:
    assert parse_strict('{"a": 0.1, "b": 1e3, "c": 9007199254740992, "d": -9007199254740992}') == {
        "a": 0.1,
        "b": 1000.0,
        "c": 2**53,
        "d": -(2**53),
    }
    assert parse_strict("[" * 64 + "]" * 64) is not None


def test_only_objects_are_arguments() -> None:
    with pytest.raises(StrictJsonError, match="array"):
        parse_strict_object("[1]")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # RFC 8785 section 3.2.2 and appendix B examples.
        ('{"numbers": [333333333.3333333, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}',
         '{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}'),
        ('{"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/"}',
         '{"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'),
        ('{"literals": [null, true, false]}', '{"literals":[null,true,false]}'),
        ('{"b": 1, "a": 2, "\\u00e9": 3, "\\ud83d\\ude00": 4, "\\ufb33": 5}',
         '{"a":2,"b":1,"\u00e9":3,"\U0001f600":4,"\ufb33":5}'),
        ('{"big": 9007199254740992, "neg0": -0, "zero": 0.0, "e": 1e21, "small": 1e-7}',
         '{"big":9007199254740992,"e":1e+21,"neg0":0,"small":1e-7,"zero":0}'),
    ],
)
def test_canonical_form(text: str, canonical: str) -> None:
    assert canonical_json(text) == canonical


def test_arguments_hash_is_the_vectors() -> None:
    assert arguments_hash('{"q":"refund policy","limit":5}') == (
        "ba65fc5a6244484aa9302899ab8359dfe007cb845d64ef87233f63f096ce9b3f"
    )
    assert arguments_hash('{"amount":"1000.00","currency":"EUR","to":"ACME GmbH"}') == (
        "7783ba74cffe0876e3d9f97982505c234f067f694dbd10ce7943fc65fca6f615"
    )


def test_values_without_a_canonical_form_are_refused() -> None:
    with pytest.raises(ValueError):
        canonicalize({"x": float("nan")})
    with pytest.raises(ValueError):
        canonicalize({"x": 2**53 + 1})
