"""Finding sessions on the local network: the participant's side of mDNS / DNS-SD.

`browse()` listens for the sessions hosts advertise (`whytree.server.discovery`) and
returns them as `FoundSession`s for the join screen's list. What an advertisement says is
in `whytree.shared.advertisement`. Everything read from the network here is treated as
hostile: cleaned, bounded and validated before it reaches a screen. Discovery is a
convenience only: guest Wi-Fi often blocks multicast, so every failure is logged and
swallowed (`browse` returns ``[]``), and typing the address always works.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from whytree.shared.advertisement import (
    FINGERPRINT_PREFIX_DIGITS,
    PROTOCOL_VERSION,
    SERVICE_TYPE,
    clean_title,
)
from whytree.shared.text import clean

__all__ = ["FoundSession", "Interfaces", "browse"]

logger = logging.getLogger(__name__)

Interfaces = InterfaceChoice | Sequence[str | int]
"""Which interfaces zeroconf uses: ``InterfaceChoice.All``/``Default`` or a list of
interface addresses (e.g. ``["127.0.0.1"]`` to stay on this machine)."""

_MAX_HOST_CHARS = 80
_MAX_ADDRESSES = 8
_RESOLVE_GRACE = 0.5  # seconds browse() waits beyond `timeout` for answers already asked for

_HEX = re.compile(r"[0-9A-Fa-f]+")


def _url(address: str, port: int, tls: bool) -> str:
    scheme = "wss" if tls else "ws"
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}"


@dataclass(frozen=True, slots=True)
class FoundSession:
    """A session seen on the LAN. Every field is cleaned and bounded; nothing in it is
    proof of who runs the session (with TLS, check the fingerprint on connecting)."""

    title: str
    host: str
    """The advertised host name, e.g. ``whytree-annas-laptop.local``."""
    addresses: tuple[str, ...]
    """Best first: IPv4, private, then the rest."""
    port: int
    tls: bool
    fingerprint_prefix: str = ""
    """With TLS: the first 16 bytes of the certificate fingerprint, 32 upper-case hex digits."""
    version: str = PROTOCOL_VERSION
    name: str = ""
    """The full DNS-SD service name (unique on the network)."""

    @property
    def url(self) -> str:
        """``ws://ADDR:PORT`` (``wss://`` with TLS) for the best address."""
        return _url(self.addresses[0], self.port, self.tls)

    @property
    def urls(self) -> tuple[str, ...]:
        """A URL for every advertised address, best first."""
        return tuple(_url(address, self.port, self.tls) for address in self.addresses)


async def browse(
    timeout: float = 2.0,
    interfaces: Interfaces = InterfaceChoice.All,
) -> list[FoundSession]:
    """Listen for whytree sessions for `timeout` seconds; return them sorted by title.

    Never raises for network trouble: if multicast cannot be used it logs a warning and
    returns ``[]`` (the TUI then offers manual entry). Sessions that withdraw during the
    wait are dropped; one entry per address and port.
    """
    try:
        zeroconf = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    except Exception as error:  # never raise for network trouble
        logger.warning("Cannot look for sessions on the local network (%s: %s)", type(error).__name__, error)
        return []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    names: set[str] = set()
    requests: set[asyncio.Task[bool]] = set()

    def ask(name: str) -> None:
        # Ask for any records not already in the answer (SRV, TXT, A), in the background.
        remaining_ms = max(100.0, (deadline + _RESOLVE_GRACE - loop.time()) * 1000)
        request = AsyncServiceInfo(SERVICE_TYPE, name).async_request(zeroconf.zeroconf, remaining_ms)
        task = loop.create_task(request)
        requests.add(task)
        task.add_done_callback(requests.discard)

    def on_change(zeroconf: Any, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            names.discard(name)
        elif name.lower().endswith(SERVICE_TYPE.lower()):
            names.add(name)
            ask(name)

    browser: AsyncServiceBrowser | None = None
    try:
        browser = AsyncServiceBrowser(zeroconf.zeroconf, SERVICE_TYPE, handlers=[on_change])
        await asyncio.sleep(timeout)
        if requests:
            await asyncio.wait(set(requests), timeout=_RESOLVE_GRACE)
        sessions: dict[str, FoundSession] = {}
        for name in sorted(names):
            info = AsyncServiceInfo(SERVICE_TYPE, name)
            if info.load_from_cache(zeroconf.zeroconf):
                found = _found_session(info)
                if found is not None:
                    sessions.setdefault(found.url, found)
        return sorted(sessions.values(), key=lambda s: (s.title.casefold(), s.title, s.url))
    except Exception as error:  # never raise for network trouble
        logger.warning("Looking for sessions on the local network failed (%s: %s)",
                       type(error).__name__, error)
        return []
    finally:
        for task in list(requests):
            task.cancel()
        with contextlib.suppress(Exception):
            if browser is not None:
                await browser.async_cancel()
        with contextlib.suppress(Exception):
            await zeroconf.async_close()


def _found_session(info: AsyncServiceInfo) -> FoundSession | None:
    """Turn a resolved service into a FoundSession, or None if it is not usable."""
    port = info.port
    if port is None or not 0 < port < 65536:
        return None
    addresses = _rank_addresses(info.parsed_addresses())
    if not addresses:
        return None
    properties = {
        key.decode("ascii", "replace").lower(): (value or b"").decode("utf-8", "replace")
        for key, value in info.properties.items()
    }
    instance = info.name[: -len(SERVICE_TYPE)].rstrip(".") if info.name.endswith(SERVICE_TYPE) else info.name
    title = clean_title(properties.get("title", "")) or clean_title(instance) or "whytree"
    host = clean(info.server or "").rstrip(".")[:_MAX_HOST_CHARS]
    fingerprint = properties.get("fp", "")
    fingerprint = fingerprint.upper()[:FINGERPRINT_PREFIX_DIGITS] if _HEX.fullmatch(fingerprint) else ""
    return FoundSession(
        title=title,
        host=host,
        addresses=addresses,
        port=port,
        tls=properties.get("tls", "0").strip() == "1",
        fingerprint_prefix=fingerprint,
        version=clean(properties.get("v", ""))[:16],
        name=clean(info.name)[:_MAX_HOST_CHARS * 2],
    )


def _rank_addresses(addresses: Sequence[str]) -> tuple[str, ...]:
    """Usable addresses, best first: IPv4 before IPv6, private before public, link-local
    and loopback last; IPv6 link-local is dropped (it needs a scope a URL cannot carry)."""
    ranked: list[tuple[tuple[int, int, int], str]] = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip.is_unspecified or ip.is_multicast or (ip.version == 6 and ip.is_link_local):
            continue
        key = (int(ip.is_loopback), ip.version, 2 if ip.is_link_local else (0 if ip.is_private else 1))
        ranked.append((key, str(ip)))
    unique = dict.fromkeys(address for _, address in sorted(ranked))
    return tuple(unique)[:_MAX_ADDRESSES]
