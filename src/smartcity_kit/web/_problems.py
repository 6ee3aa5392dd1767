"""Problem-details errors (RFC 9457, ``application/problem+json``)."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from flask import Response, jsonify

from smartcity_kit.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    SchemaMismatchError,
    SmartCityError,
    ValidationError,
)

__all__ = ["problem", "problem_for"]


def problem(status: int, detail: str, errors: Sequence[FieldError] = ()) -> Response:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": e.path, "message": e.message} for e in errors]
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def problem_for(error: SmartCityError) -> Response:
    """The problem response for one of our errors (its message is safe to show)."""
    if isinstance(error, ValidationError):
        return problem(400, "the request has invalid fields", error.errors)
    if isinstance(error, NotFoundError):
        return problem(404, str(error))
    if isinstance(error, PermissionDeniedError):
        return problem(403, str(error))
    if isinstance(error, SchemaMismatchError):
        return problem(503, str(error))
    if isinstance(error, ConflictError):
        return problem(409, str(error))
    return problem(502, str(error))
