"""Which address is the client's, behind proxies known by their addresses.

PROXY_COUNT trusts a fixed number of X-Forwarded-For hops: right for `make serve`'s one
nginx, wrong as soon as paths differ (a load balancer in front of some machines only, a
health checker hitting nginx directly), where a client could pick the address the rate
limits count. TRUSTED_PROXIES (addresses or networks, comma-separated; `unix` for a peer
on a local socket) trusts a hop only for who sent it: walking X-Forwarded-For from the
right, each address is believed only while the one that reported it is a trusted proxy.
"""

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse(value: str | list) -> tuple[list[Network], bool]:
    """The networks, and whether a unix-socket peer (no address) is trusted."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip() for name in names if name.strip()]
    try:
        networks = [ipaddress.ip_network(name) for name in names if name != "unix"]
    except ValueError as error:
        raise RuntimeError(f"TRUSTED_PROXIES: {error}") from None
    return networks, "unix" in names


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR becomes the nearest address no trusted proxy is."""

    def __init__(self, app, value: str | list):
        self.app = app
        self.networks, self.unix = parse(value)

    def trusted(self, address: str) -> bool:
        if not address:
            return self.unix
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # not an address at all: never a proxy of ours
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded: str) -> str:
        hops = [hop.strip() for hop in forwarded.split(",")] if forwarded else []
        address = peer
        while self.trusted(address) and hops:
            address = hops.pop()
        return address

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR") or ""
        environ["REMOTE_ADDR"] = self.client(peer, environ.get("HTTP_X_FORWARDED_FOR", ""))
        return self.app(environ, start_response)
