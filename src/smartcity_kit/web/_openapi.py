"""The JSON API described once: checked on every request, published as OpenAPI 3.1.

Each endpoint under ``/api/`` is declared with :func:`operation`: its query parameters, its body
and its answers, as JSON Schema (2020-12, the dialect of OpenAPI 3.1). The same declaration

- checks each request before the endpoint acts: query parameters when the request arrives, the
  body when the endpoint reads it (after the caller's key is checked, so a caller without a key
  learns nothing about the fields); every problem is a ``400`` problem naming its field;
- is published at ``GET /api/openapi.json`` (:func:`openapi_document`);
- checks each answer against its schema when the app is asked to (``check_responses``, used by
  the test suite), so the document cannot drift from what the endpoints send.

Error messages never repeat the value sent (it may be personal data); a schema may give its own
message with the ``x-error`` keyword.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal, ParamSpec, TypeVar

import attrs
import jsonschema
from flask import Flask, Response, g, request
from werkzeug.routing import Rule

from smartcity_kit import __version__
from smartcity_kit.errors import FieldError, NotFoundError, ValidationError

__all__ = [
    "PAGE",
    "PROBLEM",
    "Answer",
    "Operation",
    "Param",
    "check_body",
    "check_response",
    "component",
    "json_body",
    "openapi_document",
    "operation",
    "paged",
]

Schema = dict[str, Any]
Auth = Literal["none", "key", "optional"]
_P = ParamSpec("_P")
_R = TypeVar("_R")

#: Named schemas shared by several endpoints (``#/components/schemas/<name>``).
COMPONENTS: Final[dict[str, Schema]] = {}


def component(name: str, schema: Schema) -> Schema:
    """Register ``schema`` under ``name``; returns a ``$ref`` to it."""
    if name in COMPONENTS and COMPONENTS[name] != schema:
        msg = f"component {name!r} is declared twice, differently"
        raise ValueError(msg)
    COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


#: A ``$ref`` to the problem-details schema (RFC 9457) every error answer has.
PROBLEM: Final = component(
    "Problem",
    {
        "type": "object",
        "description": "An error, as problem details (RFC 9457, application/problem+json).",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "description": "One entry per wrong field (400 only).",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {
                        "field": {
                            "type": "string",
                            "description": "Where: 'nik', 'address.rt', 'items[2].grams'; "
                            "empty for the request as a whole.",
                        },
                        "message": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "audit_seq": {
                "type": "integer",
                "description": "The audit entry that records a refused camera access.",
            },
        },
    },
)


@attrs.frozen
class Param:
    """A query (or path) parameter.

    Attributes:
        name: As in the URL.
        schema: Its value's JSON Schema (``integer``, ``boolean`` and ``array`` values are read
            from the text first; an array is comma-separated).
        description: What it means.
        required: Whether it must be given (path parameters always are).
        where: ``query`` or ``path``.
    """

    name: str
    schema: Schema
    description: str = ""
    required: bool = False
    where: Literal["query", "path"] = "query"


@attrs.frozen
class Answer:
    """One answer an endpoint gives.

    Attributes:
        description: When it is given.
        schema: The JSON body's schema (None: no JSON body, or one not described).
        media: Its media types (the schema applies to the JSON ones).
        headers: Response headers worth knowing, name: description.
    """

    description: str
    schema: Schema | None = None
    media: tuple[str, ...] = ("application/json",)
    headers: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Operation:
    """An endpoint's declaration (see :func:`operation`)."""

    summary: str
    description: str
    tag: str
    auth: Auth
    params: tuple[Param, ...]
    body: Schema | None
    body_optional: bool
    answers: Mapping[int, Answer]


_PROBLEMS: Final = {
    400: "A parameter or field is wrong: each one is named in `errors`.",
    403: "The key is not valid, or may not do this.",
    404: "There is no such thing (or city).",
    405: "The method is not allowed here.",
    406: "None of the media types in `Accept` can be given.",
    409: "The change conflicts with the current state (a stale version, a duplicate, a bad move).",
    413: "The body is larger than the server takes.",
    502: "A device or remote service did not answer as it should.",
    503: "The database cannot be reached, or its schema is not this version's.",
}
_NOT_FOUND: Final = Answer(_PROBLEMS[404], PROBLEM, ("application/problem+json",))


def operation(  # noqa: PLR0913 - a declaration: every argument is a part of it
    summary: str,
    *,
    tag: str,
    answers: Mapping[int, Answer],
    auth: Auth = "key",
    query: Iterable[Param] = (),
    path: Iterable[Param] = (),
    body: Schema | None = None,
    body_optional: bool = False,
    errors: Iterable[int] = (),
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Declare an endpoint: what it takes and answers, checked and published.

    The common problem answers are added for you: 400 when it takes query parameters or a body,
    403 when it needs (or reads) a key, 404 when its path has parameters, 413 when it takes a
    body, 503 always; name any others (409, 502, a 400 from a path parameter, ...) in
    ``errors``.

    Args:
        summary: One line; the view's docstring is the description.
        tag: The module (``complaints``, ``cctv``, ``economy``, ``qris``, ``dashboard``,
            ``permits``, ``cooperation``).
        answers: Its successful answers by status.
        auth: ``key`` (an API key is required), ``optional`` (more is shown with one), ``none``.
        query: Its query parameters.
        path: Descriptions and schemas of its path parameters (else taken from the route).
        body: The JSON body's schema (an object), if it takes one.
        body_optional: Whether the body may be left out.
        errors: Other problem statuses it gives.
    """

    def declare(view: Callable[_P, _R]) -> Callable[_P, _R]:
        params = tuple(path) + tuple(query)
        wanted = _defaults(params, body, auth, errors)
        statuses = {
            status: Answer(text, PROBLEM, ("application/problem+json",))
            for status, text in _PROBLEMS.items()
            if status in wanted
        }
        op = Operation(
            summary=summary,
            description=_dedent(view.__doc__ or ""),
            tag=tag,
            auth=auth,
            params=params,
            body=body,
            body_optional=body_optional,
            answers={**statuses, **answers},
        )

        @functools.wraps(view)
        def checked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            g.smartcity_operation = op
            for name, value in kwargs.items():
                if isinstance(value, str) and _NUL in value:
                    raise NotFoundError(f"there is no such {name}")
            _check_query(op)
            return view(*args, **kwargs)

        checked.openapi = op  # type: ignore[attr-defined]
        return checked

    return declare


def _defaults(
    params: Sequence[Param], body: Schema | None, auth: Auth, errors: Iterable[int]
) -> set[int]:
    found = {503, *errors}
    if any(p.where == "query" for p in params) or body is not None:
        found.add(400)
    if auth != "none":
        found.add(403)
    if body is not None:
        found.add(413)
    return found


def _dedent(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) <= 1:
        return text.strip()
    rest = [line for line in lines[1:] if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in rest), default=0)
    return "\n".join([lines[0].strip(), *(line[indent:] for line in lines[1:])])


# --- checking --------------------------------------------------------------------------------

_NUL: Final = "\x00"
_NUL_MESSAGE: Final = "must not contain a NUL character"
_WHOLE: Final = re.compile(r"-?[0-9]{1,18}")
_NUMBER: Final = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FORMATS: Final = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date")
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@_FORMATS.checks("date-time")
def _is_instant(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        return False
    return parsed.tzinfo is not None and 1900 <= parsed.year <= 2999


#: JSON Schema counts 1.0 as an integer; our readers do not (an amount is a JSON integer).
_TYPES: Final = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
)
_Validator: Final = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator, type_checker=_TYPES
)


def _validator(schema: Schema) -> jsonschema.protocols.Validator:
    return _cached_validator(_Key(schema))


@attrs.frozen(eq=False)
class _Key:
    """A schema as a cache key: by identity (the declarations live as long as the process)."""

    schema: Schema

    def __hash__(self) -> int:
        return id(self.schema)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.schema is self.schema


@functools.lru_cache(maxsize=4096)
def _cached_validator(key: _Key) -> jsonschema.protocols.Validator:
    root = {**key.schema, "components": {"schemas": COMPONENTS}}
    validator: jsonschema.protocols.Validator = _Validator(root, format_checker=_FORMATS)
    return validator


def _where(path: Iterable[Any], prefix: str = "") -> str:
    text = prefix
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text


_KINDS: Final = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _kind(expected: object) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)  # type: ignore[call-overload]
    return " or ".join(_KINDS.get(str(n), str(n)) for n in names)


def _message(error: jsonschema.ValidationError) -> str:  # noqa: C901, PLR0911, PLR0912 - one case per keyword
    subschema: Any = error.schema
    custom = subschema.get("x-error") if isinstance(subschema, dict) else None
    value: Any = error.validator_value
    match error.validator:
        case "type":
            return str(custom) if custom else f"must be {_kind(value)}"
        case "enum":
            return str(custom) if custom else "must be one of " + ", ".join(map(str, value))
        case "const":
            return str(custom) if custom else f"must be {value}"
        case "minLength":
            if custom:
                return str(custom)
            return "must not be empty" if value == 1 else f"must be at least {value} characters"
        case "maxLength":
            return f"must be at most {value} characters"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            if custom:
                return str(custom)
            word = {"minimum": "at least", "exclusiveMinimum": "more than"}.get(
                str(error.validator), "at most" if error.validator == "maximum" else "less than"
            )
            return f"must be {word} {value}"
        case "minItems":
            return str(custom) if custom else f"must hold at least {value} item(s)"
        case "maxItems":
            return f"must hold at most {value} items"
        case "uniqueItems":
            return "must not repeat an item"
        case "format":
            if custom:
                return str(custom)
            if value == "date":
                return "must be a date (YYYY-MM-DD)"
            return "must be an ISO 8601 date-time with an offset"
        case _:
            return str(custom) if custom else "has the wrong form"


def _problems(schema: Schema, value: Any, prefix: str = "") -> list[FieldError]:
    found: list[FieldError] = []
    for error in _validator(schema).iter_errors(value):
        where = _where(error.absolute_path, prefix)
        subschema: Any = error.schema
        instance: Any = error.instance
        names: Any = error.validator_value
        if error.validator == "required":
            present = instance if isinstance(instance, dict) else {}
            found.extend(
                FieldError(_where([name], where), "is required")
                for name in names
                if name not in present
            )
        elif error.validator in ("additionalProperties", "unevaluatedProperties"):
            allowed = set(subschema.get("properties", {}))
            extra = [name for name in instance if name not in allowed]
            found.extend(FieldError(_where([name], where), "is not a field here") for name in extra)
        else:
            found.append(FieldError(where, _message(error)))
    unique = list(dict.fromkeys(found))
    unique.sort(key=lambda e: e.path)
    return unique


def _read(text: str, schema: Schema) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(text) if _WHOLE.fullmatch(text) else text
    if kind == "number":
        return float(text) if _NUMBER.fullmatch(text) else text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "array":
        items = schema.get("items", {})
        return [_read(part, items) for part in text.split(",")]
    return text


def _nul_problems(value: Any, where: str = "") -> list[FieldError]:
    """The places in a JSON value whose text holds a NUL character (no database stores it)."""
    if isinstance(value, str):
        return [FieldError(where, _NUL_MESSAGE)] if _NUL in value else []
    found: list[FieldError] = []
    if isinstance(value, dict):
        for key, item in value.items():
            place = _where([key], where)
            found += (
                [FieldError(place, _NUL_MESSAGE)] if _NUL in key else _nul_problems(item, place)
            )
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _nul_problems(item, _where([index], where))
    return found


def _check_query(op: Operation) -> None:
    problems: list[FieldError] = []
    for param in op.params:
        if param.where != "query":
            continue
        text = request.args.get(param.name)
        if not text:
            if param.required:
                problems.append(FieldError(param.name, "is required"))
            continue
        if _NUL in text:
            problems.append(FieldError(param.name, _NUL_MESSAGE))
            continue
        problems.extend(_problems(param.schema, _read(text, param.schema), param.name))
    if problems:
        raise ValidationError(problems)


def check_body(data: Any) -> None:
    """Check a request's JSON body against its endpoint's declared schema (if any).

    Called where the endpoint reads its body, so that the caller's key is checked first.

    Raises:
        ValidationError: One problem per wrong field, none repeating the value sent.
    """
    op: Operation | None = g.get("smartcity_operation")
    if op is None or op.body is None:
        return
    g.smartcity_body_checked = True
    problems = _nul_problems(data) or _problems(op.body, data)
    if problems:
        raise ValidationError(problems)


def json_body() -> dict[str, Any]:
    """The request's JSON object body, checked against its endpoint's declared schema.

    Read it in a view declared with :func:`operation` after checking the caller's key.

    Raises:
        ValidationError: The body is not a JSON object, or breaks the schema (one problem per
            field, none repeating the value sent).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError.single("", "the body must be a JSON object")
    check_body(body)
    return body


def check_response(app: Flask, response: Response) -> list[FieldError]:
    """What is wrong with an answer, against the declaration of the endpoint that gave it.

    An undeclared status or media type is wrong; so is a JSON body that does not match the
    answer's schema.
    """
    op = _operation_of(app, request.endpoint)
    if op is None or request.method in ("HEAD", "OPTIONS"):
        return []
    answer = op.answers.get(response.status_code)
    if answer is None and response.status_code == 404 and request.view_args:
        answer = _NOT_FOUND
    if answer is None:
        return [FieldError("", f"status {response.status_code} is not declared")]
    media = response.mimetype or ""
    if answer.media and media not in answer.media:
        return [FieldError("", f"media type {media} is not declared for {response.status_code}")]
    if answer.schema is None or not media.endswith("json"):
        return []
    return _problems(answer.schema, response.get_json())


def _operation_of(app: Flask, endpoint: str | None) -> Operation | None:
    if endpoint is None:
        return None
    view = app.view_functions.get(endpoint)
    op: Operation | None = getattr(view, "openapi", None)
    return op


# --- the document ----------------------------------------------------------------------------

_CONVERTERS: Final[Mapping[str, Schema]] = {
    "int": {"type": "integer", "minimum": 0},
    "default": {"type": "string"},
    "string": {"type": "string"},
}
_RULE_PART: Final = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")


def _path_of(rule: Rule) -> tuple[str, list[Param]]:
    params: list[Param] = []

    def replace(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        schema = dict(_CONVERTERS.get(converter, {"type": "string"}))
        if converter in ("default", "string"):
            schema["pattern"] = "^[^/]+$"
        params.append(Param(match.group("name"), schema, required=True, where="path"))
        return "{" + match.group("name") + "}"

    return _RULE_PART.sub(replace, rule.rule), params


def _operations(app: Flask) -> Iterator[tuple[str, str, Operation, list[Param]]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op = _operation_of(app, rule.endpoint)
        if op is None:
            continue
        path, path_params = _path_of(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield path, method.lower(), op, path_params


def _param_json(param: Param) -> Schema:
    data: Schema = {"name": param.name, "in": param.where, "schema": param.schema}
    if param.description:
        data["description"] = param.description
    if param.required or param.where == "path":
        data["required"] = True
    if param.schema.get("type") == "array":
        data["style"], data["explode"] = "form", False
    return data


def _operation_json(
    op: Operation,
    method: str,
    path: str,
    path_params: list[Param],
    known: Mapping[str, Sequence[str]],
) -> Schema:
    declared = {p.name: p for p in op.params if p.where == "path"}
    params = [declared.get(p.name, p) for p in path_params]
    params = [
        attrs.evolve(p, schema={"type": "string", "enum": list(known[p.name])})
        if p.where == "path" and p.name in known
        else p
        for p in params
    ]
    params += [p for p in op.params if p.where == "query"]
    data: Schema = {
        "operationId": method + re.sub(r"[^A-Za-z0-9]+", "_", path).rstrip("_"),
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        data["description"] = op.description
    if params:
        data["parameters"] = [_param_json(p) for p in params]
    if op.body is not None:
        data["requestBody"] = {
            "required": not op.body_optional,
            "content": {"application/json": {"schema": op.body}},
        }
    statuses = dict(op.answers)
    if path_params and 404 not in statuses:
        statuses[404] = _NOT_FOUND
    data["responses"] = {str(s): _answer_json(statuses[s]) for s in sorted(statuses)}
    if op.auth == "key":
        data["security"] = [{"apiKey": []}, {"bearer": []}]
    elif op.auth == "optional":
        data["security"] = [{}, {"apiKey": []}, {"bearer": []}]
    else:
        data["security"] = []
    return data


def _answer_json(answer: Answer) -> Schema:
    data: Schema = {"description": answer.description}
    if answer.media:
        data["content"] = {
            media: ({"schema": answer.schema} if answer.schema and media.endswith("json") else {})
            for media in answer.media
        }
    if answer.headers:
        data["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in answer.headers.items()
        }
    return data


def openapi_document(
    app: Flask,
    *,
    server_url: str | None = None,
    path_values: Mapping[str, Sequence[str]] | None = None,
) -> Schema:
    """The OpenAPI 3.1 document of every declared endpoint of ``app``.

    Args:
        app: The app whose routes are described.
        server_url: Where it is reached (the document's ``servers``).
        path_values: Path parameters that take one of a known set of values on this server
            (``{"city": ["makassar", "baubau"]}``): described as that set.
    """
    paths: dict[str, Schema] = {}
    known = path_values or {}
    for path, method, op, path_params in _operations(app):
        paths.setdefault(path, {})[method] = _operation_json(op, method, path, path_params, known)
    doc: Schema = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "smartcity-kit API",
            "version": __version__,
            "description": (
                "The JSON API of a smartcity-kit server: complaints and service requests, "
                "permits, cooperation agreements, CCTV, neighbourhood enterprises (BULo), QRIS "
                "payments and the city dashboard. "
                "Errors are problem details (RFC 9457). Lists are paged with `page` (from 1) "
                "and `page_size` (1 to 200, 50 by default) and answer "
                "`{page, page_size, items}`. Times are ISO 8601 with an offset."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(COMPONENTS.items())),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "tags": [
            {"name": "complaints", "description": "Service catalogue, requests, metrics."},
            {"name": "cctv", "description": "Cameras, sharing with the police, audit."},
            {"name": "economy", "description": "BULo enterprises, books, SHU, waste banks."},
            {"name": "qris", "description": "QRIS codes and sales."},
            {"name": "dashboard", "description": "The city dashboard's figures."},
            {"name": "permits", "description": "Permit applications, issued permits, checks."},
            {"name": "cooperation", "description": "Cooperation agreements (kerja sama daerah)."},
        ],
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc


# --- shared pieces ---------------------------------------------------------------------------

#: The paging parameters every list takes.
PAGE: Final = (
    Param(
        "page",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 1_000_000,
            "default": 1,
            "x-error": "must be a whole number from 1",
        },
        "The page, from 1.",
    ),
    Param(
        "page_size",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 200,
            "default": 50,
            "x-error": "must be from 1 to 200",
        },
        "Items per page (1 to 200).",
    ),
)


def paged(item: Schema) -> Schema:
    """The schema of a page of ``item``: ``{page, page_size, items}``."""
    return {
        "type": "object",
        "required": ["page", "page_size", "items"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": item},
        },
    }
