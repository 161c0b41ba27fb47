"""The wire layer: parse an AWS request, call the backend method, answer in AWS's format.

A ``WireProtocol`` turns requests for one service into backend calls and back. Deadline
Cloud speaks ``rest-json`` (``RestJsonProtocol``); another protocol (CloudWatch Logs'
``json-1.1``, routed by ``X-Amz-Target``) can be added beside it with the same interface
and registered on the ``Emulator``.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import orjson

from deadline_emulator.exceptions import (
    DeadlineError,
    InternalServerErrorException,
    ValidationException,
)
from deadline_emulator.routes import RouteTable, deadline_routes
from deadline_emulator.service_model import ServiceModel, snake_case
from deadline_emulator.validation import Problem, Validator, parse_timestamp

logger = logging.getLogger(__name__)

Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as the wire layer sees it (header names lower-cased)."""

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query_string: str | None = "",
        headers: Any = None,
        body: bytes | str | None = b"",
    ) -> Request:
        lowered: dict[str, str] = {}
        for name, value in (headers or {}).items():
            lowered[name.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        return cls(method.upper(), path, query_string or "", lowered, bytes(body))


class EmulatorUnavailable(ConnectionError):
    """Raised (never answered) to simulate an unreachable endpoint; transports drop the call."""


class WireProtocol:
    """Interface of one service's wire protocol."""

    service_name: str

    def claims(self, request: Request) -> bool:
        """Whether this protocol answers ``request`` (e.g. by ``X-Amz-Target`` prefix)."""
        raise NotImplementedError

    def route(self, request: Request) -> tuple[str, Any]:
        """The operation name plus routing data; raises a ``DeadlineError`` if unknown."""
        raise NotImplementedError

    def call(self, backend: Any, operation: str, route_data: Any, request: Request) -> Answer:
        """Parse, validate, call the backend and serialise its answer."""
        raise NotImplementedError

    def error_answer(self, error: DeadlineError) -> Answer:
        """Render a modelled error in this protocol's format."""
        raise NotImplementedError


def dispatch(
    protocol: WireProtocol,
    request: Request,
    get_backend: Callable[[], Any],
    before_call: Callable[[str], None] | None = None,
    remember: Callable[[str, Request, Callable[[], Answer]], Answer] | None = None,
) -> Answer:
    """Route, run ``before_call(operation)`` (counting, faults), call, and answer;
    ``remember(operation, request, call)`` may answer a read from memory instead of calling.

    Modelled errors become their AWS answers; anything else a generic 500 (logged).
    ``EmulatorUnavailable`` propagates so the transport can drop the connection.
    """
    try:
        operation, route_data = protocol.route(request)
    except DeadlineError as error:
        return _with_request_id(protocol.error_answer(error))
    try:
        if before_call is not None:
            before_call(operation)

        def call() -> Answer:
            return protocol.call(get_backend(), operation, route_data, request)

        answer = call() if remember is None else remember(operation, request, call)
    except DeadlineError as error:
        answer = protocol.error_answer(error)
    except EmulatorUnavailable:
        raise
    except Exception:
        logger.exception("emulator: %s %s (%s) failed", request.method, request.path, operation)
        answer = protocol.error_answer(
            InternalServerErrorException("An internal error occurred. Try again later.")
        )
    return _with_request_id(answer)


def _with_request_id(answer: Answer) -> Answer:
    answer[1]["x-amzn-RequestId"] = str(uuid.uuid4())
    return answer


@functools.lru_cache(maxsize=1 << 17)
def format_timestamp(value: datetime | float | str) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC (naive datetimes are taken as UTC). Kept per
    process (about 10 MB when full): the world's instants repeat in every answer about them,
    and a cached one is 30 times faster than formatting it again."""
    if isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, tz=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # isoformat is C: 2.5 times faster than strftime, on every timestamp of every answer.
    return value.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


#: Types the standard library refuses stay refused (orjson would write datetimes and
#: dataclasses on its own): they fail over to ``json`` below, which raises.
_STRICT = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def encode_json(value: Any) -> bytes:
    """Compact JSON in UTF-8, as the service answers. A hostile string with a lone surrogate
    (which UTF-8 cannot carry) is written by the standard library instead, ASCII-escaped."""
    try:
        return orjson.dumps(value, option=_STRICT)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def validation_error(problems: list[Problem]) -> ValidationException:
    """A FIELD_VALIDATION_FAILED ValidationException listing ``problems`` AWS-style."""
    count = len(problems)
    detail = "; ".join(
        f"Value at '{path or '<body>'}' failed to satisfy constraint: {message}"
        for path, message in problems[:10]
    )
    noun = "error" if count == 1 else "errors"
    return ValidationException(
        f"{count} validation {noun} detected: {detail}",
        reason="FIELD_VALIDATION_FAILED",
        field_list=[{"name": path or "<body>", "message": message} for path, message in problems],
    )


_INTEGER_TYPES = {"integer", "long"}
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")
_FLOAT_TYPES = {"float", "double"}


@dataclass(frozen=True)
class _OperationSpec:
    """Everything about one operation precomputed from the model."""

    name: str
    method_name: str
    input_shape: str | None
    status: int
    uri: dict[str, tuple[str, str]]  # label -> (member, shape)
    query: tuple[tuple[str, str, str], ...]  # (locationName, member, shape)
    headers: tuple[tuple[str, str, str], ...]  # (lower-case header, member, shape)
    body: dict[str, str]  # member -> shape
    body_has_timestamps: bool
    kwargs: dict[str, str]  # member -> snake_case keyword
    output_headers: tuple[tuple[str, str, str], ...]  # (member, header, shape)
    output_body: Callable[[dict[str, Any]], dict[str, Any]]


class RestJsonProtocol(WireProtocol):
    """AWS ``rest-json`` for one service model (Deadline Cloud)."""

    def __init__(self, model: ServiceModel, routes: RouteTable) -> None:
        self.model = model
        self.routes = routes
        self.service_name = model.metadata["endpointPrefix"]
        self._validator = Validator(model, output=False)
        self._serializers: dict[str, Callable[[Any], Any] | None] = {}
        self._specs: dict[str, _OperationSpec] = {}
        self._build_lock = threading.Lock()

    def claims(self, request: Request) -> bool:
        return True  # the fallback protocol: anything not claimed by a target-based one

    # -- routing ---------------------------------------------------------------------

    def route(self, request: Request) -> tuple[str, dict[str, str]]:
        found = self.routes.match(request.method, request.path)
        if found is None:
            raise ValidationException(
                f"No {self.model.service_id} operation matches {request.method} {request.path}",
                reason="UNKNOWN_OPERATION",
            )
        operation, labels = found
        if operation not in self.routes.served:
            raise ValidationException(
                f"Operation {operation} is not supported by this emulator",
                reason="UNKNOWN_OPERATION",
            )
        return operation, labels

    # -- one call --------------------------------------------------------------------

    def call(
        self, backend: Any, operation: str, route_data: dict[str, str], request: Request
    ) -> Answer:
        spec = self.spec(operation)
        params = self.parse_input(spec, route_data, request)
        method = getattr(backend, spec.method_name, None)
        if method is None:
            raise ValidationException(
                f"Operation {operation} is not implemented by this emulator's backend",
                reason="UNKNOWN_OPERATION",
            )
        result = method(**{spec.kwargs[name]: value for name, value in params.items()})
        if result is None:
            result = {}
        if not isinstance(result, dict):
            raise TypeError(f"{spec.method_name} returned {type(result).__name__}, not dict")
        headers = {"Content-Type": "application/json"}
        for member, header, shape_name in spec.output_headers:
            value = result.get(member)
            if value is not None:
                headers[header] = self._header_text(value, shape_name)
        return spec.status, headers, encode_json(spec.output_body(result))

    def parse_input(
        self, spec: _OperationSpec, labels: dict[str, str], request: Request
    ) -> dict[str, Any]:
        """Request -> input parameters keyed by member name; ValidationException if bad."""
        params: dict[str, Any] = {}
        problems: list[Problem] = []
        for label, text in labels.items():
            member, shape_name = spec.uri[label]
            params[member] = self._from_text(text, shape_name, member, problems)
        if spec.query and request.query_string:
            query = parse_qs(request.query_string, keep_blank_values=True)
            for location, member, shape_name in spec.query:
                values = query.get(location)
                if values is None:
                    continue
                shape = self.model.shapes[shape_name]
                if shape["type"] == "list":
                    item_shape = shape["member"]["shape"]
                    params[member] = [
                        self._from_text(v, item_shape, member, problems) for v in values
                    ]
                else:
                    params[member] = self._from_text(values[0], shape_name, member, problems)
        for header, member, shape_name in spec.headers:
            text = request.headers.get(header)
            if text is not None:
                params[member] = self._from_text(text, shape_name, member, problems)
        if spec.body and request.body.strip():
            for name, value in self._parse_body(request.body).items():
                shape_name = spec.body.get(name)
                if shape_name is None:
                    problems.append((name, "Unknown member"))
                elif value is not None:
                    params[name] = (
                        self._decode_timestamps(value, shape_name)
                        if spec.body_has_timestamps
                        else value
                    )
        if not problems and spec.input_shape is not None:
            problems = self._validator.validate(params, spec.input_shape)
        if problems:
            raise validation_error(problems)
        return params

    @staticmethod
    def _parse_body(body: bytes) -> dict[str, Any]:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationException(
                f"Could not parse the request body as JSON: {exc}", reason="CANNOT_PARSE"
            ) from exc
        if not isinstance(parsed, dict):
            raise ValidationException(
                "The request body must be a JSON object", reason="CANNOT_PARSE"
            )
        return parsed

    def _from_text(self, text: str, shape_name: str, member: str, problems: list[Problem]) -> Any:
        """Coerce a URI, query-string or header value to its shape's type."""
        kind = self.model.shapes[shape_name]["type"]
        if kind in _INTEGER_TYPES:
            if _INTEGER_TEXT.fullmatch(text):
                return int(text)
            problems.append((member, f"Value '{text[:64]}' must be an integer"))
        elif kind in _FLOAT_TYPES:
            try:
                return float(text)
            except ValueError:
                problems.append((member, f"Value '{text[:64]}' must be a number"))
        elif kind == "boolean":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            problems.append((member, f"Value '{text[:64]}' must be true or false"))
        elif kind == "timestamp":
            parsed = parse_timestamp(text)
            if parsed is not None:
                return parsed
            problems.append((member, f"Value '{text[:64]}' must be an ISO 8601 or epoch time"))
        return text

    def _decode_timestamps(self, value: Any, shape_name: str) -> Any:
        """Parse timestamps inside a JSON body value; leaves unparseable ones for validation."""
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        if kind == "timestamp":
            parsed = parse_timestamp(value)
            return value if parsed is None else parsed
        if not self.model.contains(shape_name, "timestamp"):
            return value
        if kind == "structure" and isinstance(value, dict) and not shape.get("document"):
            members = shape["members"]
            return {
                k: self._decode_timestamps(v, members[k]["shape"]) if k in members else v
                for k, v in value.items()
            }
        if kind == "list" and isinstance(value, list):
            item = shape["member"]["shape"]
            return [self._decode_timestamps(v, item) for v in value]
        if kind == "map" and isinstance(value, dict):
            item = shape["value"]["shape"]
            return {k: self._decode_timestamps(v, item) for k, v in value.items()}
        return value

    def _header_text(self, value: Any, shape_name: str) -> str:
        kind = self.model.shapes[shape_name]["type"]
        if kind == "timestamp":
            return format_timestamp(value)
        if kind == "boolean":
            return "true" if value else "false"
        return str(value)

    # -- errors ----------------------------------------------------------------------

    def error_answer(self, error: DeadlineError) -> Answer:
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
        body: dict[str, Any] = {"message": error.message}
        shape = self.model.error_shape(error.code)
        header_members = {}
        if shape is not None:
            header_members = {
                name: member["locationName"]
                for name, member in shape["members"].items()
                if member.get("location") == "header"
            }
        for name, value in error.members.items():
            if name in header_members:
                headers[header_members[name]] = str(value)
            elif name == "retryAfterSeconds":
                headers["Retry-After"] = str(value)
            else:
                body[name] = value
        return error.status, headers, encode_json(body)

    # -- precomputation ----------------------------------------------------------------

    def spec(self, operation: str) -> _OperationSpec:
        """The precomputed description of ``operation`` (built once)."""
        spec = self._specs.get(operation)
        if spec is None:
            # One builder at a time: a half-built recursive serializer must not leak out.
            with self._build_lock:
                spec = self._specs.get(operation)
                if spec is None:
                    spec = self._specs[operation] = self._build_spec(operation)
        return spec

    def _build_spec(self, operation: str) -> _OperationSpec:
        model = self.model
        op = model.operation(operation)
        input_shape = model.input_shape_name(operation)
        uri: dict[str, tuple[str, str]] = {}
        query: list[tuple[str, str, str]] = []
        headers: list[tuple[str, str, str]] = []
        body: dict[str, str] = {}
        kwargs: dict[str, str] = {}
        members = model.shape(input_shape)["members"] if input_shape else {}
        for name, member in members.items():
            kwargs[name] = snake_case(name)
            location = member.get("location")
            location_name = member.get("locationName", name)
            if location == "uri":
                uri[location_name] = (name, member["shape"])
            elif location == "querystring":
                query.append((location_name, name, member["shape"]))
            elif location == "header":
                headers.append((location_name.lower(), name, member["shape"]))
            elif location is None:
                body[name] = member["shape"]
        output_shape = model.output_shape_name(operation)
        output_headers: list[tuple[str, str, str]] = []
        body_members: list[tuple[str, Callable[[Any], Any] | None]] = []
        if output_shape:
            for name, member in model.shape(output_shape)["members"].items():
                if member.get("location") == "header":
                    output_headers.append((name, member["locationName"], member["shape"]))
                elif member.get("location") is None:
                    body_members.append((name, self._serializer(member["shape"])))
        return _OperationSpec(
            name=operation,
            method_name=snake_case(operation),
            input_shape=input_shape,
            status=op["http"].get("responseCode", 200),
            uri=uri,
            query=tuple(query),
            headers=tuple(headers),
            body=body,
            body_has_timestamps=any(model.contains(s, "timestamp") for s in body.values()),
            kwargs=kwargs,
            output_headers=tuple(output_headers),
            output_body=_structure_serializer(body_members),
        )

    def _serializer(self, shape_name: str) -> Callable[[Any], Any] | None:
        """A function turning a backend value into its JSON form; None means as-is."""
        if shape_name in self._serializers:
            return self._serializers[shape_name]
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        serializer: Callable[[Any], Any] | None = None
        if kind == "timestamp":
            serializer = format_timestamp
        elif kind == "blob":
            serializer = _encode_blob
        elif kind == "structure" and not shape.get("document"):
            members: list[tuple[str, Callable[[Any], Any] | None]] = []
            serializer = _structure_serializer(members)
            self._serializers[shape_name] = serializer  # before members: shapes can recurse
            members.extend(
                (name, self._serializer(member["shape"]))
                for name, member in shape["members"].items()
            )
        elif kind == "list":
            item = self._serializer(shape["member"]["shape"])
            if item is not None:
                serializer = _list_serializer(item)
        elif kind == "map":
            item = self._serializer(shape["value"]["shape"])
            if item is not None:
                serializer = _map_serializer(item)
        self._serializers[shape_name] = serializer
        return serializer


def _structure_serializer(
    members: list[tuple[str, Callable[[Any], Any] | None]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def serialize(value: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, member in members:
            item = value.get(name)
            if item is not None:
                out[name] = item if member is None else member(item)
        return out

    return serialize


def _list_serializer(item: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda value: [item(v) for v in value]


def _map_serializer(item: Callable[[Any], Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda value: {k: item(v) for k, v in value.items()}


def _encode_blob(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


_deadline_protocol: RestJsonProtocol | None = None


def deadline_protocol() -> RestJsonProtocol:
    """The Deadline Cloud rest-json protocol (routes from the model, served ops only)."""
    global _deadline_protocol
    if _deadline_protocol is None:
        routes = deadline_routes()
        protocol = RestJsonProtocol(routes.model, routes)
        for operation in sorted(routes.served):
            protocol.spec(operation)
        _deadline_protocol = protocol
    return _deadline_protocol


def handle(
    backend: Any,
    method: str,
    path: str,
    query_string: str = "",
    headers: Any = None,
    body: bytes | str | None = b"",
) -> Answer:
    """Answer one Deadline Cloud rest-json request from ``backend`` (no faults, no counting)."""
    request = Request.build(method, path, query_string, headers, body)
    return dispatch(deadline_protocol(), request, lambda: backend)
