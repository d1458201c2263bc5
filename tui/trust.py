"""Trusting a host over TLS: the participant's half of trust on first use (like SSH).

A host started with `--tls` shows a self-signed certificate (`whytree.server.tls`); there
is no certificate authority to vouch for it, so the person checks its fingerprint once
against the host's screen and this laptop remembers it:

* `client_ssl_context()` does **not** verify the certificate against CAs or the host name
  (there are none to verify against); it still completes a full TLS handshake, so the
  server's certificate can be read and its fingerprint checked.
* Right after connecting, and **before sending `join`** (which carries the join code or
  the facilitator key), the link reads the server's fingerprint (`peer_fingerprint`) and
  the app checks it with `KnownHosts`: "changed" is refused loudly without sending the
  code; "new" is shown (`whytree.shared.fingerprint.format_fingerprint`) and remembered
  once the person confirms that it matches the host's screen. The websocket upgrade
  request sent during `connect` carries no secret, so checking after the handshake and
  before `join` is enough.
* `KnownHosts` keeps ``{"host:port": fingerprint}`` in a JSON file (mode 0o600) in the
  client's data directory and answers "new", "same" or "changed".
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import ssl
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from whytree.shared.fingerprint import certificate_fingerprint, normalize_fingerprint
from whytree.tui.files import write_private

__all__ = [
    "KnownHosts",
    "Verdict",
    "client_ssl_context",
    "host_port",
    "peer_fingerprint",
    "transport_fingerprint",
]

logger = logging.getLogger(__name__)

KNOWN_HOSTS_FILE_NAME = "known_hosts.json"

Verdict = Literal["new", "same", "changed"]


def client_ssl_context() -> ssl.SSLContext:
    """A client-side context for ``websockets.asyncio.client.connect(..., ssl=...)``.

    It checks neither CAs nor the host name (a self-signed certificate has neither); the
    caller MUST check the server's fingerprint with `peer_fingerprint` and `KnownHosts`
    before sending anything secret.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # must be switched off before verify_mode
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def transport_fingerprint(transport: Any) -> str:
    """The fingerprint of the certificate the peer of an asyncio TLS transport presented.

    Raises ValueError if the transport is not TLS or the peer sent no certificate.
    """
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        raise ValueError("not a TLS connection")
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise ValueError("the server presented no certificate")
    return certificate_fingerprint(bytes(der))


def peer_fingerprint(connection: Any) -> str:
    """The server's certificate fingerprint on an open websockets connection
    (``websockets.asyncio.client.ClientConnection``; anything with a ``.transport``).

    Equivalent to hashing
    ``connection.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)``.
    """
    return transport_fingerprint(connection.transport)


def host_port(url: str) -> str:
    """The ``host:port`` key `KnownHosts` uses for a ``ws://`` / ``wss://`` URL
    (``[v6]:port`` for IPv6; the default port of the scheme if none is given)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or (443 if parts.scheme in ("wss", "https") else 80)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class KnownHosts:
    """Trust on first use: the fingerprint each server (``host:port``) had when first met.

    Stored as JSON ``{"version": 1, "hosts": {"host:port": "FINGERPRINT"}}`` at `path`
    (mode 0o600; its folder is created 0o700). The file is read on every call, so several
    clients on one machine see each other's decisions.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_dir(cls, data_dir: Path) -> KnownHosts:
        """The known-hosts file in a client's data directory."""
        return cls(Path(data_dir) / KNOWN_HOSTS_FILE_NAME)

    def get(self, host_port: str) -> str | None:
        """The fingerprint remembered for `host_port`, if any."""
        return self._load().get(host_port.strip().lower())

    def check(self, host_port: str, fingerprint: str) -> Verdict:
        """"new" if this server was never seen, "same" if it shows the remembered
        certificate, "changed" if it shows another one (a new laptop, a deleted data
        folder, or someone pretending to be the host: do not send the code)."""
        known = self.get(host_port)
        if known is None:
            return "new"
        if hmac.compare_digest(known, normalize_fingerprint(fingerprint)):
            return "same"
        return "changed"

    def remember(self, host_port: str, fingerprint: str) -> None:
        """Trust `fingerprint` for `host_port` from now on (replacing any earlier one)."""
        hosts = self._load()
        hosts[host_port.strip().lower()] = normalize_fingerprint(fingerprint)
        self._save(hosts)

    def forget(self, host_port: str) -> None:
        """Drop what is remembered for `host_port`."""
        hosts = self._load()
        if hosts.pop(host_port.strip().lower(), None) is not None:
            self._save(hosts)

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning("Ignoring the unreadable known-hosts file %s (%s)", self.path, error)
            return {}
        hosts = data.get("hosts") if isinstance(data, dict) else None
        if not isinstance(hosts, dict):
            return {}
        result: dict[str, str] = {}
        for key, value in hosts.items():
            if isinstance(key, str) and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    result[key] = normalize_fingerprint(value)
        return result

    def _save(self, hosts: dict[str, str]) -> None:
        text = json.dumps({"version": 1, "hosts": dict(sorted(hosts.items()))}, indent=2)
        write_private(self.path, (text + "\n").encode("utf-8"))
