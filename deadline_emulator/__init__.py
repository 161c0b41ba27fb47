"""A local, wire-faithful emulator of the AWS Deadline Cloud API (pure Python, no Django).

Public surface (see docs/emulator.md):

- ``Emulator(seed=0, clock=None)``: one demo world plus its wire layer.
- ``Emulator.handle(method, path, query, headers, body)``: answer one HTTP request.
- ``Emulator.wsgi_app``: the same as a WSGI application (used by ``server.py``).
- ``transport.attach(client, emulator)``: answer a boto3 client in-process, no socket.
- CloudWatch Logs (``logs.py``): every emulator also serves the sessions' render logs
  (json-1.1), e.g. ``transport.in_process_client(emulator, "logs")``.
- ``get_default_emulator(seed)``: the process-wide emulator the demo backend uses.
- Scenario builders (``scenarios.py``): ``Emulator.add_failed_job(...)`` and
  ``Emulator.add_farm(...)`` grow the world and return the IDs they created;
  ``Emulator.task_update_counts()`` tells how often each task was changed by an Update* call
  (``task_write_counts()``: how often it was written, no-ops included).
- ``Emulator.search``: the search mode (``lenient``, ``strict``, ``ignore``; see
  ``search.py``), from ``DEADLINE_EMULATOR_SEARCH``, ``--search`` or the admin API.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from deadline_emulator.answer_memory import (
    NOT_PURE,
    READS,
    WRITES,
    AnswerMemory,
    memory_key,
)
from deadline_emulator.calls import CallCounter
from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import DeadlineError
from deadline_emulator.faults import FaultInjector
from deadline_emulator.logs import LogsBackend, logs_protocol
from deadline_emulator.responses import (
    Answer,
    EmulatorUnavailable,
    Request,
    WireProtocol,
    deadline_protocol,
    dispatch,
    encode_json,
    format_timestamp,
)
from deadline_emulator.search import SEARCH_MODES, SearchPolicy

__all__ = ["Emulator", "EmulatorUnavailable", "get_default_emulator", "set_default_emulator"]

ADMIN_PREFIX = "/_emulator/"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Emulator:
    """One demo world (the backend) behind the AWS wire protocol, with faults and counts."""

    def __init__(
        self,
        seed: int = 0,
        clock: Clock | None = None,
        backend: Any = None,
        search_mode: str | None = None,
    ) -> None:
        self.seed = seed
        self.clock = clock if clock is not None else Clock()
        self.faults = FaultInjector(seed=seed)
        # One policy for the wire and the backend (a backend built elsewhere brings its own).
        shared = getattr(backend, "search", None)
        self.search: SearchPolicy = shared if isinstance(shared, SearchPolicy) else SearchPolicy()
        if search_mode is not None:
            self.search.set(search_mode)
        self.calls = CallCounter()
        if backend is not None and hasattr(backend, "item_faults"):
            backend.item_faults = self.faults.item_fault  # batch items see this emulator's faults
        self._backend = backend
        self._backend_lock = threading.Lock()
        # Target-based protocols (json-1.1, e.g. CloudWatch Logs) first; rest-json last.
        self.protocols: list[WireProtocol] = [deadline_protocol()]
        self._protocol_backends: dict[int, Callable[[], Any]] = {}
        self._logs_backend: LogsBackend | None = None
        self._answers: AnswerMemory | None = None
        self.add_protocol(logs_protocol(), get_backend=self._get_logs_backend)

    @property
    def backend(self) -> Any:
        """The Deadline backend, built on first use (building the world takes a moment)."""
        if self._backend is None:
            with self._backend_lock:
                if self._backend is None:
                    from deadline_emulator.models import DeadlineBackend

                    backend = DeadlineBackend(seed=self.seed, clock=self.clock, search=self.search)
                    backend.item_faults = self.faults.item_fault
                    self._backend = backend
        return self._backend

    @property
    def logs_backend(self) -> LogsBackend:
        """CloudWatch Logs over this world's sessions (reads ``backend`` on first call)."""
        if self._logs_backend is None:
            self._logs_backend = LogsBackend(self._get_backend, self.clock, seed=self.seed)
        return self._logs_backend

    def _get_logs_backend(self) -> LogsBackend:
        return self.logs_backend

    def add_protocol(
        self, protocol: WireProtocol, get_backend: Callable[[], Any] | None = None
    ) -> None:
        """Serve another service's protocol (tried before rest-json, by ``claims``; the
        latest added is tried first, so it can stand in for a built-in one)."""
        self.protocols.insert(0, protocol)
        if get_backend is not None:
            self._protocol_backends[id(protocol)] = get_backend
        # Its answers differ from any kept before it; a world not built yet has kept none
        # (and is not built here: the constructor adds the logs protocol).
        note = getattr(self._backend, "note_write", None)
        if note is not None:
            note()

    def _count_and_inject(self, operation: str) -> None:
        self.calls.increment(operation)
        self.faults.apply(operation)

    def handle(
        self,
        method: str,
        path: str,
        query_string: str = "",
        headers: Any = None,
        body: bytes | str | None = b"",
    ) -> Answer:
        """Answer one AWS API request: ``(status, headers, body)``.

        Raises ``EmulatorUnavailable`` when a ``down`` fault is injected.
        """
        request = Request.build(method, path, query_string, headers, body)
        protocols = self.protocols
        protocol = protocols[-1]
        for candidate in protocols[:-1]:
            if candidate.claims(request):
                protocol = candidate
                break
        get_backend = self._protocol_backends.get(id(protocol), self._get_backend)
        return dispatch(protocol, request, get_backend, self._count_and_inject, self._answer)

    def remember_answers(self) -> None:
        """From now on, answer a read asked again at the same pinned instant, in the same
        state of the world, from memory (``answer_memory``). For a world nothing writes but
        through this emulator's operations (the tests' read-only worlds)."""
        self._answers = AnswerMemory()

    def answers_kept(self) -> int:
        """How many answers ``remember_answers`` keeps now."""
        return 0 if self._answers is None else len(self._answers)

    def _answer(self, operation: str, request: Request, call: Callable[[], Answer]) -> Answer:
        """``call``'s answer: a write that succeeds moves the world's state; a read may come
        from the remembered answers instead."""
        if operation.startswith(WRITES):
            return self._written(call)
        if not operation.startswith(READS):
            return call()
        memory = self._answers
        if memory is None:
            return call()
        backend = self.backend
        if (
            operation in NOT_PURE
            or not self.clock.is_pinned
            or self.faults.rule_for(operation) is not None
            or not hasattr(backend, "world_state")
        ):
            return call()
        state = (self.clock.now(), backend.world_state(), self.search.mode)
        return memory.answer(memory_key(operation, request, *state), call)

    def _written(self, call: Callable[[], Answer]) -> Answer:
        """A write's answer; one that succeeded moves the world's state (``world_state``), so
        nothing worked out for the state before it is answered again."""
        answer = call()
        note = getattr(self.backend, "note_write", None)
        if answer[0] < 400 and note is not None:
            note()
        return answer

    def _get_backend(self) -> Any:
        return self.backend

    # -- WSGI ------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """WSGI application: the AWS API plus the admin API under ``/_emulator/``."""
        body = _read_body(environ)
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(ADMIN_PREFIX):
            status, headers, payload = self.handle_admin(method, path, body)
        else:
            request_headers = {
                key[5:].replace("_", "-"): value
                for key, value in environ.items()
                if key.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                request_headers["content-type"] = environ["CONTENT_TYPE"]
            # PATH_INFO is already %-decoded by the server; rebuild the raw path so encoded
            # slashes inside labels survive (wsgiref decodes from latin-1).
            raw_path = environ.get("deadline_emulator.raw_path") or _quote_path(path)
            try:
                status, headers, payload = self.handle(
                    method, raw_path, environ.get("QUERY_STRING", ""), request_headers, body
                )
            except EmulatorUnavailable:
                if environ.get("deadline_emulator.drop_on_down"):
                    raise  # our server closes the connection without an answer
                status, headers, payload = (
                    503,
                    {"Content-Type": "application/json"},
                    encode_json({"message": "Service unavailable (emulator fault injection)"}),
                )
        headers["Content-Length"] = str(len(payload))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", list(headers.items()))
        return [payload]

    def handle_admin(self, method: str, path: str, body: bytes) -> Answer:
        """The non-AWS admin API (JSON in and out): call counts, clock, faults, search mode,
        scenario builders and task update counts; see docs/emulator.md."""
        method = method.upper()
        route = path[len(ADMIN_PREFIX) :].rstrip("/")
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            return _admin_answer(400, {"message": "body is not JSON"})
        try:
            if route == "calls" and method == "GET":
                return _admin_answer(
                    200, {"calls": self.calls.snapshot(), "total": self.calls.total()}
                )
            if route == "calls/reset" and method == "POST":
                self.calls.reset()
                return _admin_answer(200, {"calls": {}, "total": 0})
            if route == "clock" and method in ("GET", "POST"):
                if method == "POST":
                    self._admin_clock(payload)
                return _admin_answer(200, self._clock_state())
            if route == "faults" and method == "GET":
                return _admin_answer(200, {"rules": self.faults.rules()})
            if route == "faults" and method == "POST":
                for rule in _fault_rules(payload):
                    rule = dict(rule)
                    self.faults.set(str(rule.pop("operation", "*")), **rule)
                return _admin_answer(200, {"rules": self.faults.rules()})
            if route == "faults" and method == "DELETE":
                self.faults.clear()
                return _admin_answer(200, {"rules": {}})
            if route == "task-updates" and method == "GET":
                return _admin_answer(200, self._update_counts(None))
            if route.startswith("task-updates/job-") and method == "GET":
                return _admin_answer(200, self._update_counts(route.split("/", 1)[1]))
            if route == "task-updates/reset" and method == "POST":
                self.backend.reset_task_update_counts()
                return _admin_answer(200, {"counts": {}, "total": 0})
            if route in _SCENARIOS and method == "POST":
                if not isinstance(payload, dict):
                    raise ValueError("scenario options must be a JSON object")
                options = {_snake(key): value for key, value in payload.items()}
                return _admin_answer(200, getattr(self, _SCENARIOS[route])(**options))
            if route == "logs" and method in ("GET", "POST"):
                if method == "POST":
                    self._admin_logs(payload)
                return _admin_answer(200, {"raggedPages": self.logs_backend.ragged_pages})
            if route == "search" and method in ("GET", "POST"):
                if method == "POST":
                    self._admin_search(payload)
                return _admin_answer(200, {"mode": self.search.mode, "modes": list(SEARCH_MODES)})
        except (ValueError, TypeError, AttributeError) as exc:
            return _admin_answer(400, {"message": str(exc)})
        except DeadlineError as exc:  # e.g. the named queue does not exist
            return _admin_answer(exc.status, {"message": exc.message})
        return _admin_answer(404, {"message": f"no admin endpoint {method} {path}"})

    def _admin_clock(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            raise ValueError("clock settings must be a JSON object")
        unknown = set(payload) - {"pin", "advance", "unpin"}
        if unknown:
            raise ValueError(f"unknown clock settings: {', '.join(sorted(unknown))}")
        if payload.get("unpin"):
            self.clock.unpin()
        if "pin" in payload:
            self.clock.pin(payload["pin"])  # null pins at the current instant
        if payload.get("advance"):
            self.clock.advance(float(payload["advance"]))

    def _update_counts(self, job_id: str | None) -> dict[str, Any]:
        backend = self.backend
        counts = backend.task_update_counts(job_id)
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "byOperation": backend.task_update_counts_by_operation(job_id),
            "writes": backend.task_write_counts(job_id),
        }

    # -- scenarios and update counts (in-process; the admin API calls the same) ---------------

    def add_failed_job(self, **options: Any) -> dict[str, Any]:
        """A finished job with N failed tasks over K steps; see ``scenarios.add_failed_job``."""
        from deadline_emulator.scenarios import add_failed_job

        return add_failed_job(self.backend, **options)

    def add_farm(self, **options: Any) -> dict[str, Any]:
        """A farm of Q queues x J active jobs; see ``scenarios.add_farm``."""
        from deadline_emulator.scenarios import add_farm

        return add_farm(self.backend, **options)

    def add_big_job(self, **options: Any) -> dict[str, Any]:
        """A finished job of N tasks in one step, failures spread over all of it; see
        ``scenarios.add_big_job``."""
        from deadline_emulator.scenarios import add_big_job

        return add_big_job(self.backend, **options)

    def add_big_fleet(self, **options: Any) -> dict[str, Any]:
        """A fleet of N workers in a demo farm; see ``fleet_scenarios.add_big_fleet``."""
        from deadline_emulator.fleet_scenarios import add_big_fleet

        return add_big_fleet(self.backend, **options)

    def task_update_counts(
        self, job_id: str | None = None, operation: str | None = None
    ) -> dict[str, int]:
        """Task ID -> how many writes changed its run status (client-token replays and
        no-op targets not counted), optionally for one job and one operation."""
        return self.backend.task_update_counts(job_id, operation)

    def task_write_counts(
        self, job_id: str | None = None, operation: str | None = None
    ) -> dict[str, int]:
        """Task ID -> how many UpdateTask calls / BatchUpdateTask items were accepted for it,
        no-ops included (replays not): "no task written twice" is ``max(...) == 1``."""
        return self.backend.task_write_counts(job_id, operation)

    def _admin_logs(self, payload: Any) -> None:
        if (
            not isinstance(payload, dict)
            or set(payload) != {"raggedPages"}
            or not isinstance(payload["raggedPages"], bool)
        ):
            raise ValueError('log settings must be {"raggedPages": true|false}')
        self.logs_backend.ragged_pages = payload["raggedPages"]

    def _admin_search(self, payload: Any) -> None:
        if not isinstance(payload, dict) or set(payload) != {"mode"}:
            raise ValueError('search settings must be {"mode": "lenient|strict|ignore"}')
        self.search.set(payload["mode"])

    def _clock_state(self) -> dict[str, Any]:
        return {"now": format_timestamp(self.clock.now()), "pinned": self.clock.is_pinned}


_SCENARIOS = {
    "scenarios/failed-job": "add_failed_job",
    "scenarios/farm": "add_farm",
    "scenarios/big-job": "add_big_job",
    "scenarios/big-fleet": "add_big_fleet",
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in str(name))


def _fault_rules(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict) and "rules" in payload:
        payload = payload["rules"]
    rules = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(rule, dict) for rule in rules):
        raise ValueError("fault rules must be JSON objects")
    return rules


def _admin_answer(status: int, payload: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, encode_json(payload)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _quote_path(path: str) -> str:
    # WSGI gives PATH_INFO as latin-1-decoded bytes; undo that, then re-quote.
    return quote(path.encode("latin-1").decode("utf-8", "replace"), safe="/-_.~")


_defaults: dict[int, Emulator] = {}
_defaults_lock = threading.Lock()


def get_default_emulator(seed: int = 0) -> Emulator:
    """The process-wide emulator for ``seed`` (created once, thread-safe); its search mode
    comes from ``DEADLINE_EMULATOR_SEARCH`` (default lenient)."""
    emulator = _defaults.get(seed)
    if emulator is None:
        with _defaults_lock:
            emulator = _defaults.get(seed)
            if emulator is None:
                mode = SearchPolicy.from_env(os.environ).mode
                emulator = _defaults[seed] = Emulator(seed=seed, search_mode=mode)
    return emulator


def set_default_emulator(emulator: Emulator | None, seed: int = 0) -> None:
    """Replace (or with None, forget) the process-wide emulator for ``seed``; for tests."""
    with _defaults_lock:
        if emulator is None:
            _defaults.pop(seed, None)
        else:
            _defaults[seed] = emulator
