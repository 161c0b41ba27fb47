"""HTTP transport: the emulator's WSGI app on a threaded standard-library server.

HTTP/1.1 keep-alive (botocore reuses connections), quiet logging, daemon threads. A
``down`` fault closes the connection without an answer, as an unreachable endpoint would.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from deadline_emulator.responses import EmulatorUnavailable

IDLE_TIMEOUT_SECONDS = 30


class _Handler(ServerHandler):
    http_version = "1.1"

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], EmulatorUnavailable) and not self.headers_sent:
            self.request_handler.close_connection = True  # say nothing, hang up
            return
        super().handle_error()

    def log_exception(self, exc_info: Any) -> None:
        pass  # the emulator logs its own failures through `logging`


class _RequestHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    # wsgiref writes headers and body separately: without this, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.send_error(411, "Content-Length required")
            self.close_connection = True
            return
        environ = self.get_environ()
        environ["deadline_emulator.raw_path"] = self.path.split("?", 1)[0]
        environ["deadline_emulator.drop_on_down"] = True
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), environ, multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class EmulatorServer(socketserver.ThreadingMixIn, WSGIServer):
    """Threaded WSGI server; ``shutdown()`` stops serving and closes the socket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _RequestHandler)
        self.set_app(app)
        self._thread: threading.Thread | None = None

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port
        self.setup_environ()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"deadline-emulator-{self.server_address[1]}",
        )
        self._thread.start()

    def shutdown(self) -> None:
        if self._thread is not None:
            super().shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()


def make_server(emulator: Any, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """An (unstarted) HTTP server for ``emulator.wsgi_app``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_class = type("EmulatorServer", (EmulatorServer,), {"address_family": family})
    return server_class(emulator.wsgi_app, host, port)


def serve_in_thread(
    emulator: Any, host: str = "127.0.0.1", port: int = 0
) -> tuple[EmulatorServer, str]:
    """Start serving ``emulator`` in a background thread; returns (server, base URL)."""
    server = make_server(emulator, host, port)
    server.start()
    return server, server.url
