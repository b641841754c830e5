"""The destination guard refuses private networks unless allow-listed."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from integrations.net_guard import DestinationRefused, GuardedResolver, check_url, is_allowed


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://localhost/",
    ],
)
async def test_private_destinations_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused, match="private or reserved"):
        await check_url(url, [])


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "http:///nohost", "http://u:p@8.8.8.8/"]
)
async def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused):
        await check_url(url, [])


async def test_public_literal_is_allowed() -> None:
    await check_url("https://8.8.8.8/hook", [])


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.0/8", "localhost"])
async def test_allow_list_by_host_address_or_network(entry: str) -> None:
    host = "localhost" if entry == "localhost" else "127.0.0.1"
    await check_url(f"http://{host}:9/x", [entry])


def test_allow_list_does_not_match_other_hosts() -> None:
    loopback = ipaddress.ip_address("127.0.0.2")
    assert not is_allowed("127.0.0.2", loopback, ["127.0.0.1", "example.com"])
    assert is_allowed("EXAMPLE.com.", None, ["example.com"])


class _Inner:
    def __init__(self, *hosts: str) -> None:
        self.hosts = hosts

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, object]]:
        return [
            {
                "hostname": host,
                "host": h,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for h in self.hosts
        ]

    async def close(self) -> None:
        return None


async def test_guarded_resolver_drops_private_answers() -> None:
    inner = _Inner("10.0.0.5", "93.184.216.34")
    kept = await GuardedResolver([], inner=inner).resolve("rebind.example", 443)  # type: ignore[arg-type]
    assert [r["host"] for r in kept] == ["93.184.216.34"]
    allowed = GuardedResolver(["10.0.0.0/8"], inner=inner)  # type: ignore[arg-type]
    assert len(await allowed.resolve("rebind.example", 443)) == 2


async def test_guarded_resolver_refuses_only_private_answers() -> None:
    resolver = GuardedResolver([], inner=_Inner("127.0.0.1", "::1"))  # type: ignore[arg-type]
    with pytest.raises(OSError, match="private"):
        await resolver.resolve("rebind.example", 443)
