"""Who is calling: a verified identity token (JWT) from the host portal becomes an `Identity`.

With no token key configured every request runs as the local anonymous identity (the demo; `chatbi
serve` warns about it). With a key configured, a valid token in `Authorization: Bearer ...` is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt

from semantic_layer.identity import LOCAL_IDENTITY, AttributeValue, Identity

from .errors import TokenExpired, TokenInvalid, Unauthorized
from .settings import Settings

ROLES_ATTRIBUTE = "roles"


class TokenVerifier:
    """Verifies tokens with one key and algorithm, and maps their claims to user attributes."""

    def __init__(self, settings: Settings) -> None:
        self.algorithm = settings.token_algorithm
        raw_key = (
            settings.auth_secret.get_secret_value()
            if settings.auth_secret
            else _load_public_key(settings.auth_public_key or "")
        )
        try:
            self.key: Any = jwt.get_algorithm_by_name(self.algorithm).prepare_key(raw_key)
        except (jwt.InvalidKeyError, ValueError, TypeError) as error:
            raise ValueError(f"the token key does not suit {self.algorithm}: {error}") from None
        self.audience = settings.auth_audience
        self.issuer = settings.auth_issuer
        self.claims = dict(pair.split("=", 1) for pair in settings.auth_claims)

    def identity(self, token: str) -> Identity:
        """The identity a token vouches for; raises Unauthorized when it is expired or not valid."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpired() from None
        except jwt.InvalidTokenError as error:
            raise TokenInvalid(reason=str(error) or type(error).__name__) from None
        return identity_from_claims(claims, self.claims)


def identity_from_claims(claims: Mapping[str, Any], mapping: Mapping[str, str]) -> Identity:
    """`sub` is the user id; each mapped claim (dotted paths reach nested claims) becomes an attribute,
    and the one mapped to `roles` becomes the identity's roles."""
    attributes: dict[str, AttributeValue] = {}
    roles: tuple[str, ...] = ()
    for claim, attribute in mapping.items():
        value = _claim(claims, claim)
        if value is None:
            continue
        if attribute == ROLES_ATTRIBUTE:
            roles = value if isinstance(value, tuple) else tuple(r.strip() for r in value.split(",") if r)
        else:
            attributes[attribute] = value
    return Identity(user_id=str(claims["sub"]), attributes=attributes, roles=roles)


def _claim(claims: Mapping[str, Any], path: str) -> AttributeValue | None:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value)
    if value is None or isinstance(value, Mapping):
        return None
    return str(value)


def _load_public_key(value: str) -> str:
    """PEM text as is, or the contents of the PEM file it names."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read CHATBI_AUTH_PUBLIC_KEY file {value}: {error.strerror}") from None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None without the header."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    return token.strip()


def resolve_identity(verifier: TokenVerifier | None, authorization: str | None) -> Identity:
    """The caller's identity: the local one when no key is configured, else the token's (required)."""
    if verifier is None:
        return LOCAL_IDENTITY
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized()
    return verifier.identity(token)
