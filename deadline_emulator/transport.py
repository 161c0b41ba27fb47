"""In-process transport: a boto3 client answered by an ``Emulator`` through botocore events.

``attach`` registers a ``before-send.<service>`` handler: botocore still serialises, signs
and parses exactly as against AWS, only the socket is skipped.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.config
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from deadline_emulator.responses import EmulatorUnavailable

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


def in_process_client(
    emulator: Any,
    service_name: str = "deadline",
    *,
    region_name: str = "us-west-2",
    config: botocore.config.Config | None = None,
    session: boto3.session.Session | None = None,
) -> Any:
    """A boto3 client with test credentials, attached to ``emulator``; retries off by default."""
    if session is None:
        # The emulator ignores signatures; botocore only needs some credentials to sign with.
        session = boto3.session.Session(
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106
            region_name=region_name,
        )
    default = botocore.config.Config(
        inject_host_prefix=False, retries={"mode": "standard", "total_max_attempts": 1}
    )
    client = session.client(
        service_name, config=default.merge(config) if config is not None else default
    )
    attach(client, emulator)
    return client
