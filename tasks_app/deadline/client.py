"""The boto3 Deadline Cloud client: backend selection, timeouts, retries, one client per process.

``DEADLINE_BACKEND=demo`` answers from the in-process emulator; ``aws`` uses boto3's standard
configuration chain (AWS_PROFILE, AWS_REGION, SSO/instance credentials,
AWS_ENDPOINT_URL_DEADLINE, AWS_DISABLE_HOST_PREFIX_INJECTION), untouched. This module is the only
place that knows the emulator exists.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import botocore.utils
from botocore.config import Config
from django.conf import settings

from deadline_facts.timestamps import parse_iso8601

from . import allow_list

USER_AGENT_APPID = "deadline-task-dashboard"
DEMO_REGION = "us-west-2"
# Never resolved: the emulator answers through botocore's before-send event.
DEMO_ENDPOINT = "https://deadline.demo.invalid"
DEMO_LOGS_ENDPOINT = "https://logs.demo.invalid"
# Threads serving requests times the reads one page makes concurrently.
MAX_POOL_CONNECTIONS = 32


@dataclass(frozen=True)
class BackendIdentity:
    """What distinguishes one API configuration from another (cache keys include it)."""

    backend: str
    region: str
    endpoint: str

    def as_key(self) -> str:
        return f"{self.backend}|{self.region}|{self.endpoint}"


@dataclass(frozen=True)
class _Connection:
    client: Any
    identity: BackendIdentity
    emulator: Any = None


_lock = threading.Lock()
_connections: dict[tuple[Any, ...], _Connection] = {}
_logs_clients: dict[tuple[Any, ...], Any] = {}
_write_clients: dict[tuple[Any, ...], Any] = {}
# Bumped when the clients are forgotten: what was derived from them (cache keys) is derived
# again, since the next client may answer for another backend, region or endpoint.
_generation = 0


def _settings_key() -> tuple[Any, ...]:
    return (
        settings.DEADLINE_BACKEND,
        settings.DEADLINE_DEMO_SEED,
        settings.DEADLINE_CONNECT_TIMEOUT,
        settings.DEADLINE_READ_TIMEOUT,
        settings.DEADLINE_MAX_ATTEMPTS,
        settings.DEADLINE_RETRY_MODE,
    )


def _config(**extra: Any) -> Config:
    options: dict[str, Any] = {
        "retries": {
            "mode": settings.DEADLINE_RETRY_MODE,
            "total_max_attempts": settings.DEADLINE_MAX_ATTEMPTS,
        },
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        **extra,
    }
    return Config(
        connect_timeout=settings.DEADLINE_CONNECT_TIMEOUT,
        read_timeout=settings.DEADLINE_READ_TIMEOUT,
        user_agent_appid=USER_AGENT_APPID,
        **options,
    )


def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, with the API's own ISO 8601 form read by the standard
    library first (``deadline_facts.timestamps``)."""
    parsed = parse_iso8601(value)
    return parsed if parsed is not None else botocore.utils.parse_timestamp(value)


@functools.cache
def _loader() -> botocore.loaders.Loader:
    """One loader of botocore's data files per process: each new session would read and parse
    the service model's JSON again (a new connection per settings change, per test)."""
    return botocore.loaders.create_loader()


def _session(**options: Any) -> boto3.session.Session:
    """A boto3 session whose clients parse timestamps with ``parse_timestamp``."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    parsers = core.get_component("response_parser_factory")
    parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
    return boto3.session.Session(botocore_session=core, **options)


@functools.cache
def _demo_session() -> boto3.session.Session:
    """The one session of the process's emulator clients (created under ``_lock``, as boto3
    asks of a shared session): a new session registers botocore's ~300 event handlers again,
    about 10 ms per client, and the clients are made again after every settings change."""
    return _session(
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106 - the emulator ignores signatures
        region_name=DEMO_REGION,
    )


def _emulator_client(emulator: Any, service: str, endpoint: str, config: Config) -> Any:
    """A boto3 client of ``service`` answered in-process by ``emulator`` (call with ``_lock``
    held)."""
    from deadline_emulator.transport import attach

    client = _demo_session().client(service, endpoint_url=endpoint, config=config)
    attach(client, emulator)
    return client


def _connect_demo() -> _Connection:
    from deadline_emulator import get_default_emulator
    from deadline_emulator.scheduling_lab import install_scheduling_lab

    emulator = get_default_emulator(settings.DEADLINE_DEMO_SEED)
    if settings.DEADLINE_DEMO_LAB:
        install_scheduling_lab(emulator.backend)
    client = _emulator_client(
        emulator, "deadline", DEMO_ENDPOINT, _config(inject_host_prefix=False)
    )
    identity = BackendIdentity(
        backend="demo", region=DEMO_REGION, endpoint=f"emulator:seed={settings.DEADLINE_DEMO_SEED}"
    )
    return _Connection(client=client, identity=identity, emulator=emulator)


def _connect_aws() -> _Connection:
    # No endpoint or credentials here: boto3's own chain decides, as for the AWS CLI. botocore
    # reads only AWS_DEFAULT_REGION; AWS_REGION (which other SDKs and the CLI v2 prefer) is
    # passed on explicitly, and without either the profile's region applies.
    region = os.environ.get("AWS_REGION", "").strip() or None
    client = _session().client("deadline", region_name=region, config=_config())
    identity = BackendIdentity(
        backend="aws", region=client.meta.region_name or "", endpoint=client.meta.endpoint_url
    )
    return _Connection(client=client, identity=identity)


def _connection() -> _Connection:
    key = _settings_key()
    connection = _connections.get(key)
    if connection is not None:
        return connection
    with _lock:
        connection = _connections.get(key)
        if connection is None:
            demo = settings.DEADLINE_BACKEND == "demo"
            connection = _connect_demo() if demo else _connect_aws()
            allow_list.guard_deadline_client(connection.client)
            _connections[key] = connection
        return connection


def get_client() -> Any:
    """The process's boto3 ``deadline`` client for the configured backend (created once)."""
    return _connection().client


def backend_identity() -> BackendIdentity:
    """Backend, region and endpoint of the configured client, for cache keys and the UI."""
    return _connection().identity


def is_demo() -> bool:
    """True when pages show the emulator's demo world."""
    return settings.DEADLINE_BACKEND == "demo"


def backend_now() -> datetime:
    """ "Now" as the backend sees it: the emulator's (possibly pinned) clock in demo mode.

    Relative times ("3 min ago") and running durations are computed against it, so a demo
    world whose clock is pinned or advanced still reads consistently.
    """
    emulator = _connection().emulator if is_demo() else None
    if emulator is not None:
        return datetime.fromtimestamp(emulator.clock.now(), tz=UTC)
    return datetime.now(tz=UTC)


def get_logs_client() -> Any:
    """The process's boto3 CloudWatch ``logs`` client (session logs), configured like the
    ``deadline`` one: same timeouts, retries and user agent; in demo mode the same emulator
    answers it; in aws mode boto3's chain applies (its endpoint variable is
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, named after the service ID "CloudWatch Logs")."""
    connection = _connection()  # outside _lock: it takes the lock itself
    return _created_once(
        _logs_clients,
        _settings_key(),
        lambda: _connect_logs(connection),
        allow_list.guard_logs_client,
    )


def _created_once(
    clients: dict[Any, Any], key: Any, connect: Callable[[], Any], guard: Callable[[Any], None]
) -> Any:
    """The client stored under ``key``; if missing, connected and guarded once, under the lock."""
    client = clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = clients.get(key)
        if client is None:
            client = connect()
            guard(client)
            clients[key] = client
        return client


def _connect_logs(connection: _Connection) -> Any:
    if connection.emulator is not None:
        return _emulator_client(connection.emulator, "logs", DEMO_LOGS_ENDPOINT, _config())
    # Same region as the deadline client: the logs live next to the farm.
    region = connection.identity.region or None
    return _session().client("logs", region_name=region, config=_config())


def get_write_client() -> Any:
    """The process's boto3 ``deadline`` client for actions (UpdateTask/Step/Job).

    botocore's *standard* retries (``DASHBOARD_ACTION_MAX_ATTEMPTS`` tries per call, exponential
    backoff with jitter) and connections for ``DASHBOARD_ACTION_CONCURRENCY`` calls at once; the
    executor (services/actions.py) paces itself on top. Not the *adaptive* mode the official
    CLI's requeue uses: its client-side rate limiter cuts the rate by 30 % on every throttled
    attempt and, when an API throttles a share of calls whatever the rate, settles near its
    0.5 calls/s floor (measured on the emulator with 30 % of UpdateTask calls throttled: 200
    tasks in 127 s against 4.8 s with standard retries).
    """
    connection = _connection()  # outside _lock: it takes the lock itself
    key = (
        *_settings_key(),
        settings.DASHBOARD_ACTION_MAX_ATTEMPTS,
        settings.DASHBOARD_ACTION_CONCURRENCY,
    )
    return _created_once(
        _write_clients, key, lambda: _connect_writes(connection), allow_list.guard_deadline_client
    )


def _connect_writes(connection: _Connection) -> Any:
    options: dict[str, Any] = {
        "retries": {
            "mode": "standard",
            "total_max_attempts": settings.DASHBOARD_ACTION_MAX_ATTEMPTS,
        },
        "max_pool_connections": max(MAX_POOL_CONNECTIONS, settings.DASHBOARD_ACTION_CONCURRENCY),
    }
    if connection.emulator is not None:
        config = _config(inject_host_prefix=False, **options)
        return _emulator_client(connection.emulator, "deadline", DEMO_ENDPOINT, config)
    region = connection.identity.region or None
    return _session().client("deadline", region_name=region, config=_config(**options))


def clear_client_cache() -> None:
    """Forget the cached clients (tests, and settings changes at run time)."""
    global _generation  # one counter per process, like the clients it counts
    with _lock:
        _connections.clear()
        _logs_clients.clear()
        _write_clients.clear()
        _generation += 1


def client_generation() -> int:
    """Changes whenever ``clear_client_cache`` runs: a cheap test of whether what was derived
    from ``backend_identity()`` still holds (settings changes are signalled separately)."""
    return _generation


_PATH_KEYS = ("farm_id", "queue_id", "job_id", "step_id", "task_id")

# (label, landmark key) of the demo world's notable tasks, in the order the home page lists them.
_TASK_LANDMARKS = (
    ("Failed after retries", "failed_with_retries_task"),
    ("Running on a wedged worker", "wedged_running_task"),
    ("No parameters", "bare_task"),
    ("The only task of its step", "one_task"),
    ("Last task of the 10,000-task step", "big_last_task"),
)
# (label, landmark key) of steps whose first task is worth opening.
_STEP_LANDMARKS = (
    ("Hostile strings (escaping)", "hostile_step"),
    ("Every parameter type", "params_step"),
)


def _as_task_ids(value: Any) -> dict[str, str] | None:
    """Five task-locating IDs from a landmark (the API's camelCase keys, or snake_case)."""
    if not isinstance(value, dict):
        return None
    ids = {}
    for key in _PATH_KEYS:
        camel = key.split("_")[0] + "Id"
        found = value.get(camel, value.get(key))
        if not isinstance(found, str):
            return None
        ids[key] = found
    return ids


def demo_tasks(running: int = 3) -> list[tuple[str, dict[str, str]]]:
    """(label, IDs) of notable demo-world tasks, read from the world itself (no API call).

    Empty outside demo mode.
    """
    emulator = _connection().emulator if is_demo() else None
    if emulator is None:
        return []
    backend = emulator.backend
    if not hasattr(backend, "landmarks"):  # a world a test built, with nothing to point at
        return []
    found: list[tuple[str, Any]] = [
        ("Running now", task)
        for task in backend.find_tasks("RUNNING", limit=running, newest_first=True)
    ]
    landmarks = backend.landmarks()
    found += [(label, landmarks.get(key)) for label, key in _TASK_LANDMARKS]
    for label, key in _STEP_LANDMARKS:
        step = landmarks.get(key)
        if isinstance(step, dict):
            kwargs = {_snake(k): v for k, v in step.items()}
            first = backend.list_tasks(**kwargs, max_results=1)["tasks"][:1]
            found += [(label, {**step, "taskId": task["taskId"]}) for task in first]
    examples = []
    for label, value in found:
        ids = _as_task_ids(value)
        if ids is not None:
            examples.append((label, ids))
    return examples


def _snake(member: str) -> str:
    """``farmId`` -> ``farm_id``."""
    return member.removesuffix("Id") + "_id"


def supports(operation: str) -> bool:
    """Whether the installed botocore models ``operation`` (newer ones, such as
    BatchGetSessionAction, are absent from older releases)."""
    return operation in get_client().meta.service_model.operation_names
