"""TRUSTED_PROXIES: an X-Forwarded-For hop is believed only when a trusted proxy wrote
it, so a client can never choose the address the rate limits and sessions see."""

import pytest

from app import create_app
from db import db
from tests.conftest import PASSWORD, SECRET, bearer

LB = "10.0.0.0/8"  # the load balancers and nginx machines


@pytest.fixture
def proxied(tmp_path):
    def make(trusted: str, proxy_count: int = 0):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                "JWT_SECRET_KEY": SECRET,
                "ARGON2_MEMORY_COST": 1024,
                "TRUSTED_PROXIES": trusted,
                "PROXY_COUNT": proxy_count,
            }
        )
        with app.app_context():
            db.create_all()
        client = app.test_client()
        user = {"username": "alice", "password": PASSWORD}
        client.post("/register", json=user)

        def seen_as(peer: str, forwarded: str | None = None) -> str:
            """The address the app records for a login from `peer` with that header."""
            headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
            token = client.post(
                "/login", json=user, headers=headers, environ_base={"REMOTE_ADDR": peer}
            ).json["access_token"]
            sessions = client.get("/my-info/sessions", headers=bearer(token)).json
            return next(s["ip"] for s in sessions if s["current"])

        return seen_as

    return make


def test_the_nearest_untrusted_hop_is_the_client(proxied):
    seen_as = proxied(f"{LB}, 192.168.7.7")
    assert seen_as("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    # The client wrote a hop of its own to the left: never believed.
    assert seen_as("10.0.0.5", "198.51.100.9, 203.0.113.7, 10.1.1.1") == "203.0.113.7"
    # Two trusted proxies in a row (load balancer, then nginx), on another network.
    assert seen_as("192.168.7.7", "203.0.113.8, 10.9.9.9") == "203.0.113.8"


def test_a_header_from_an_untrusted_peer_is_ignored(proxied):
    seen_as = proxied(LB)
    assert seen_as("192.0.2.1", "203.0.113.7") == "192.0.2.1"
    assert seen_as("192.0.2.1") == "192.0.2.1"


def test_a_path_with_fewer_hops_cannot_be_spoofed(proxied):
    """What a count cannot do: the same app reached through one proxy or two."""
    seen_as = proxied(LB)
    assert seen_as("10.0.0.5", "203.0.113.7") == "203.0.113.7"  # nginx only
    assert seen_as("10.0.0.6", "203.0.113.7, 10.0.0.5") == "203.0.113.7"  # LB + nginx
    by_count = proxied("", proxy_count=2)
    assert by_count("10.0.0.5", "6.6.6.6, 203.0.113.7") == "6.6.6.6"  # the spoof a count believes


def test_a_unix_socket_peer_is_trusted_only_when_named(proxied):
    assert proxied("unix")("", "203.0.113.7") == "203.0.113.7"


def test_a_bad_setting_refuses_to_start():
    with pytest.raises(RuntimeError, match=r"TRUSTED_PROXIES: .*10\.0\.0\.300"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "JWT_SECRET_KEY": SECRET,
                "TRUSTED_PROXIES": "10.0.0.300",
            }
        )
