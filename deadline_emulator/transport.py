"""In-process transport: a boto3 client answered by an ``Emulator`` through botocore events.

``attach`` registers a ``before-send.<service>`` handler: botocore still serialises, signs
and parses exactly as against AWS, only the socket is skipped.
"""

from __future__ import annotations

import functools
import threading
from datetime import datetime
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.config
import botocore.loaders
import botocore.session
import botocore.utils
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from deadline_emulator.responses import EmulatorUnavailable
from deadline_facts.timestamps import parse_iso8601

_HANDLER_ID = "deadline-emulator-in-process"


class RawBody(BytesIO):
    """The ``raw`` object ``AWSResponse`` reads (``stream()``), like urllib3's response."""

    def stream(self, amt: int | None = None, decode_content: bool = True) -> Any:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def attach(client: Any, emulator: Any) -> None:
    """Answer every request ``client`` sends from ``emulator.handle`` (no socket).

    Works for any service client; the emulator picks the wire protocol (rest-json for
    Deadline Cloud, a registered target-based one such as json-1.1 for CloudWatch Logs).
    Attaching again replaces the previous emulator.
    """
    service_id = client.meta.service_model.service_id.hyphenize()

    def answer(request: Any, **_: Any) -> AWSResponse:
        url = request.url
        parts = urlsplit(url)
        body = request.body
        if body is not None and hasattr(body, "read"):
            body = body.read()
        try:
            status, headers, payload = emulator.handle(
                request.method, parts.path or "/", parts.query, request.headers, body
            )
        except EmulatorUnavailable as exc:
            raise EndpointConnectionError(endpoint_url=url) from exc
        return AWSResponse(url, status, headers, RawBody(payload))

    event = f"before-send.{service_id}"
    client.meta.events.unregister(event, unique_id=_HANDLER_ID)
    client.meta.events.register(event, answer, unique_id=_HANDLER_ID)


def detach(client: Any) -> None:
    """Undo ``attach``: the client talks to its real endpoint again."""
    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.unregister(f"before-send.{service_id}", unique_id=_HANDLER_ID)


def _parse_timestamp(value: Any) -> datetime:
    parsed = parse_iso8601(value)
    return parsed if parsed is not None else botocore.utils.parse_timestamp(value)


@functools.cache
def _loader() -> botocore.loaders.Loader:
    """botocore's data files, read once per process (not once per client's session)."""
    return botocore.loaders.create_loader()


@functools.cache
def _test_session(region_name: str) -> boto3.session.Session:
    """One session per region for the process's test clients (a new one registers botocore's
    ~300 event handlers again: about 10 ms per client). Its clients read the emulator's ISO
    8601 timestamps with the standard library (``deadline_facts.timestamps``; dateutil took
    half the CPU of a world walk). The emulator ignores signatures; botocore only needs some
    credentials to sign with."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _loader())
    parsers = core.get_component("response_parser_factory")
    parsers.set_parser_defaults(timestamp_parser=_parse_timestamp)
    return boto3.session.Session(
        botocore_session=core,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106
        region_name=region_name,
    )


#: boto3 sessions are not thread-safe: clients of the shared ones are made one at a time.
_sessions_lock = threading.Lock()


def in_process_client(
    emulator: Any,
    service_name: str = "deadline",
    *,
    region_name: str = "us-west-2",
    config: botocore.config.Config | None = None,
    session: boto3.session.Session | None = None,
) -> Any:
    """A boto3 client with test credentials, attached to ``emulator``; retries off by default."""
    default = botocore.config.Config(
        inject_host_prefix=False, retries={"mode": "standard", "total_max_attempts": 1}
    )
    config = default.merge(config) if config is not None else default
    if session is not None:
        client = session.client(service_name, config=config)
    else:
        with _sessions_lock:
            client = _test_session(region_name).client(service_name, config=config)
    attach(client, emulator)
    return client
