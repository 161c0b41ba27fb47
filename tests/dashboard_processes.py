"""Real dashboard processes for tests that cross a process boundary: a clean environment, a
migrated database of their own, gunicorn processes awaited until healthy, a small HTTP client
with cookies and CSRF, as a browser signs in, and the environments that point a process (a
dashboard or the official CLI) at an emulator over HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from tests.redis_server import free_port

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CONFIRM_FIELD = re.compile(r'name="confirm" value="([^"]+)"')


def environment(**overrides: str) -> dict[str, str]:
    """This process's environment without any dashboard setting, plus ``overrides``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DASHBOARD_", "DEADLINE_", "AWS_", "DATABASE_"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DASHBOARD_LOG_LEVEL": "WARNING",
        **overrides,
    }


def aws_environment(url: str) -> dict[str, str]:
    """What points boto3 in another process (a dashboard, the official CLI, a bench) at an
    emulator over HTTP, as it reads a real account's settings (the emulator ignores the
    credentials)."""
    return {
        "AWS_ENDPOINT_URL_DEADLINE": url,
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": url,
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_REGION": "us-west-2",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def emulator_environment(url: str) -> dict[str, str]:
    """The settings of a dashboard process reading an emulator over HTTP as its aws backend."""
    return {"DEADLINE_BACKEND": "aws", **aws_environment(url)}


def cli_environment(url: str, home: Path) -> dict[str, str]:
    """The official ``deadline`` CLI's environment against an emulator over HTTP: a clean
    HOME with its own Deadline and AWS configuration files, no telemetry."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "DEADLINE_CONFIG_FILE_PATH": str(home / "deadline-config"),
        "DEADLINE_CLOUD_TELEMETRY_OPT_OUT": "true",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        **aws_environment(url),
    }


def _python(args: list[str], env: Mapping[str, str], what: str) -> str:
    """``python ARGS`` from the repository in a fresh interpreter; its output, or an error
    naming ``what``."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed: {result.stdout}{result.stderr}")
    return result.stdout


def manage(*args: str, env: Mapping[str, str]) -> str:
    """``python manage.py ...`` in a fresh interpreter; its output, or an error naming it."""
    return _python(["manage.py", *args], env, f"manage.py {' '.join(args)}")


#: ``manage.py migrate`` then ``createsuperuser`` for each name given, in one interpreter:
#: Django starts once (about a second of CPU a start).
_MIGRATE_AND_CREATE_SUPERUSERS = """
import sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name in sys.argv[1:]:
    call_command("createsuperuser", interactive=False, username=name, email=f"{name}@example.com")
"""


def migrate(env: Mapping[str, str], *usernames: str) -> None:
    """The database ``env`` names migrated, with superusers ``usernames`` (``ada`` if none
    is named; password PASSWORD) for a browser to sign in as."""
    names = list(usernames or ("ada",))
    _python(
        ["-c", _MIGRATE_AND_CREATE_SUPERUSERS, *names],
        {**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
        f"migrate and createsuperuser {' '.join(names)}",
    )


def await_true(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` (which another process makes true) until it holds, or fail after
    ``timeout`` seconds naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)  # polling a condition another process makes true, bounded
    raise AssertionError(f"timed out waiting for {what}")


def spawn(
    command: list[str], env: Mapping[str, str], log: Path, *, new_session: bool = False
) -> subprocess.Popen[bytes]:
    """``command`` started from the repository with this environment, its output to ``log``
    (read back when it fails to come up); ``new_session`` puts it in a process group of its
    own, so a test can kill it and its children outright."""
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=dict(env),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )


def await_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        # Polling a readiness condition, bounded by the deadline above.
        time.sleep(0.05)
    raise RuntimeError(f"{base} did not become healthy: {log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        # Generous: a loaded machine takes a while to stop gunicorn (and nginx) cleanly.
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn_processes(
    count: int, env: Mapping[str, str], *, threads: int = 4
) -> Iterator[list[str]]:
    """``count`` separate gunicorn processes (one worker each) on loopback; their base URLs."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dtd-gunicorn-")))
        started: list[tuple[str, subprocess.Popen[bytes], Path]] = []
        for n in range(count):
            port = free_port()
            log = workdir / f"gunicorn-{n}.log"
            process = spawn(
                [
                    str(BIN / "gunicorn"), "dashboard.wsgi",
                    "--bind", f"127.0.0.1:{port}",
                    "--workers", "1", "--threads", str(threads),
                    # Several on one host: gunicorn's default control socket is one per user.
                    "--no-control-socket",
                ],
                env,
                log,
            )  # fmt: skip
            stack.callback(stop, process)
            started.append((f"http://127.0.0.1:{port}", process, log))
        for base, process, log in started:
            await_healthy(base, process, log)
        yield [base for base, _, _ in started]


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Cookies shared across every dashboard it talks to (one browser, one site, many hosts
    behind a load balancer); redirects are returned, not followed. ``headers`` go with every
    request: what a proxy in front would add (X-Forwarded-For, an identity header)."""

    def __init__(self, headers: Mapping[str, str] | None = None) -> None:
        self.headers = dict(headers or {})
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(self, url: str, data: Mapping[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=self.headers)  # noqa: S310
        if data is not None:
            request.add_header("Referer", url)
        try:
            with self._opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, dict(exc.headers), exc.read().decode())

    def sign_in(self, base: str, username: str, password: str) -> Answer:
        """GET the sign-in form (a CSRF token), then POST it, as the page does."""
        form = self.request(f"{base}/login/")
        match = _CSRF_FIELD.search(form.text)
        assert form.status == 200 and match, form.text[:500]
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
        return self.request(f"{base}/login/", fields)


def requeue(browser: Browser, base: str, job: str) -> str:
    """Requeue a job's failed tasks as an operator does (the job page, the preview, the
    confirmation); the path of the action's result page."""
    page = browser.request(f"{base}{job}")
    csrf = _CSRF_FIELD.search(page.text)
    assert page.status == 200 and csrf, page.text[:500]
    fields = {"action": "requeue", "csrfmiddlewaretoken": csrf[1]}
    preview = browser.request(f"{base}{job}actions/", fields)
    token = _CONFIRM_FIELD.search(preview.text)
    assert preview.status == 200 and token, preview.text[-2000:]
    done = browser.request(f"{base}{job}actions/", {**fields, "confirm": unescape(token[1])})
    assert done.status == 303, done.text[-2000:]
    return done.headers["Location"]
