"""Optional TLS for `whytree host --tls` / `whytree serve --tls`, and what a client needs to trust it.

There is no certificate authority in a community-centre room and no internet to reach one,
so whytree uses a **self-signed certificate** and **trust on first use** (like SSH):

* The server calls `ensure_certificate(data_dir)` once at start-up. The first time it
  creates an EC P-256 key and a self-signed certificate (CN "whytree", valid about ten
  years) in `<data_dir>/tls/` (folder mode 0o700, key mode 0o600); every later run reuses
  the same pair, so its fingerprint stays the same and clients keep trusting it. The
  certificate is deliberately not re-issued when the laptop's addresses change: clients
  check the fingerprint, not the names in it.
* `CertInfo.fingerprint` is the SHA-256 of the DER certificate (64 upper-case hex digits).
  People compare it by eye as `format_fingerprint(...)`: the first 16 bytes in groups of
  four hex digits, e.g. ``AB12 CD34 EF56 ...`` (`CertInfo.short_fingerprint`). The host
  shows it next to the join address; the LAN advertisement carries the same prefix.
* `server_ssl_context(info)` is passed as ``ssl=`` to ``websockets.asyncio.server.serve``.

On the client side:

* `client_ssl_context()` does **not** verify the certificate against CAs or the host name
  (there are none to verify against); it still completes a full TLS handshake, so the
  server's certificate can be read and its fingerprint checked.
* Right after connecting, and **before sending `join`** (which carries the join code or
  the facilitator key), read the server's fingerprint and check it with `KnownHosts`::

      from websockets.asyncio.client import connect
      from whytree.server.tls import KnownHosts, client_ssl_context, host_port, peer_fingerprint

      known = KnownHosts.in_dir(client_data_dir)
      async with connect(url, ssl=client_ssl_context()) as connection:
          fingerprint = peer_fingerprint(connection)
          # == connection.transport.get_extra_info("ssl_object").getpeercert(binary_form=True),
          #    hashed with SHA-256
          verdict = known.check(host_port(url), fingerprint)
          if verdict == "changed":
              ...  # refuse: warn loudly, do not send the code
          elif verdict == "new":
              ...  # show format_fingerprint(fingerprint); when the person confirms it
              known.remember(host_port(url), fingerprint)  # matches the host's screen
          await connection.send(join_frame)

  The websocket upgrade request sent during `connect` carries no secret, so checking after
  the handshake and before `join` is enough.
* `KnownHosts` keeps ``{"host:port": fingerprint}`` in a JSON file (mode 0o600) in the
  client's data directory and answers "new", "same" or "changed".
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import POSIX, private_dir, write_private

__all__ = [
    "CertInfo",
    "KnownHosts",
    "Verdict",
    "certificate_fingerprint",
    "client_ssl_context",
    "ensure_certificate",
    "format_fingerprint",
    "host_port",
    "normalize_fingerprint",
    "peer_fingerprint",
    "server_ssl_context",
    "transport_fingerprint",
]

logger = logging.getLogger(__name__)

TLS_DIR_NAME = "tls"
CERT_FILE_NAME = "cert.pem"
KEY_FILE_NAME = "key.pem"
KNOWN_HOSTS_FILE_NAME = "known_hosts.json"
COMMON_NAME = "whytree"
VALIDITY = datetime.timedelta(days=3650)
# Re-issue a certificate this close to its end (after ~10 years of use).
RENEW_BEFORE = datetime.timedelta(days=30)
FINGERPRINT_HEX_DIGITS = 64
DISPLAY_BYTES = 16

Verdict = Literal["new", "same", "changed"]

_HEX = re.compile(r"[0-9A-F]*")
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


# --- fingerprints -------------------------------------------------------------------------


def certificate_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER-encoded certificate, as 64 upper-case hex digits."""
    return hashlib.sha256(der).hexdigest().upper()


def normalize_fingerprint(text: str) -> str:
    """Upper-case hex digits only: accepts ``ab12cd...``, ``AB12 CD34 ...`` and ``AB:12:...``.

    Raises ValueError if anything but hex digits and separators is present.
    """
    digits = re.sub(r"[\s:.-]", "", text).upper()
    if not _HEX.fullmatch(digits):
        raise ValueError(f"not a fingerprint: {text!r}")
    return digits


def format_fingerprint(fingerprint: str, nbytes: int = DISPLAY_BYTES) -> str:
    """The first `nbytes` bytes of a fingerprint in groups of four hex digits:
    ``AB12 CD34 EF56 7890 ...``, which people can read aloud and compare."""
    digits = normalize_fingerprint(fingerprint)[: 2 * nbytes]
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


# --- the server's certificate -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CertInfo:
    """Where the server's certificate and key are, and the certificate's fingerprint."""

    cert_path: Path
    key_path: Path
    fingerprint: str
    """SHA-256 of the DER certificate: 64 upper-case hex digits."""
    not_after: datetime.datetime
    created: bool = False
    """True when `ensure_certificate` made this certificate just now."""

    @property
    def short_fingerprint(self) -> str:
        """What people compare: the first 16 bytes in groups of four, ``AB12 CD34 ...``."""
        return format_fingerprint(self.fingerprint)

    @property
    def fingerprint_prefix(self) -> str:
        """The first 16 bytes as 32 hex digits without spaces (for the LAN advertisement)."""
        return self.fingerprint[: 2 * DISPLAY_BYTES]


def ensure_certificate(
    data_dir: Path,
    *,
    hostname: str | None = None,
    addresses: Sequence[str] | None = None,
) -> CertInfo:
    """Return the server's certificate in `data_dir/tls/`, creating it the first time.

    A pair that exists, loads, matches (key and certificate) and is not about to expire is
    reused as is, so its fingerprint never changes between runs. Otherwise a new EC P-256
    key and self-signed certificate are written (key 0o600, folder 0o700). `hostname` and
    `addresses` only go into the subject alternative names of a *new* certificate; they
    default to this machine's host name and LAN addresses.
    """
    tls_dir = Path(data_dir) / TLS_DIR_NAME
    private_dir(tls_dir)
    cert_path = tls_dir / CERT_FILE_NAME
    key_path = tls_dir / KEY_FILE_NAME

    existing = _load_existing(cert_path, key_path)
    if existing is not None:
        return existing

    if hostname is None:
        hostname = socket.gethostname()
    if addresses is None:
        from .discovery import lan_addresses  # local import: discovery pulls in zeroconf

        addresses = lan_addresses()
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _self_signed(key, hostname, addresses)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Key first: a crash between the two writes leaves a mismatched pair, which the next
    # start detects and replaces.
    write_private(key_path, key_pem)
    write_private(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    info = CertInfo(
        cert_path=cert_path,
        key_path=key_path,
        fingerprint=certificate_fingerprint(certificate.public_bytes(serialization.Encoding.DER)),
        not_after=certificate.not_valid_after_utc,
        created=True,
    )
    logger.info("Created a TLS certificate in %s (fingerprint %s)", tls_dir, info.short_fingerprint)
    return info


def server_ssl_context(info: CertInfo) -> ssl.SSLContext:
    """A server-side context for ``websockets.asyncio.server.serve(..., ssl=...)``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=info.cert_path, keyfile=info.key_path)
    return context


def _load_existing(cert_path: Path, key_path: Path) -> CertInfo | None:
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        logger.warning("The TLS certificate in %s cannot be read (%s); making a new one",
                       cert_path.parent, error)
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        logger.warning("The TLS key in %s does not match its certificate; making a new one",
                       cert_path.parent)
        return None
    now = datetime.datetime.now(datetime.UTC)
    if certificate.not_valid_after_utc - now < RENEW_BEFORE:
        logger.warning("The TLS certificate in %s expires on %s; making a new one",
                       cert_path.parent, certificate.not_valid_after_utc.date())
        return None
    if POSIX and key_path.stat().st_mode & 0o077:
        logger.warning("The TLS key %s was readable by others; restricting it to its owner", key_path)
        key_path.chmod(0o600)
    return CertInfo(
        cert_path=cert_path,
        key_path=key_path,
        fingerprint=certificate_fingerprint(certificate.public_bytes(serialization.Encoding.DER)),
        not_after=certificate.not_valid_after_utc,
    )


def _self_signed(
    key: ec.EllipticCurvePrivateKey, hostname: str, addresses: Iterable[str]
) -> x509.Certificate:
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    label = hostname.split(".")[0]
    for dns_name in (hostname, f"{label}.local"):
        if _is_dns_name(dns_name) and x509.DNSName(dns_name) not in names:
            names.append(x509.DNSName(dns_name))
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [
        ipaddress.IPv4Address("127.0.0.1"),
        ipaddress.IPv6Address("::1"),
    ]
    for address in addresses:
        with contextlib.suppress(ValueError):
            ip = ipaddress.ip_address(address)
            if ip not in ips:
                ips.append(ip)
    names.extend(x509.IPAddress(ip) for ip in ips)

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))  # tolerate a laptop clock that is behind
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def _is_dns_name(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return len(name) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in labels)


# --- the client side -----------------------------------------------------------------------


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
        # The folder may be a data directory shared with other things: create it private,
        # but leave an existing one's mode alone (the file itself is 0o600).
        private_dir(self.path.parent, tighten=False)
        text = json.dumps({"version": 1, "hosts": dict(sorted(hosts.items()))}, indent=2)
        write_private(self.path, (text + "\n").encode("utf-8"))


# --- files only their owner can read -------------------------------------------------------
