"""Child process for the discovery tests that need a separate network namespace.

`tests/test_discovery.py` runs it with ``ip netns exec NAME python tests/netns_child.py ...``
so that the advertiser and the browser behave like two machines joined by a cable. Each
mode prints one JSON line on stdout; log lines go to stderr.

    serve TITLE           the real whytree server (TLS, data in a temporary folder, join
                          code 135792) on port 0, announced on the network; prints
                          {"ready": ...}, then runs until stdin is closed
    browse TIMEOUT NAME [WAIT]
                          browse(), then join the first session found over wss as NAME
                          (its certificate checked against the advertised prefix) with the
                          code; with WAIT, stay until someone else joins and say who
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

from whytree.server.app import Server, ServerConfig
from whytree.server.discovery import Advertiser, lan_addresses
from whytree.tui.lan import browse
from whytree.tui.trust import client_ssl_context, peer_fingerprint


def say(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


CODE = "135792"


async def run_server(title: str) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(ServerConfig(data_dir=Path(data_dir), port=0, title=title, code=CODE, tls=True))
        await server.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 8.0
        while not server.advertising and loop.time() < deadline:
            await asyncio.sleep(0.05)
        say({"ready": server.advertising, "addresses": lan_addresses(), "port": server.port,
             "fingerprint": server.fingerprint, "urls": server.urls})
        await loop.run_in_executor(None, sys.stdin.read)
        await server.stop()


async def run_browser(timeout: float, name: str, wait: bool) -> None:
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
        async with connect(found[0].url, ssl=client_ssl_context(), open_timeout=3,
                           compression=None) as connection:
            result["peer_fingerprint"] = peer_fingerprint(connection)
            await connection.send(json.dumps({"type": "join", "code": CODE, "name": name}))
            welcome = json.loads(await asyncio.wait_for(connection.recv(), 3))
            result["welcomed"] = welcome["you"]["name"]
            if wait:
                say({"joined": True})  # the test starts the other participant now
                while True:
                    frame = json.loads(await asyncio.wait_for(connection.recv(), 15))
                    if frame.get("command", {}).get("type") == "person_joined":
                        result["saw"] = frame["command"]["person"]["name"]
                        break
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
        asyncio.run(run_browser(float(argv[1]), argv[2], len(argv) > 3))
    elif mode == "no-interface":
        asyncio.run(run_no_interface())
    elif mode == "port-busy":
        asyncio.run(run_port_busy())
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
