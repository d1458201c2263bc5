"""Being found on the local network: the server's mDNS / DNS-SD advertisement.

The server advertises one ``_whytree._tcp.local.`` service per running session with
`Advertiser`; a participant's screen lists them (`whytree.tui.lan`). What the
advertisement says is in `whytree.shared.advertisement`: the title, the protocol version,
whether TLS is on and the start of the certificate's fingerprint (what the host's screen
shows, see `whytree.server.tls`) -- **never** the join code or the facilitator key.
Discovery is a convenience only: guest Wi-Fi often blocks multicast, so every failure here
is logged and swallowed, and typing the address (`lan_addresses()` gives the ones to
print as ``ws://ADDR:PORT``) always works.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import socket
from collections.abc import Sequence

import ifaddr
from zeroconf import InterfaceChoice, IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from whytree.shared.advertisement import (
    FINGERPRINT_PREFIX_DIGITS,
    PROTOCOL_VERSION,
    SERVICE_TYPE,
    clean_title,
)

__all__ = [
    "Advertiser",
    "Interfaces",
    "lan_addresses",
]

logger = logging.getLogger(__name__)

Interfaces = InterfaceChoice | Sequence[str | int]
"""Which interfaces zeroconf uses: ``InterfaceChoice.All``/``Default`` or a list of
interface addresses (e.g. ``["127.0.0.1"]`` to stay on this machine)."""

_MAX_INSTANCE_BYTES = 63 - 3  # DNS-SD instance label limit, with room for zeroconf's "-2" renames

_NOT_HOSTNAME = re.compile(r"[^A-Za-z0-9-]+")


# --- addresses --------------------------------------------------------------------------


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses a participant can connect to, best first.

    Sends no packets and needs no internet: the interface holding the route towards a
    private network comes first, then private (RFC 1918) addresses, other addresses,
    link-local 169.254.x.x ones, with those of well-known virtual adapters (docker,
    VirtualBox, VPNs, ...) last. 127.0.0.1 only when there is nothing else.
    """
    found: dict[str, str] = {}  # address -> adapter name
    try:
        for adapter in ifaddr.get_adapters():
            for ip in adapter.ips:
                if ip.is_IPv4 and isinstance(ip.ip, str):
                    found.setdefault(ip.ip, str(adapter.nice_name or adapter.name))
    except Exception as error:  # ifaddr is best effort; fall back below
        logger.debug("ifaddr could not list the network adapters: %s", error)
    if not found:
        with contextlib.suppress(OSError, UnicodeError):
            for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
                found.setdefault(str(sockaddr[0]), "")
    routed = _routed_address()
    if routed is not None:
        found.setdefault(routed, "")

    def rank(address: str) -> tuple[bool, bool, int, ipaddress.IPv4Address]:
        ip = ipaddress.IPv4Address(address)
        kind = 2 if ip.is_link_local else (0 if ip.is_private else 1)
        return (address != routed, _is_virtual_adapter(found[address]), kind, ip)

    usable = [a for a in found if not ipaddress.IPv4Address(a).is_loopback
              and not ipaddress.IPv4Address(a).is_unspecified]
    if not usable:
        return ["127.0.0.1"]
    return sorted(usable, key=rank)


def _routed_address() -> str | None:
    """The source address the kernel would use towards a private network, found by
    "connecting" a UDP socket (which only picks a route; no packet is sent)."""
    for target in ("10.254.254.254", "192.168.254.254", "172.31.254.254"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                address = str(probe.getsockname()[0])
        except OSError:
            continue
        ip = ipaddress.IPv4Address(address)
        if not (ip.is_loopback or ip.is_unspecified):
            return address
    return None


_VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "tun", "tap",
                     "utun", "wg", "tailscale", "zt", "lxc", "lxd", "podman", "cni")


def _is_virtual_adapter(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(_VIRTUAL_PREFIXES) or "virtual" in lowered or "vpn" in lowered


# --- advertising -----------------------------------------------------------------------


def _instance_name(title: str) -> str:
    """A DNS-SD instance label from the title: no dots (other stacks treat them as label
    separators), at most 60 UTF-8 bytes, never empty."""
    text = " ".join(title.replace(".", " ").split())
    while len(text.encode("utf-8")) > _MAX_INSTANCE_BYTES:
        text = text[:-1]
    return text.strip() or "whytree"


def _host_name(port: int) -> str:
    """The host name the SRV record points to: ``whytree-<this host>-<port>.local.``.

    Not the machine's own ``<host>.local`` (the operating system's responder owns that
    name and would see our records as a conflict), and one per port: when a session stops,
    its "goodbye" withdraws its host's address records, which must not take the address of
    another session on the same laptop with them.
    """
    label = _NOT_HOSTNAME.sub("-", socket.gethostname().split(".")[0]).strip("-").lower()
    label = label[: 63 - len(f"whytree--{port}")].strip("-")
    return f"whytree-{label}-{port}.local." if label else f"whytree-{port}.local."


class Advertiser:
    """Advertises one session on the LAN while it runs.

    ``start`` probes the network for a unique name (about two seconds; a second session
    with the same title becomes "Title-2"), then answers queries until ``stop``. It never
    raises for network trouble (no multicast-capable interface, port 5353 taken by another
    responder that does not share it, ...): it logs one warning and returns False, and the
    session carries on without being listed. A server that does not want to wait can run
    ``start`` as a task.

    `interfaces` is passed to zeroconf (``InterfaceChoice.All`` by default; e.g.
    ``["127.0.0.1"]`` to stay on this machine).
    """

    def __init__(self, *, interfaces: Interfaces = InterfaceChoice.All) -> None:
        self._interfaces = interfaces
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    @property
    def advertising(self) -> bool:
        """True between a successful `start` and `stop`."""
        return self._info is not None

    @property
    def service_name(self) -> str | None:
        """The full DNS-SD name in use (after any renaming), while advertising."""
        return self._info.name if self._info is not None else None

    async def start(
        self,
        title: str,
        port: int,
        tls: bool,
        addresses: list[str] | None = None,
        *,
        fingerprint: str | None = None,
    ) -> bool:
        """Advertise a session called `title` on `port`; True if the LAN can now see it.

        `addresses` (IPv4/IPv6 literals) default to `lan_addresses()`. With `tls`, pass the
        certificate's `fingerprint` (hex, any spacing): its first 16 bytes are advertised.
        Calling `start` again replaces the previous advertisement.
        """
        await self.stop()
        if not 0 < port < 65536:
            raise ValueError(f"port out of range: {port}")
        title = clean_title(title)
        properties: dict[str, str] = {"title": title, "v": PROTOCOL_VERSION, "tls": "1" if tls else "0"}
        if tls and fingerprint:
            digits = re.sub(r"[^0-9A-Fa-f]", "", fingerprint).upper()
            properties["fp"] = digits[:FINGERPRINT_PREFIX_DIGITS]
        chosen = _valid_addresses(addresses if addresses is not None else lan_addresses())
        if not chosen:
            raise ValueError(f"no usable address in {addresses!r}")
        info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{_instance_name(title)}.{SERVICE_TYPE}",
            port=port,
            properties=properties,
            server=_host_name(port),
            parsed_addresses=chosen,
        )
        zeroconf: AsyncZeroconf | None = None
        try:
            zeroconf = AsyncZeroconf(interfaces=self._interfaces, ip_version=_ip_version(chosen))
            announced = await zeroconf.async_register_service(info, allow_name_change=True)
            await announced
        except Exception as error:  # discovery must never take the server down
            logger.warning(
                "Cannot advertise the session on the local network (%s: %s); "
                "participants can still join by typing the address.",
                type(error).__name__, error,
            )
            await _close_quietly(zeroconf)
            return False
        except BaseException:  # cancelled while probing: release the sockets, then go on
            await _close_quietly(zeroconf)
            raise
        self._zeroconf, self._info = zeroconf, info
        logger.info("Advertising %r on the local network as %s", title, info.name)
        return True

    async def stop(self) -> None:
        """Withdraw the advertisement (sends "goodbye" packets) and close the sockets."""
        zeroconf, self._zeroconf, self._info = self._zeroconf, None, None
        if zeroconf is None:
            return
        try:
            await zeroconf.async_close()  # unregisters every service first
        except Exception as error:  # never raise for network trouble
            logger.warning("Stopping the LAN advertisement failed: %s", error)


async def _close_quietly(zeroconf: AsyncZeroconf | None) -> None:
    if zeroconf is not None:
        with contextlib.suppress(Exception):
            await zeroconf.async_close()


def _valid_addresses(addresses: Sequence[str]) -> list[str]:
    result: list[str] = []
    for address in addresses:
        with contextlib.suppress(ValueError):
            text = str(ipaddress.ip_address(address))
            if text not in result:
                result.append(text)
    return result


def _ip_version(addresses: Sequence[str]) -> IPVersion:
    versions = {ipaddress.ip_address(a).version for a in addresses}
    if versions == {6}:
        return IPVersion.V6Only
    return IPVersion.All if versions == {4, 6} else IPVersion.V4Only
