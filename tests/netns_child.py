"""Child process for the discovery tests that need a separate network namespace.

`tests/test_discovery.py` runs it with ``ip netns exec NAME python tests/netns_child.py ...``
so that the advertiser and the browser behave like two machines joined by a cable. Each
mode prints one JSON line on stdout; log lines go to stderr.

    serve TITLE           websocket echo server on port 0 (TLS, certificate in a temporary
                          folder) advertised with Advertiser; prints {"ready": ...}, then
                          runs until stdin is closed
    browse TIMEOUT        browse(), then connect to the first session found, check its
                          certificate against the advertised prefix and echo one message
    no-interface          Advertiser.start and browse() with every interface down
    port-busy             the same with UDP port 5353 held by a socket that will not share
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from whytree.server.discovery import Advertiser, browse, lan_addresses
from whytree.server.tls import (
    client_ssl_context,
    ensure_certificate,
    peer_fingerprint,
    server_ssl_context,
)


def say(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


async def run_server(title: str) -> None:
    addresses = lan_addresses()
    with tempfile.TemporaryDirectory() as data_dir:
        info = ensure_certificate(Path(data_dir))
        async with serve(echo, addresses[0], 0, ssl=server_ssl_context(info)) as server:
            port = server.sockets[0].getsockname()[1]
            advertiser = Advertiser()
            advertised = await advertiser.start(title, port, True, fingerprint=info.fingerprint)
            say({"ready": advertised, "addresses": addresses, "port": port,
                 "fingerprint": info.fingerprint, "name": advertiser.service_name})
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
            await advertiser.stop()


async def run_browser(timeout: float) -> None:
    found = await browse(timeout)
    result: dict[str, Any] = {
        "sessions": [
            {"title": s.title, "host": s.host, "addresses": list(s.addresses), "port": s.port,
             "tls": s.tls, "fingerprint_prefix": s.fingerprint_prefix, "url": s.url}
            for s in found
        ],
        "lan_addresses": lan_addresses(),
    }
    if found:
        async with connect(found[0].url, ssl=client_ssl_context(), open_timeout=3) as connection:
            result["peer_fingerprint"] = peer_fingerprint(connection)
            await connection.send("hello across the veth")
            result["echo"] = await asyncio.wait_for(connection.recv(), 3)
    say(result)


async def run_no_interface() -> None:
    """Every interface of this namespace is down: nothing to advertise or browse on."""
    advertiser = Advertiser()
    started = await advertiser.start("Nowhere", 8765, False)
    found = await browse(0.3)
    await advertiser.stop()
    say({"started": started, "found": [s.title for s in found]})


async def run_port_busy() -> None:
    """UDP port 5353 is held by a socket that does not allow sharing (as some other
    mDNS responders do)."""
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("0.0.0.0", 5353))
    try:
        advertiser = Advertiser()
        started = await advertiser.start("Busy", 8765, False, ["127.0.0.1"])
        found = await browse(0.3)
        await advertiser.stop()
    finally:
        blocker.close()
    say({"started": started, "found": [s.title for s in found]})


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    mode = argv[0]
    if mode == "serve":
        asyncio.run(run_server(argv[1]))
    elif mode == "browse":
        asyncio.run(run_browser(float(argv[1])))
    elif mode == "no-interface":
        asyncio.run(run_no_interface())
    elif mode == "port-busy":
        asyncio.run(run_port_busy())
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
