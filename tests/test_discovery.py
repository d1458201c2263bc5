"""Finding sessions on the LAN: advertising, browsing, hostile advertisements, failures.

Three levels, each skipped (with the reason found at run time) where this machine cannot
run it:

* on this machine, over the loopback interface only (no packet leaves the machine);
* across two network namespaces joined by a veth pair (10.231.0.1/24 and 10.231.0.2/24,
  created and deleted by the test) — two "machines" in one room, with a real TLS
  websocket connection to the session that was found; also the failure cases (no usable
  interface, port 5353 taken) in a namespace of their own;
* pure unit tests (address ranking, errors) that always run.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import ipaddress
import json
import logging
import os
import secrets
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ifaddr
import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from whytree.server import discovery
from whytree.server.discovery import Advertiser, lan_addresses
from whytree.shared import advertisement
from whytree.shared.advertisement import SERVICE_TYPE
from whytree.tui import lan
from whytree.tui.lan import FoundSession, browse

LOOPBACK = ["127.0.0.1"]
CHILD = Path(__file__).with_name("netns_child.py")
MDNS_GROUP = "224.0.0.251"


# --- what this machine allows ---------------------------------------------------------------


@functools.cache
def loopback_multicast_problem() -> str | None:
    """Why multicast cannot go from this machine to itself over 127.0.0.1, or None if it can
    (probed with plain sockets on an ephemeral port, so it says nothing about our code)."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        receiver.bind(("", 0))
        port = receiver.getsockname()[1]
        membership = struct.pack("4s4s", socket.inet_aton(MDNS_GROUP), socket.inet_aton("127.0.0.1"))
        receiver.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        sender.sendto(b"whytree-probe", (MDNS_GROUP, port))
        receiver.settimeout(1.0)
        data = receiver.recv(64)
        return None if data == b"whytree-probe" else f"unexpected multicast data {data!r}"
    except TimeoutError:
        return "multicast sent on 127.0.0.1 was not delivered back to this machine within 1 s"
    except OSError as error:
        return f"multicast on the loopback interface is not available here: {error}"
    finally:
        receiver.close()
        sender.close()


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=20, check=check)


@functools.cache
def netns_problem() -> str | None:
    """Why this machine cannot run the two-namespace tests, or None if it can."""
    if not sys.platform.startswith("linux"):
        return f"network namespaces need Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (euid is not 0)"
    ip = shutil.which("ip")
    if ip is None:
        return "the iproute2 `ip` command is not installed"
    probe = f"wt-probe-{os.getpid()}"
    added = run(ip, "netns", "add", probe, check=False)
    if added.returncode != 0:
        return f"`ip netns add` failed: {added.stderr.strip()}"
    try:
        veth = run(ip, "-n", probe, "link", "add", "wtp0", "type", "veth", "peer", "name", "wtp1",
                   check=False)
        if veth.returncode != 0:
            return f"cannot create a veth pair: {veth.stderr.strip()}"
    finally:
        run(ip, "netns", "del", probe, check=False)
    return None


def require_netns() -> str:
    problem = netns_problem()
    if problem is not None:
        pytest.skip(problem)
    ip = shutil.which("ip")
    assert ip is not None
    return ip


@contextmanager
def namespaces(count: int) -> Iterator[list[str]]:
    """`count` fresh network namespaces (only lo, down), deleted afterwards whatever happens."""
    ip = require_netns()
    token = secrets.token_hex(3)
    created: list[str] = []
    try:
        for index in range(count):
            name = f"wt-{token}-{index}"
            run(ip, "netns", "add", name)
            created.append(name)
        yield created
    finally:
        for name in created:
            run(ip, "netns", "del", name, check=False)
        leftovers = set(run(ip, "netns", "list", check=False).stdout.split()) & set(created)
        assert not leftovers, f"network namespaces left behind: {leftovers}"


def in_namespace(namespace: str, *args: str) -> list[str]:
    ip = shutil.which("ip")
    assert ip is not None
    return [ip, "netns", "exec", namespace, sys.executable, str(CHILD), *args]


def last_json_line(output: str) -> dict[str, Any]:
    lines = [line for line in output.splitlines() if line.startswith("{")]
    assert lines, f"no result from the child process; output was {output!r}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def wait_link_up(ip: str, namespace: str, device: str, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "state UP" in run(ip, "-n", namespace, "link", "show", "dev", device).stdout:
            return
        time.sleep(0.05)
    raise AssertionError(f"{device} in {namespace} did not come up")


# --- on this machine (loopback only) --------------------------------------------------------


def unique_port() -> int:
    return 20000 + secrets.randbelow(40000)


async def test_advertise_then_browse_on_this_machine(caplog: pytest.LogCaptureFixture) -> None:
    problem = loopback_multicast_problem()
    if problem is not None:
        pytest.skip(problem)
    caplog.set_level(logging.INFO, logger="whytree.server.discovery")
    title = f"Why do kids get into trouble after school? {secrets.token_hex(3)}"
    port = unique_port()
    fingerprint = "ab12cd34" * 8
    advertiser = Advertiser(interfaces=LOOPBACK)
    try:
        if not await advertiser.start(title, port, True, ["127.0.0.1"], fingerprint=fingerprint):
            pytest.skip(f"zeroconf cannot advertise over loopback here: {caplog.text.strip()}")
        assert advertiser.advertising

        # Other tests or people may advertise on this machine too: look for ours.
        found = [s for s in await browse(2.0, interfaces=LOOPBACK) if s.port == port]
        assert found == [
            FoundSession(
                title=title,
                host=found[0].host,
                addresses=("127.0.0.1",),
                port=port,
                tls=True,
                fingerprint_prefix=fingerprint.upper()[:32],
                version="1",
                name=advertiser.service_name or "",
            )
        ]
        assert found[0].url == f"wss://127.0.0.1:{port}"
        assert found[0].host.startswith("whytree") and found[0].host.endswith(".local")

        # Exactly what anyone on the network can read: no join code, no facilitator key.
        async with AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only) as zeroconf:
            assert advertiser.service_name is not None
            info = AsyncServiceInfo(SERVICE_TYPE, advertiser.service_name)
            assert await info.async_request(zeroconf.zeroconf, 3000)
            assert info.properties == {
                b"title": title.encode(),
                b"v": b"1",
                b"tls": b"1",
                b"fp": fingerprint.upper()[:32].encode(),
            }
    finally:
        await advertiser.stop()
    assert not advertiser.advertising
    assert not [s for s in await browse(0.5, interfaces=LOOPBACK) if s.port == port]


async def test_browse_cleans_and_dedupes_what_the_network_says() -> None:
    problem = loopback_multicast_problem()
    if problem is not None:
        pytest.skip(problem)
    port = unique_port()
    hostile_title = "\x1b]0;owned\x07Evil \x1b[2J\u202egnp.exe\u200f " + "x" * 150
    records = [
        # name, port, title, properties beyond the title
        ("hostile", port, hostile_title, {"v": "\x1b[31m1", "tls": "1", "fp": "not-hex; rm"}),
        ("beta", port + 1, "beta group", {"v": "1", "tls": "0"}),
        ("alpha", port + 2, "Alpha group", {"v": "1", "tls": "0"}),
        ("alpha again", port + 2, "Alpha group", {"v": "1", "tls": "0"}),  # same address and port
    ]
    async with AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only) as zeroconf:
        for name, service_port, title, extra in records:
            info = AsyncServiceInfo(
                SERVICE_TYPE,
                f"{name} {port}.{SERVICE_TYPE}",
                port=service_port,
                properties={"title": title, **extra},
                server=f"evil-{port}.local.",
                parsed_addresses=["127.0.0.1"],
            )
            await zeroconf.async_register_service(info, cooperating_responders=True)
        found = [s for s in await browse(1.5, interfaces=LOOPBACK) if port <= s.port <= port + 2]

    assert [s.title for s in found[:2]] == ["Alpha group", "beta group"]  # sorted, one Alpha
    assert len(found) == 3
    hostile = found[2]
    assert len(hostile.title) == advertisement.MAX_TITLE_CHARS
    for session in found:
        for text in (session.title, session.host, session.version, session.name):
            assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u200f" for c in text)
    assert hostile.title.startswith("Evil gnp.exe xxx")
    assert hostile.version == "1"
    assert hostile.tls and hostile.fingerprint_prefix == ""


async def test_one_session_stopping_leaves_the_others_reachable() -> None:
    """Two sessions on one laptop: the goodbye of the one that stops must not withdraw the
    address records the other one still needs (each has its own SRV target host name)."""
    problem = loopback_multicast_problem()
    if problem is not None:
        pytest.skip(problem)
    port = unique_port()
    staying, leaving = Advertiser(interfaces=LOOPBACK), Advertiser(interfaces=LOOPBACK)
    try:
        started = await asyncio.gather(staying.start("Staying", port, False, ["127.0.0.1"]),
                                       leaving.start("Leaving", port + 1, False, ["127.0.0.1"]))
        if not all(started):
            pytest.skip("zeroconf cannot advertise over loopback here")
        async with AsyncZeroconf(interfaces=LOOPBACK, ip_version=IPVersion.V4Only) as zeroconf:
            assert staying.service_name is not None
            info = AsyncServiceInfo(SERVICE_TYPE, staying.service_name)
            assert await info.async_request(zeroconf.zeroconf, 3000)  # now in this cache
            await leaving.stop()
            await asyncio.sleep(1.5)  # goodbye records expire one second after they arrive
            again = AsyncServiceInfo(SERVICE_TYPE, staying.service_name)
            assert again.load_from_cache(zeroconf.zeroconf)
            assert again.parsed_addresses() == ["127.0.0.1"]
    finally:
        await asyncio.gather(staying.stop(), leaving.stop())


async def test_cancelling_start_releases_everything() -> None:
    problem = loopback_multicast_problem()
    if problem is not None:
        pytest.skip(problem)
    advertiser = Advertiser(interfaces=LOOPBACK)
    task = asyncio.create_task(advertiser.start("Cancelled", unique_port(), False, ["127.0.0.1"]))
    await asyncio.sleep(0.3)  # in the middle of probing for the name
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not advertiser.advertising
    await advertiser.stop()
    gc.collect()  # an unclosed socket would now raise ResourceWarning (an error here)


# --- across two namespaces ("two laptops in one room") --------------------------------------


@pytest.mark.slow
def test_discovery_and_join_across_three_machines() -> None:
    """The host laptop and two participants' laptops on one Wi-Fi (a bridge in the host's
    namespace stands in for the access point): both find the session and join it."""
    with namespaces(3) as (host_ns, ana_ns, ben_ns):
        ip = require_netns()
        token = host_ns.split("-")[1]
        bridge = f"wtb{token}"
        run(ip, "-n", host_ns, "link", "add", bridge, "type", "bridge")
        run(ip, "-n", host_ns, "addr", "add", "10.231.0.1/24", "dev", bridge)
        run(ip, "-n", host_ns, "link", "set", bridge, "up")
        run(ip, "-n", host_ns, "link", "set", "lo", "up")
        for index, guest_ns in enumerate((ana_ns, ben_ns)):
            host_end, guest_end = f"wth{index}{token}", f"wtg{index}{token}"
            run(ip, "-n", host_ns, "link", "add", host_end, "type", "veth", "peer", "name", guest_end,
                "netns", guest_ns)
            run(ip, "-n", host_ns, "link", "set", host_end, "master", bridge)
            run(ip, "-n", host_ns, "link", "set", host_end, "up")
            run(ip, "-n", guest_ns, "addr", "add", f"10.231.0.{index + 2}/24", "dev", guest_end)
            run(ip, "-n", guest_ns, "link", "set", "lo", "up")
            run(ip, "-n", guest_ns, "link", "set", guest_end, "up")
            wait_link_up(ip, guest_ns, guest_end)
        wait_link_up(ip, host_ns, bridge)

        title = "Why is the teen centre so popular?"
        with subprocess.Popen(in_namespace(host_ns, "serve", title), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
            try:
                check_discovery_and_join(server, ana_ns, ben_ns, title)
            finally:
                try:
                    _, log = server.communicate(timeout=5)  # closes stdin: the server stops
                except subprocess.TimeoutExpired:
                    server.kill()
                    _, log = server.communicate(timeout=5)
                sys.stderr.write(f"host's log:\n{log}")


def check_discovery_and_join(server: subprocess.Popen[str], ana_ns: str, ben_ns: str, title: str) -> None:
    assert server.stdout is not None
    readable, _, _ = select.select([server.stdout], [], [], 10.0)
    assert readable, "the host did not start within 10 s"
    ready = last_json_line(server.stdout.readline())
    assert ready["ready"] is True, ready
    assert ready["addresses"] == ["10.231.0.1"]  # lan_addresses() on the host "laptop"
    assert ready["urls"] == [f"wss://10.231.0.1:{ready['port']}"]  # what the host's screen shows

    with subprocess.Popen(in_namespace(ana_ns, "browse", "2.0", "Ana", "wait"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as ana:
        assert ana.stdout is not None
        readable, _, _ = select.select([ana.stdout], [], [], 10.0)
        assert readable, "Ana's laptop found and joined nothing within 10 s"
        assert last_json_line(ana.stdout.readline()) == {"joined": True}
        ben = run(*in_namespace(ben_ns, "browse", "2.0", "Ben"))
        ana_out, ana_log = ana.communicate(timeout=20)
    sys.stderr.write(f"Ana's log:\n{ana_log}\nBen's log:\n{ben.stderr}")
    for result, name, address in ((last_json_line(ana_out), "Ana", "10.231.0.2"),
                                  (last_json_line(ben.stdout), "Ben", "10.231.0.3")):
        assert result["lan_addresses"] == [address]
        assert result["sessions"] == [{
            "title": title,
            "host": result["sessions"][0]["host"],
            "addresses": ["10.231.0.1"],
            "port": ready["port"],
            "tls": True,
            "fingerprint_prefix": ready["fingerprint"][:32],
            "url": f"wss://10.231.0.1:{ready['port']}",
        }]
        # Joined what it found, over TLS, having seen the host's own certificate.
        assert result["peer_fingerprint"] == ready["fingerprint"]
        assert result["welcomed"] == name
    assert last_json_line(ana_out)["saw"] == "Ben"  # one live session across the "laptops"


@pytest.mark.slow
def test_network_trouble_does_not_crash_anything() -> None:
    with namespaces(1) as (namespace,):
        ip = require_netns()
        # Every interface down: no multicast-capable interface at all.
        done = run(*in_namespace(namespace, "no-interface"))
        assert last_json_line(done.stdout) == {"started": False, "found": []}
        assert "Cannot advertise the session on the local network" in done.stderr
        assert "Cannot look for sessions on the local network" in done.stderr

        # lo up, but UDP 5353 held by a socket that will not share it.
        run(ip, "-n", namespace, "link", "set", "lo", "up")
        done = run(*in_namespace(namespace, "port-busy"))
        assert last_json_line(done.stdout) == {"started": False, "found": []}
        assert "Cannot advertise the session on the local network" in done.stderr
        assert "Address already in use" in done.stderr


# --- unit tests (always run) ----------------------------------------------------------------


async def test_failures_are_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_multicast(*args: object, **kwargs: object) -> AsyncZeroconf:
        raise OSError(19, "No such device")

    monkeypatch.setattr(discovery, "AsyncZeroconf", no_multicast)
    monkeypatch.setattr(lan, "AsyncZeroconf", no_multicast)
    advertiser = Advertiser()
    assert await advertiser.start("Room 4", 8765, False, ["192.168.1.20"]) is False
    assert not advertiser.advertising and advertiser.service_name is None
    await advertiser.stop()
    assert await browse(0.1) == []
    messages = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("Cannot advertise" in m and "No such device" in m for m in messages)
    assert any("Cannot look for sessions" in m for m in messages)


async def test_advertiser_rejects_nonsense_arguments() -> None:
    with pytest.raises(ValueError):
        await Advertiser().start("x", 0, False, ["127.0.0.1"])
    with pytest.raises(ValueError):
        await Advertiser().start("x", 8765, False, ["not an address"])


def test_advertised_names_are_safe() -> None:
    assert advertisement.clean_title("  Why?\x1b[31m  \u202eNow\n") == "Why? Now"
    long = advertisement.clean_title("é" * 500)
    assert len(long) == advertisement.MAX_TITLE_CHARS and len(long.encode()) <= 200
    assert discovery._instance_name("St. Mary's hall") == "St Mary's hall"
    assert discovery._instance_name("") == "whytree"
    assert len(discovery._instance_name("界" * 100).encode()) <= 60


def test_found_session_urls() -> None:
    session = FoundSession(title="t", host="h.local", addresses=("10.0.0.5", "fd00::5"), port=8765, tls=False)
    assert session.url == "ws://10.0.0.5:8765"
    assert session.urls == ("ws://10.0.0.5:8765", "ws://[fd00::5]:8765")
    assert lan._rank_addresses(["fe80::1", "127.0.0.1", "fd00::5", "8.8.8.8", "169.254.3.4",
                                      "192.168.1.9", "garbage"]) == (
        "192.168.1.9", "8.8.8.8", "169.254.3.4", "fd00::5", "127.0.0.1")


def test_lan_addresses_on_this_machine() -> None:
    addresses = lan_addresses()
    assert addresses
    assert all(isinstance(ipaddress.ip_address(a), ipaddress.IPv4Address) for a in addresses)
    assert len(set(addresses)) == len(addresses)
    if addresses != ["127.0.0.1"]:
        assert not any(ipaddress.ip_address(a).is_loopback for a in addresses)


def adapter(name: str, *addresses: str) -> ifaddr.Adapter:
    return ifaddr.Adapter(name, name, [ifaddr.IP(a, 24, name) for a in addresses])


def test_lan_addresses_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ifaddr, "get_adapters", lambda: [
        adapter("lo", "127.0.0.1"),
        adapter("docker0", "172.17.0.1"),
        adapter("eth0", "169.254.10.20"),
        adapter("wlan0", "192.168.1.23"),
        adapter("enp3s0", "10.0.0.7"),
    ])
    monkeypatch.setattr(discovery, "_routed_address", lambda: "10.0.0.7")
    assert lan_addresses() == ["10.0.0.7", "192.168.1.23", "169.254.10.20", "172.17.0.1"]

    monkeypatch.setattr(discovery, "_routed_address", lambda: None)
    monkeypatch.setattr(ifaddr, "get_adapters", lambda: [adapter("lo", "127.0.0.1")])
    assert lan_addresses() == ["127.0.0.1"]
