"""The deciders' public keys: JWKS or JWK, never a private key."""

from __future__ import annotations

import json

import pytest
from helpers import vectors

from hitl import PublicKeys

VECTORS = vectors()


def test_a_jwks_a_jwk_a_dict_and_a_file_are_read(tmp_path) -> None:
    jwks = VECTORS["publicKeys"]
    assert [k.key_id for k in PublicKeys.parse(json.dumps(jwks))] == ["test-vectors-1"]
    assert len(PublicKeys.parse(jwks["keys"][0])) == 1
    file = tmp_path / "keys.jwks.json"
    file.write_text(json.dumps(jwks))
    assert PublicKeys.load(str(file)).get("test-vectors-1") is not None
    assert PublicKeys.load(file).get("test-vectors-1") is not None
    assert PublicKeys.load(jwks).get("test-vectors-1") is not None


def test_a_private_key_is_refused_not_stripped_and_never_echoed() -> None:
    private = VECTORS["privateKey"]
    with pytest.raises(ValueError, match='"d"') as refused:
        PublicKeys.parse(json.dumps({"keys": [private]}))
    assert private["d"] not in str(refused.value)
    with pytest.raises(ValueError):
        PublicKeys.parse({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"})


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "kid": "a", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "a"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "a", "x": "AAAA"},
        {"keys": []},
    ],
)
def test_what_is_not_an_ed25519_public_key_is_refused(jwk: dict) -> None:
    with pytest.raises(ValueError):
        PublicKeys.parse(jwk)


def test_one_key_id_must_name_one_key() -> None:
    first = VECTORS["publicKeys"]["keys"][0]
    other = dict(first, x=VECTORS["votes"]["voterPrivateKey"]["x"])
    with pytest.raises(ValueError, match="twice"):
        PublicKeys.parse({"keys": [first, other]})
    merged = PublicKeys.parse(first).merged(PublicKeys.parse(dict(first, kid="second")))
    assert len(merged) == 2


def test_the_development_key_is_recognised() -> None:
    # DevelopmentKeys.publicKeys().toJwks() of the Java schemas module.
    development = {"kty": "OKP", "crv": "Ed25519", "kid": "local-dev", "x": "LsXwpGjYiuen1Zx2_d2QKqMY-69AxZOpvZr90ZkalO0"}
    assert PublicKeys.parse(development).trusts_development_key()
    assert not PublicKeys.parse(dict(development, kid="prod")).trusts_development_key()
    assert not PublicKeys.parse(VECTORS["publicKeys"]).trusts_development_key()
