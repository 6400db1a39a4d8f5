"""Local JWT signing and checking (HS256 with the standard library) and the result cache."""

from __future__ import annotations

import base64
import json

import pytest

from sam_fastapi.gateway.auth import jwt
from sam_fastapi.gateway.auth.cache import ResultCache

KEY = b"k" * 32


def test_sign_and_verify_round_trip_with_or_without_bearer() -> None:
    token = jwt.sign({"sub": "u1", "n": 3}, KEY)
    assert jwt.verify(token, KEY) == {"sub": "u1", "n": 3}
    assert jwt.verify(f"Bearer {token}", KEY) == {"sub": "u1", "n": 3}


def _part(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("token", "reason"), [
    ("abc", "not a JWT"),
    ("a.b.c.d", "not a JWT"),
    ("!!.e30.x", "not base64url|not JSON"),
    (f"{_part({'alg': 'RS256'})}.{_part({})}.sig", "HS256 only"),
    (f"{_part({'alg': 'HS256'})}.{_part({'sub': 'x'})}.AAAA", "bad signature"),
    (f"{_part({'alg': 'HS256'})}.WzFd.AAAA", "bad signature"),
])
def test_bad_tokens(token: str, reason: str) -> None:
    with pytest.raises(jwt.InvalidToken, match=reason):
        jwt.verify(token, KEY)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    import hashlib
    import hmac

    head, body = _part({"alg": "HS256"}), "WzFd"  # [1]
    sig = base64.urlsafe_b64encode(hmac.new(KEY, f"{head}.{body}".encode(),
                                            hashlib.sha256).digest()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidToken, match="not a JSON object"):
        jwt.verify(f"{head}.{body}.{sig}", KEY)


@pytest.mark.parametrize(("claims", "problem"), [
    ({"exp": 99}, "expired"),
    ({"exp": 200, "nbf": 150}, "nbf is in the future"),
    ({"exp": 200, "iat": 150}, "iat is in the future"),
    ({"exp": "soon"}, "exp is not a number"),
])
def test_time_claims(claims: dict, problem: str) -> None:
    with pytest.raises(jwt.InvalidToken, match=problem):
        jwt.check_claims(claims, now=100)


def test_issuer_audience_and_client_id() -> None:
    good = {"exp": 200, "iss": "https://i", "aud": ["x", "movies"]}
    jwt.check_claims(good, now=100, issuer="https://i", audience=("movies",))
    jwt.check_claims({"exp": 200, "iss": "https://i", "client_id": "movies"}, now=100,
                     issuer="https://i", audience=("movies",))
    with pytest.raises(jwt.InvalidToken, match="no exp"):
        jwt.check_claims({"iss": "https://i"}, now=100, issuer="https://i")
    with pytest.raises(jwt.InvalidToken, match="aud"):
        jwt.check_claims({**good, "aud": "other"}, now=100, audience=("movies",))


def test_scopes_from_scope_or_scp() -> None:
    assert jwt.token_scopes({"scope": "a b"}) == ["a", "b"]
    assert jwt.token_scopes({"scp": ["a"]}) == ["a"]
    with pytest.raises(jwt.MissingScope):
        jwt.check_claims({"scope": "a"}, now=0, scopes=("b",))


def test_cache_keeps_values_for_their_ttl_and_clears() -> None:
    now = [0.0]
    cache = ResultCache(lambda: now[0])
    cache.put("k", "v", 10)
    cache.put("off", "v", 0)
    assert (cache.get("k"), cache.get("off"), len(cache)) == ("v", None, 1)
    now[0] = 10
    assert cache.get("k") is None
    cache.put("k", "v", 10)
    cache.clear()
    assert cache.get("k") is None
