"""Strict JSON (I-JSON, RFC 7493) and its canonical form (RFC 8785), as hitl's Java code reads them.

Arguments are refused before anything is hashed, shown or run when an object repeats a member name
or a number is not held exactly by an IEEE 754 double: parsers disagree on such text, so what a
reviewer approves could differ from what runs. The rules are those of the Java ``StrictJson``: a
number with a fraction or exponent must equal the shortest form of the double nearest to it (``0.1``
and ``1e3`` pass, ``0.10000000000000000001`` does not); an integer written without them must lie
within ±2^53; nesting is at most 64 deep.
"""

from __future__ import annotations

import hashlib
import json
import math
from decimal import Decimal
from typing import Any

import rfc8785

__all__ = [
    "MAX_DEPTH",
    "StrictJsonError",
    "parse_strict",
    "parse_strict_object",
    "canonicalize",
    "canonical_json",
    "arguments_hash",
    "sha256_hex",
]

#: Deepest nesting accepted, as the Java ``StrictJson.MAX_DEPTH``.
MAX_DEPTH = 64

_MAX_EXACT_INTEGER = 2**53


class StrictJsonError(ValueError):
    """The text is not strict JSON; the message names the problem and where it is."""


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"not JSON: {name} is not a JSON number")


def _float(text: str) -> float:
    written = Decimal(text)
    nearest = float(text)
    if math.isinf(nearest):
        raise StrictJsonError(f"the number {text} is out of a double's range")
    if written != Decimal(repr(nearest)):
        raise StrictJsonError(
            f"the number {text} has more precision than a double holds, so parsers would read"
            " different values: send it as a string"
        )
    return nearest


def _int(text: str) -> int:
    value = int(text)
    if abs(value) > _MAX_EXACT_INTEGER:
        raise StrictJsonError(
            f"the number {text} is beyond ±2^53 and cannot be held exactly as a double (RFC 7493):"
            " send it as a string"
        )
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise StrictJsonError(
                f'duplicate member name: "{name}" appears twice in one object (RFC 7493 forbids it:'
                " parsers disagree on which value counts)"
            )
        result[name] = value
    return result


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def parse_strict(text: str) -> Any:
    """Parses JSON text as I-JSON.

    Returns the value with integers as ``int`` and other numbers as ``float``.
    Raises :class:`StrictJsonError` on duplicate member names, numbers a double does not hold
    exactly, ``NaN``/``Infinity``, nesting deeper than :data:`MAX_DEPTH`, or text that is not JSON.
    """
    if text is None:
        raise StrictJsonError("no JSON text (None)")
    if not isinstance(text, str):
        raise StrictJsonError(f"JSON text must be a str, not {type(text).__name__}")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_float=_float,
            parse_int=_int,
            parse_constant=_no_constant,
        )
    except StrictJsonError:
        raise
    except (ValueError, RecursionError) as e:
        raise StrictJsonError(f"not JSON: {e}") from e
    if _depth(value) > MAX_DEPTH:
        raise StrictJsonError(f"the JSON is nested deeper than {MAX_DEPTH} levels")
    return value


def parse_strict_object(text: str) -> dict[str, Any]:
    """As :func:`parse_strict`, and the value must be a JSON object."""
    value = parse_strict(text)
    if not isinstance(value, dict):
        kind = "array" if isinstance(value, list) else "null" if value is None else type(value).__name__
        raise StrictJsonError(f"must be a JSON object, found {kind}")
    return value


def _jcs_ready(value: Any) -> Any:
    # rfc8785 takes integers up to 2^53 - 1; RFC 8785 (and the Java code) print ±2^53 too,
    # as the double they denote.
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_EXACT_INTEGER:
            raise StrictJsonError(f"the integer {value} is beyond ±2^53 and has no canonical form")
        return float(value) if abs(value) == _MAX_EXACT_INTEGER else value
    if isinstance(value, dict):
        return {k: _jcs_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jcs_ready(v) for v in value]
    raise StrictJsonError(f"no canonical form for a {type(value).__name__}")


def canonicalize(value: Any) -> str:
    """The RFC 8785 form of a JSON value (dict, list, str, int, float, bool, None).

    Raises :class:`ValueError` for values without one (NaN, infinities, lone surrogates, integers
    beyond ±2^53).
    """
    return rfc8785.dumps(_jcs_ready(value)).decode("utf-8")


def canonical_json(text: str) -> str:
    """The RFC 8785 form of JSON text, read strictly (:func:`parse_strict`)."""
    return canonicalize(parse_strict(text))


def sha256_hex(text: str) -> str:
    """Lower-case hex SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def arguments_hash(text: str) -> str:
    """A decision's ``argumentsHash`` of JSON text: hex SHA-256 of its RFC 8785 form."""
    return sha256_hex(canonical_json(text))
