"""The sign-in lockout behind ``make serve``'s nginx counts per user name and real client
address: with ``DASHBOARD_TRUSTED_PROXIES`` the address comes from X-Forwarded-For, so a
stranger elsewhere cannot lock a colleague out; without it, the peer's address is every
client's (tasks_app/proxy.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import RequestFactory

from tasks_app.proxy import client_address
from tests.serve_processes import PASSWORD, Client, Served, served

STRANGER = "203.0.113.7"
COLLEAGUE = "198.51.100.23"


@pytest.fixture(scope="module")
def behind_a_load_balancer() -> Iterator[Served]:
    """Two proxies append to X-Forwarded-For: the load balancer (played by the test client's
    own header) and make serve's nginx."""
    with served(DASHBOARD_AUTH="login", DASHBOARD_TRUSTED_PROXIES="2") as dashboard:
        yield dashboard


def _from(address: str) -> Client:
    """A browser at ``address``, as the load balancer in front reports it."""
    return Client({"X-Forwarded-For": address})


def test_five_wrong_passwords_lock_the_name_out_for_that_client_only(
    behind_a_load_balancer: Served,
) -> None:
    base = behind_a_load_balancer.base
    stranger = _from(STRANGER)
    statuses = [stranger.sign_in(base, "ada", "wrong").status for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert stranger.sign_in(base, "ada", PASSWORD).status == 429

    # A client-written hop in front of the load balancer's changes nothing.
    spoofing = _from(f"{COLLEAGUE}, {STRANGER}")
    assert spoofing.sign_in(base, "ada", PASSWORD).status == 429

    # ada, elsewhere, signs in.
    colleague = _from(COLLEAGUE)
    answer = colleague.sign_in(base, "ada", PASSWORD)
    assert answer.status == 302, answer.text[:500]
    page = colleague.request(f"{base}/farms/")
    assert "Signed in as <strong>ada</strong>" in page.text


# --- Which hop is the client ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        # No trusted proxy: the peer (behind nginx, nginx's loopback address for everyone).
        ((0, []), f"{STRANGER}, 10.0.0.5", "127.0.0.1"),
        # make serve alone: the address nginx saw.
        ((1, []), f"{COLLEAGUE}, 10.0.0.5", "10.0.0.5"),
        # A load balancer and nginx: the address the load balancer saw.
        ((2, []), f"{COLLEAGUE}, {STRANGER}, 10.0.0.5", STRANGER),
        # Fewer hops than proxies (a request that skipped one): the first hop.
        ((3, []), f"{STRANGER}, 10.0.0.5", STRANGER),
        # Addresses: the last hop that is not a trusted proxy.
        ((0, ["127.0.0.1", "10.0.0.0/8"]), f"{COLLEAGUE}, {STRANGER}, 10.0.0.5", STRANGER),
        ((0, ["127.0.0.1", "10.0.0.0/8"]), "10.0.0.9, 10.0.0.5", "10.0.0.9"),
        # A hop that is no address: the peer's.
        ((2, []), "not-an-address, 10.0.0.5", "127.0.0.1"),
        ((2, []), "", "127.0.0.1"),
    ],
)
def test_client_address_is_the_hop_the_outermost_trusted_proxy_saw(
    settings: object, trusted: tuple[int, list[str]], forwarded: str, expected: str
) -> None:
    settings.DASHBOARD_TRUSTED_PROXY_COUNT, settings.DASHBOARD_TRUSTED_PROXY_NETWORKS = trusted  # type: ignore[attr-defined]
    request = RequestFactory().get("/login/", REMOTE_ADDR="127.0.0.1")
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_address(request) == expected


def test_a_request_with_no_address_at_all_has_none(settings: object) -> None:
    """A sign-in made in code (a test client's force_login) has no peer: None, which the
    lockout's address column accepts, never a word PostgreSQL refuses as an address."""
    settings.DASHBOARD_TRUSTED_PROXY_COUNT, settings.DASHBOARD_TRUSTED_PROXY_NETWORKS = (1, [])  # type: ignore[attr-defined]
    request = RequestFactory().get("/login/", REMOTE_ADDR="")
    request.META["HTTP_X_FORWARDED_FOR"] = "not-an-address"
    assert client_address(request) is None
