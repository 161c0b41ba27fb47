"""CloudWatch Logs emulation (json-1.1): the render logs of the demo world's sessions.

Log group ``/aws/deadline/<farmId>/<queueId>``, stream ``<sessionId>``, as Deadline Cloud
writes them. Serves GetLogEvents, FilterLogEvents and DescribeLogStreams with inputs
validated against botocore's ``logs`` model; the lines come from ``render_logs``, computed a
page at a time, so no call ever materialises a whole long stream.

Clients reach it in-process (``transport.in_process_client(emulator, "logs")``) or over
HTTP (the emulator's server; point boto3 at it with ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS``).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import (
    AccessDeniedException,
    DeadlineError,
    InternalServerErrorException,
    ResourceNotFoundException,
    ThrottlingException,
    ValidationException,
)
from deadline_emulator.render_logs import SessionLog
from deadline_emulator.responses import Answer, Request, WireProtocol, encode_json
from deadline_emulator.service_model import ServiceModel, load_service_model, snake_case
from deadline_emulator.session_logs import render_session
from deadline_emulator.validation import Problem, Validator

TARGET_PREFIX = "Logs_20140328."
CONTENT_TYPE = "application/x-amz-json-1.1"
SERVED = ("GetLogEvents", "FilterLogEvents", "DescribeLogStreams")
ACCOUNT_ID = "123456789012"
REGION = "us-west-2"
MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26  # CloudWatch counts each event as its UTF-8 message + 26 bytes
FILTER_SCAN_LIMIT = 200_000  # lines one FilterLogEvents call reads before answering

#: UTF-16 halves on their own: no UTF-8 encoder accepts them (see ``stored_text``).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_GROUP = re.compile(r"/aws/deadline/(farm-[0-9a-f]{32})/((?:queue|fleet)-[0-9a-f]{32})")
_SESSION = re.compile(r"session-[0-9a-f]{32}")
_TOKEN = re.compile(r"([fb])/(\d{16})(\d{40})")


class LogsError(DeadlineError):
    """A CloudWatch Logs error: json-1.1 answers carry only ``__type`` and ``message``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def stored_text(message: str) -> str:
    """A line as CloudWatch keeps it: it stores UTF-8 and replaces what is not valid UTF-8 with
    U+FFFD at ingestion, so a lone surrogate a renderer produced is served (and counted
    against the 1 MB page) as the replacement character, never as an encoding error."""
    if message.isascii():
        return message
    return _LONE_SURROGATE.sub("\ufffd", message)


def group_not_found() -> LogsError:
    return LogsError("ResourceNotFoundException", "The specified log group does not exist.")


def stream_not_found() -> LogsError:
    return LogsError("ResourceNotFoundException", "The specified log stream does not exist.")


def invalid_parameter(message: str) -> LogsError:
    return LogsError("InvalidParameterException", message)


def as_logs_error(error: DeadlineError) -> LogsError:
    """Translate the shared fault injector's (Deadline-shaped) errors into CloudWatch's."""
    if isinstance(error, LogsError):
        return error
    if isinstance(error, AccessDeniedException):
        # The injector names the action `deadline:<Operation>`; IAM says `logs:` here.
        return LogsError("AccessDeniedException", re.sub(r"\bdeadline:", "logs:", error.message))
    if isinstance(error, ThrottlingException):
        return LogsError("ThrottlingException", "Rate exceeded")
    if isinstance(error, InternalServerErrorException):
        return LogsError("ServiceUnavailableException", "The service is unavailable.", 503)
    if isinstance(error, ResourceNotFoundException):
        return stream_not_found()
    if isinstance(error, ValidationException):
        return invalid_parameter(error.message)
    return LogsError("ServiceUnavailableException", error.message, 503)


# --- tokens ---------------------------------------------------------------------------------


def _check_digits(*parts: object) -> int:
    data = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big") % 10**16


_PASS = 10**20  # a token's field holds a scan pass above the line position (ragged pages)


def encode_token(direction: str, stream: str, position: int, scan: int = 0) -> str:
    """``f/<56 digits>`` or ``b/<56 digits>``: a line boundary in ``stream`` (and, with ragged
    pages, how far the scan got past an empty page), checksummed so a token from another
    stream (or a typo) is rejected."""
    field = scan * _PASS + position
    return f"{direction}/{_check_digits(direction, stream, field):016d}{field:040d}"


def decode_token(token: str, stream: str) -> tuple[str, int]:
    direction, position, _ = decode_scan_token(token, stream)
    return direction, position


def decode_scan_token(token: str, stream: str) -> tuple[str, int, int]:
    """(direction, line position, scan pass) of a token."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise invalid_parameter("The specified nextToken is invalid.")
    direction, check, field = match[1], int(match[2]), int(match[3])
    if check != _check_digits(direction, stream, field):
        raise invalid_parameter("The specified nextToken is invalid.")
    return direction, field % _PASS, field // _PASS


# --- the backend ----------------------------------------------------------------------------


class LogsBackend:
    """CloudWatch Logs operations over the Deadline backend's sessions (a reader of it)."""

    def __init__(
        self, get_deadline_backend: Callable[[], Any], clock: Clock, seed: int = 0
    ) -> None:
        self._get_deadline_backend = get_deadline_backend
        self.clock = clock
        self.seed = seed
        # CloudWatch may answer a page with fewer events than asked, or none at all, before
        # the end of a stream: clients must follow the tokens, not count lines. Off by default
        # (every page full); on, pages are cut short and some are empty, deterministically.
        self.ragged_pages = False

    @property
    def deadline(self) -> Any:
        return self._get_deadline_backend()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # -- look-ups --------------------------------------------------------------------------

    def log_group(self, name: str | None, identifier: str | None) -> tuple[str, str, str]:
        """(group name, farm ID, queue ID) of an existing session log group."""
        if (name is None) == (identifier is None):
            raise invalid_parameter(
                "Exactly one of logGroupName or logGroupIdentifier must be specified."
            )
        if identifier is not None:
            name = re.sub(r"^arn:aws[\w-]*:logs:[\w-]*:\d*:log-group:", "", identifier)
            name = name.removesuffix(":*")
        assert name is not None
        match = _GROUP.fullmatch(name)
        if match is None:
            raise group_not_found()
        farm_id, resource_id = match[1], match[2]
        try:
            if resource_id.startswith("queue-"):
                self.deadline.get_queue(farm_id=farm_id, queue_id=resource_id)
            else:
                self.deadline.get_fleet(farm_id=farm_id, fleet_id=resource_id)
        except (ResourceNotFoundException, AttributeError):
            raise group_not_found() from None
        return name, farm_id, resource_id

    def session_log(self, group: tuple[str, str, str], stream: str) -> SessionLog:
        """The stream of one session in ``group``, as of the clock (not found before the
        session starts)."""
        _, farm_id, queue_id = group
        if queue_id.startswith("fleet-"):
            return self._worker_log(farm_id, queue_id, stream)
        if not _SESSION.fullmatch(stream) or not queue_id.startswith("queue-"):
            raise stream_not_found()
        try:
            timeline = self.deadline.attempt_timeline(stream)
        except (ResourceNotFoundException, AttributeError):
            raise stream_not_found() from None
        if (timeline["farmId"], timeline["queueId"]) != (farm_id, queue_id):
            raise stream_not_found()
        return render_session(timeline, seed=self.seed, now=self.clock.now())

    def _worker_log(self, farm_id: str, fleet_id: str, stream: str) -> Any:
        """A worker's stream in its fleet's group (``worker_logs``)."""
        from deadline_emulator.worker_logs import worker_log

        try:
            timeline = self.deadline.worker_timeline(farm_id, fleet_id, stream)
        except (ResourceNotFoundException, AttributeError):
            raise stream_not_found() from None
        return worker_log(timeline, seed=self.seed, now=self.clock.now())

    def _stream_names(self, group: tuple[str, str, str], prefix: str | None) -> list[str]:
        """Every stream (session) in a queue's group, sorted: a walk of all its jobs'
        sessions, so narrow by a full session ID when you can."""
        _, farm_id, queue_id = group
        if queue_id.startswith("fleet-"):
            names, token = [], None
            while True:
                extra = {"next_token": token} if token else {}
                page = self.deadline.list_workers(farm_id=farm_id, fleet_id=queue_id, **extra)
                names.extend(w["workerId"] for w in page["workers"])
                token = page.get("nextToken")
                if not token:
                    return sorted(name for name in names if name.startswith(prefix or ""))
        if not queue_id.startswith("queue-"):
            return []
        if prefix is not None and _SESSION.fullmatch(prefix):
            try:
                self.session_log(group, prefix)
            except LogsError:
                return []
            return [prefix]
        names = []
        backend = self.deadline
        for job in backend.jobs():
            if job["queueId"] != queue_id:
                continue
            token = None
            while True:
                extra = {"next_token": token} if token else {}
                page = backend.list_sessions(
                    farm_id=farm_id, queue_id=queue_id, job_id=job["jobId"], **extra
                )
                names.extend(s["sessionId"] for s in page["sessions"])
                token = page.get("nextToken")
                if not token:
                    break
        if prefix:
            names = [name for name in names if name.startswith(prefix)]
        return sorted(names)

    # -- operations ---------------------------------------------------------------------------

    def get_log_events(
        self,
        log_stream_name: str,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        next_token: str | None = None,
        limit: int | None = None,
        start_from_head: bool | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """A page of one stream, newest first unless ``startFromHead``; tokens page either way."""
        group = self.log_group(log_group_name, log_group_identifier)
        log = self.session_log(group, log_stream_name)
        low, high = _window(log, start_time, end_time)
        scan = 0
        if next_token is not None:
            direction, position, scan = decode_scan_token(next_token, log_stream_name)
            position = min(max(position, low), high)
        else:
            direction = "f" if start_from_head else "b"
            position = low if direction == "f" else high
        cap = limit or MAX_EVENTS
        room = (high - position) if direction == "f" else (position - low)
        empty = False
        if self.ragged_pages and room > 0:
            cap, empty = _ragged(log_stream_name, direction, position, scan, cap, next_token)
        if empty:
            # An empty page that is not the end: the token moves (to the next scan pass).
            token = encode_token(direction, log_stream_name, position, scan + 1)
            other = "b" if direction == "f" else "f"
            tokens = {direction: token, other: encode_token(other, log_stream_name, position)}
            return {"events": [], "nextForwardToken": tokens["f"], "nextBackwardToken": tokens["b"]}
        if direction == "f":
            first, last = position, _take_forward(log, position, high, cap)
        else:
            first, last = _take_backward(log, position, low, cap), position
        events = [_stored_event(log.event(i)) for i in range(first, last)]
        forward = encode_token("f", log_stream_name, last)
        backward = encode_token("b", log_stream_name, first)
        if next_token is not None and first == last:
            # At either end CloudWatch hands back the token it was given: clients stop there.
            if direction == "f":
                forward = next_token
            else:
                backward = next_token
        return {"events": events, "nextForwardToken": forward, "nextBackwardToken": backward}

    def filter_log_events(
        self,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        log_stream_names: list[str] | None = None,
        log_stream_name_prefix: str | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        filter_pattern: str | None = None,
        next_token: str | None = None,
        limit: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Matching events of several streams, interleaved by time, oldest first."""
        if log_stream_names is not None and log_stream_name_prefix is not None:
            raise invalid_parameter(
                "logStreamNames and logStreamNamePrefix cannot both be specified."
            )
        group = self.log_group(log_group_name, log_group_identifier)
        if log_stream_names is not None:
            names = sorted(set(log_stream_names))
        else:
            names = self._stream_names(group, log_stream_name_prefix)
        logs: list[tuple[str, SessionLog]] = []
        for name in names:
            try:
                logs.append((name, self.session_log(group, name)))
            except LogsError:
                if log_stream_names is not None and len(names) == 1:
                    raise
        resume: tuple[int, str, int] | None = None
        if next_token is not None:
            resume = _decode_filter_token(next_token, group[0])
        matches = compile_filter(filter_pattern or "")
        cap = limit or MAX_EVENTS

        def lines(name: str, log: SessionLog) -> Iterator[tuple[int, str, int]]:
            low, high = _window(log, start_time, end_time)
            if resume is not None:
                low = max(low, log.index_at(resume[0]))
            for i in range(low, high):
                key = (log.timestamp(i), name, i)
                if resume is None or key > resume:
                    yield key

        by_name = dict(logs)
        # Interleaved by (time, stream, line): a total order, so a token resumes exactly.
        merged = heapq.merge(*(lines(name, log) for name, log in logs))
        events: list[dict[str, Any]] = []
        size = scanned = 0
        last: tuple[int, str, int] | None = None
        for key in merged:
            scanned += 1
            timestamp, name, i = key
            log = by_name[name]
            message = stored_text(log.message(i))
            if matches(message):
                size += len(message.encode()) + EVENT_OVERHEAD_BYTES
                if len(events) >= cap or size > MAX_BYTES:
                    break
                events.append({
                    "logStreamName": name,
                    "timestamp": timestamp,
                    "message": message,
                    "ingestionTime": log.ingestion_time(timestamp),
                    "eventId": f"{timestamp:020d}{int(name[8:], 16) % 10**16:016d}{i:020d}",
                })  # fmt: skip
            last = key
            if scanned >= FILTER_SCAN_LIMIT:
                break
        else:
            return {"events": events, "searchedLogStreams": []}
        answer: dict[str, Any] = {"events": events, "searchedLogStreams": []}
        if last is not None:
            answer["nextToken"] = _encode_filter_token(last, group[0])
        return answer

    def describe_log_streams(
        self,
        log_group_name: str | None = None,
        log_group_identifier: str | None = None,
        log_stream_name_prefix: str | None = None,
        order_by: str | None = None,
        descending: bool | None = None,
        next_token: str | None = None,
        limit: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """The group's streams by name (or last event time), 50 at most per page."""
        if order_by == "LastEventTime" and log_stream_name_prefix is not None:
            raise invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        group = self.log_group(log_group_name, log_group_identifier)
        entries = []
        for name in self._stream_names(group, log_stream_name_prefix):
            try:
                entries.append(self._stream_entry(group, name))
            except LogsError:
                continue
        if order_by == "LastEventTime":
            entries.sort(key=lambda e: (e.get("lastEventTimestamp", 0), e["logStreamName"]))
        if descending:
            entries.reverse()
        start = 0
        if next_token is not None:
            if not next_token.isdigit():
                raise invalid_parameter("The specified nextToken is invalid.")
            start = int(next_token)
        size = limit or 50
        answer: dict[str, Any] = {"logStreams": entries[start : start + size]}
        if start + size < len(entries):
            answer["nextToken"] = str(start + size)
        return answer

    def _stream_entry(self, group: tuple[str, str, str], name: str) -> dict[str, Any]:
        log = self.session_log(group, name)
        created = log.plan.assigned
        entry: dict[str, Any] = {
            "logStreamName": name,
            "creationTime": created,
            "arn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group[0]}:log-stream:{name}",
            "storedBytes": 0,  # deprecated: always zero for streams
        }
        if log.count:
            last = log.timestamp(log.count - 1)
            entry.update(
                firstEventTimestamp=log.timestamp(0),
                lastEventTimestamp=last,
                lastIngestionTime=log.ingestion_time(last),
            )
        return entry


def _window(log: SessionLog, start_time: int | None, end_time: int | None) -> tuple[int, int]:
    """Lines [low, high) of ``log`` inside [startTime, endTime) and already ingested."""
    high = log.count
    if end_time is not None:
        high = min(high, log.index_at(end_time))
    low = 0 if start_time is None else min(log.index_at(start_time), high)
    return low, high


def _ragged(
    stream: str, direction: str, position: int, scan: int, cap: int, token: str | None
) -> tuple[int, bool]:
    """(events this page may hold, whether it is empty) for ragged pages: a page after a token
    is empty one time in three (never twice running), others hold 1..cap events."""
    draw = _check_digits("ragged", stream, direction, position, scan)
    if token is not None and scan == 0 and draw % 3 == 0:
        return cap, True
    return 1 + (draw // 3) % cap, False


def _take_forward(log: SessionLog, start: int, stop: int, cap: int) -> int:
    size, end = 0, start
    while end < stop and end - start < cap:
        size += len(stored_text(log.message(end)).encode()) + EVENT_OVERHEAD_BYTES
        if size > MAX_BYTES:
            break
        end += 1
    return end


def _take_backward(log: SessionLog, stop: int, low: int, cap: int) -> int:
    size, start = 0, stop
    while start > low and stop - start < cap:
        size += len(stored_text(log.message(start - 1)).encode()) + EVENT_OVERHEAD_BYTES
        if size > MAX_BYTES:
            break
        start -= 1
    return start


def _stored_event(event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("message")
    if isinstance(message, str):
        fixed = stored_text(message)
        if fixed is not message:
            return {**event, "message": fixed}
    return event


def _encode_filter_token(key: tuple[int, str, int], group: str) -> str:
    timestamp, name, i = key
    return f"{_check_digits('filter', group, *key):016d}/{timestamp}/{name}/{i}"


def _decode_filter_token(token: str, group: str) -> tuple[int, str, int]:
    match = re.fullmatch(r"(\d{16})/(\d{1,20})/(session-[0-9a-f]{32})/(\d{1,20})", token)
    if match is None:
        raise invalid_parameter("The specified nextToken is invalid.")
    key = (int(match[2]), match[3], int(match[4]))
    if int(match[1]) != _check_digits("filter", group, *key):
        raise invalid_parameter("The specified nextToken is invalid.")
    return key


def compile_filter(pattern: str) -> Callable[[str], bool]:
    """CloudWatch's term filter: every term must appear (``"quoted phrases"`` allowed),
    ``?term`` makes terms alternatives, ``-term`` excludes. Case-sensitive, as CloudWatch."""
    terms = [
        (sign, quoted or bare)
        for sign, quoted, bare in re.findall(r'([?-]?)(?:"([^"]*)"|(\S+))', pattern.strip())
    ]
    if not terms:
        return lambda message: True
    required = [term for sign, term in terms if not sign and term]
    optional = [term for sign, term in terms if sign == "?" and term]
    excluded = [term for sign, term in terms if sign == "-" and term]

    def matches(message: str) -> bool:
        if any(term in message for term in excluded):
            return False
        if optional and not any(term in message for term in optional):
            return False
        return all(term in message for term in required)

    return matches


# --- the wire protocol ------------------------------------------------------------------------


class LogsProtocol(WireProtocol):
    """AWS ``json-1.1`` for CloudWatch Logs: ``POST /`` routed by ``X-Amz-Target``."""

    service_name = "logs"

    def __init__(self, model: ServiceModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> ServiceModel:
        if self._model is None:
            self._model = load_service_model("logs")
        return self._model

    def claims(self, request: Request) -> bool:
        return request.headers.get("x-amz-target", "").startswith(TARGET_PREFIX)

    def route(self, request: Request) -> tuple[str, None]:
        operation = request.headers["x-amz-target"][len(TARGET_PREFIX) :]
        if request.method != "POST":
            raise LogsError("UnknownOperationException", "Only POST is supported.")
        if operation not in SERVED:
            raise LogsError(
                "UnknownOperationException",
                f"Operation {operation} is not supported by this emulator.",
            )
        return operation, None

    def call(self, backend: Any, operation: str, route_data: Any, request: Request) -> Answer:
        params = self._parse(operation, request.body)
        method = getattr(backend, snake_case(operation))
        result = method(**{snake_case(name): value for name, value in params.items()})
        return 200, {"Content-Type": CONTENT_TYPE}, encode_json(result)

    def _parse(self, operation: str, body: bytes) -> dict[str, Any]:
        try:
            params = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise LogsError("SerializationException", "Could not parse the request body.") from None
        if not isinstance(params, dict):
            raise LogsError("SerializationException", "The request body must be a JSON object.")
        params = {name: value for name, value in params.items() if value is not None}
        shape = self.model.input_shape_name(operation)
        problems = Validator(self.model, output=False).validate(params, shape) if shape else []
        if problems:
            raise invalid_parameter(_problems_message(problems))
        return params

    def error_answer(self, error: DeadlineError) -> Answer:
        error = as_logs_error(error)
        headers = {"Content-Type": CONTENT_TYPE, "x-amzn-ErrorType": error.code}
        return error.status, headers, encode_json({"__type": error.code, "message": error.message})


def _problems_message(problems: list[Problem]) -> str:
    count = len(problems)
    detail = "; ".join(
        f"Value at '{path or '<body>'}' failed to satisfy constraint: {message}"
        for path, message in problems[:10]
    )
    return f"{count} validation error{'s' if count != 1 else ''} detected: {detail}"


_protocol: LogsProtocol | None = None


def logs_protocol() -> LogsProtocol:
    """The process-wide CloudWatch Logs protocol (its model loads on first use)."""
    global _protocol
    if _protocol is None:
        _protocol = LogsProtocol()
    return _protocol
