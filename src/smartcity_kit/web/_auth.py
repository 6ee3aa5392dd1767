"""Who is calling: API keys from the ``X-API-Key`` header or ``Authorization: Bearer``."""

from __future__ import annotations

from flask import Request

from smartcity_kit.errors import PermissionDeniedError
from smartcity_kit.storage import ApiKey, ApiKeys, Role

__all__ = ["key_from", "require"]


def key_from(request: Request) -> str | None:
    """The key the caller sent, if any."""
    header = request.headers.get("X-API-Key")
    if header:
        return header
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(keys: ApiKeys, request: Request, *roles: Role, city: str | None = None) -> ApiKey:
    """The caller's key, if it has one of ``roles`` and may act in ``city``.

    Raises:
        PermissionDeniedError: No key, an unknown or revoked key, or the wrong role or city.
    """
    key = keys.authenticate(key_from(request))
    if key is None:
        raise PermissionDeniedError("a valid API key is required (X-API-Key header)")
    if key.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise PermissionDeniedError(
            f"this needs a key with role {allowed}; yours is {key.role.value}"
        )
    if city is not None and key.city is not None and key.city != city:
        raise PermissionDeniedError(f"this key is for {key.city}, not {city}")
    return key
