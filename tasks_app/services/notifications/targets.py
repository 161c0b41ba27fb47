"""Where webhooks and Slack messages may go, and the one HTTP call that sends them.

A target is http(s) only. With ``DASHBOARD_NOTIFY_ALLOWED_HOSTS`` set, a target's host must be
listed by name, or every address it resolves to must lie in a listed CIDR range. The check runs
when a rule is saved and again when a message is sent, on the addresses resolved then, and the
connection goes to the address that was checked: a DNS answer changed after the rule was saved
cannot point it at an internal service.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL = 2000


class TargetRefused(ValueError):
    """The URL is not one a rule may send to; the message says why."""


@dataclass(frozen=True)
class Answer:
    """What a receiver answered: a status (0 when nothing came back) and its Retry-After."""

    status: int
    retry_after: float | None = None
    error: str = ""


def _allowed() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def _split(url: str) -> tuple[str, str, int]:
    if len(url) > MAX_URL:
        raise TargetRefused(f"The URL is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Only http:// and https:// targets are allowed.")
    if not parts.hostname:
        raise TargetRefused("The URL names no host.")
    if parts.username or parts.password:
        raise TargetRefused("The URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("The URL's port is not a number from 1 to 65535.") from None
    return parts.scheme, parts.hostname.lower().rstrip("."), port


def _resolve(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused(f"{host} does not resolve: {exc}") from exc
    return list(dict.fromkeys(str(a[4][0]) for a in answers))


def check(url: str, *, resolve: bool = True) -> str:
    """Refuse (TargetRefused) a URL no rule may send to; the address to connect to when
    ``resolve`` (the host itself when every host is allowed and ``resolve`` is off)."""
    _, host, port = _split(url)
    names, networks = _allowed()
    if not names and not networks:
        return _resolve(host, port)[0] if resolve else host
    if host in names:
        return _resolve(host, port)[0] if resolve else host
    if not networks:
        raise TargetRefused(f"{host} is not in DASHBOARD_NOTIFY_ALLOWED_HOSTS.")
    addresses = _resolve(host, port)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not any(ip in network for network in networks):
            raise TargetRefused(
                f"{host} resolves to {address}, outside DASHBOARD_NOTIFY_ALLOWED_HOSTS."
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the backoff stands


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` after checking it again; never follows a redirect."""
    scheme, host, port = _split(url)
    address = check(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    timeout = float(settings.DASHBOARD_NOTIFY_TIMEOUT_SECONDS)
    kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, address, timeout)
    try:
        connection.request("POST", path, body=body, headers={"Host": parts.netloc, **headers})
        response = connection.getresponse()
        response.read(65536)
        return Answer(response.status, _retry_after(response.getheader("Retry-After")))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
