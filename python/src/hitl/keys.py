"""The deciders' public Ed25519 keys an agent trusts: a JWKS or one JWK.

An agent must never hold a key that can make a decision: a JWK carrying a private or secret member
(``d``, ``k``, ...) is refused, not stripped, so that a misconfiguration that copied a decider's
private key to an agent is noticed (treat that key as leaked and rotate it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .canonical import StrictJsonError, parse_strict

__all__ = ["JWKS_PATH", "DEVELOPMENT_KEY_ID", "PublicKey", "PublicKeys", "KeySource"]

#: Where the deciders (classifier, escalation service) serve their public keys.
JWKS_PATH = "/.well-known/jwks.json"
#: The key id of the development key pair, whose private half is public.
DEVELOPMENT_KEY_ID = "local-dev"

_SECRET_MEMBERS = ("d", "k", "p", "q", "dp", "dq", "qi", "oth")


def _unb64url(text: str, member: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f'the JWK\'s "{member}" is not base64url') from e


@dataclass(frozen=True)
class PublicKey:
    """One trusted key: its id and the raw 32-byte Ed25519 public key."""

    key_id: str
    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.key_id or not isinstance(self.key_id, str):
            raise ValueError('a decision key needs a key id ("kid")')
        if len(self.raw) != 32:
            raise ValueError(f"the JWK {self.key_id}'s \"x\" is not 32 bytes")

    def key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)


def _public_key(jwk: Any) -> PublicKey:
    if not isinstance(jwk, dict):
        raise ValueError("a JWK must be a JSON object")
    kid = jwk.get("kid")
    for member in _SECRET_MEMBERS:
        if member in jwk:
            raise ValueError(
                f"the decision key {kid if isinstance(kid, str) else '(no kid)'} holds the private or secret"
                f' member "{member}": an agent must hold only the deciders\' public keys (kty OKP, crv'
                " Ed25519, kid, x). Remove it, and treat that key as leaked: rotate it"
            )
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError(
            'decision keys are Ed25519 JWKs ("kty":"OKP","crv":"Ed25519"), found kty'
            f" {jwk.get('kty')} crv {jwk.get('crv')}"
        )
    if not isinstance(kid, str) or not kid.strip():
        raise ValueError('a decision key needs a key id ("kid")')
    x = jwk.get("x")
    if not isinstance(x, str):
        raise ValueError(f'the JWK {kid} has no "x" member')
    return PublicKey(kid, _unb64url(x, "x"))


class PublicKeys:
    """A set of trusted public keys by key id (several at once while keys rotate)."""

    def __init__(self, keys: Mapping[str, PublicKey] | None = None) -> None:
        self._keys: dict[str, PublicKey] = dict(keys or {})

    @classmethod
    def parse(cls, jwks_or_jwk: str | Mapping[str, Any]) -> PublicKeys:
        """From a JWKS (``{"keys": [...]}``) or one JWK, as JSON text or a parsed dict."""
        if isinstance(jwks_or_jwk, str):
            if not jwks_or_jwk.strip():
                raise ValueError("no decision public keys given (a JWKS or a JWK is expected)")
            try:
                root = parse_strict(jwks_or_jwk)
            except StrictJsonError:
                # Never echo the text: a misplaced secret may be in it.
                raise ValueError(
                    "the decision public keys are not strict JSON (a JWKS or a JWK is expected)"
                ) from None
        else:
            root = json.loads(json.dumps(jwks_or_jwk))
        if not isinstance(root, dict):
            raise ValueError("a JWKS or a JWK must be a JSON object")
        jwks = root.get("keys")
        if jwks is None:
            items = [root]
        elif isinstance(jwks, list) and jwks:
            items = jwks
        else:
            raise ValueError('the JWKS\'s "keys" must be a non-empty array')
        result = cls()
        for jwk in items:
            result._add(_public_key(jwk))
        return result

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> PublicKeys:
        """From a file holding a JWKS or one JWK."""
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise ValueError(f"cannot read the decision public keys from {path}: {e}") from e
        try:
            return cls.parse(text)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from e

    @classmethod
    def load(cls, source: KeySource) -> PublicKeys:
        """From whatever is given: keys, a parsed JWKS/JWK dict, or the path of a file holding one."""
        if isinstance(source, PublicKeys):
            return source
        if isinstance(source, Mapping):
            return cls.parse(source)
        return cls.read(source)

    def _add(self, key: PublicKey) -> None:
        earlier = self._keys.get(key.key_id)
        if earlier is not None and earlier.raw != key.raw:
            raise ValueError(f"the decision key id {key.key_id} is given twice, with two different keys")
        self._keys[key.key_id] = key

    def merged(self, other: PublicKeys) -> PublicKeys:
        """Every key of both; a key id in both must name the same key."""
        result = PublicKeys(self._keys)
        for key in other:
            result._add(key)
        return result

    def get(self, key_id: str) -> PublicKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[PublicKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"PublicKeys({sorted(self._keys)})"

    def trusts_development_key(self) -> bool:
        """Whether these keys include the development key, whose private half is public."""
        key = self._keys.get(DEVELOPMENT_KEY_ID)
        return key is not None and key.raw == _development_public_key()


KeySource = Union[PublicKeys, Mapping[str, Any], str, "os.PathLike[str]"]


def _development_public_key() -> bytes:
    seed = hashlib.sha256(b"hitl-local-development-decision-key-not-secret").digest()
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
