"""Optional TLS for `whytree host --tls` / `whytree serve --tls`: the host's own certificate.

There is no certificate authority in a community-centre room and no internet to reach one,
so whytree uses a **self-signed certificate** and **trust on first use** (like SSH):

* The server calls `ensure_certificate(data_dir)` once at start-up. The first time it
  creates an EC P-256 key and a self-signed certificate (CN "whytree", valid about ten
  years) in `<data_dir>/tls/` (folder mode 0o700, key mode 0o600); every later run reuses
  the same pair, so its fingerprint stays the same and clients keep trusting it. The
  certificate is deliberately not re-issued when the laptop's addresses change: clients
  check the fingerprint, not the names in it.
* `CertInfo.fingerprint` is the SHA-256 of the DER certificate (64 upper-case hex digits).
  People compare it by eye as `format_fingerprint(...)` (`whytree.shared.fingerprint`):
  the first 16 bytes in groups of four hex digits, e.g. ``AB12 CD34 EF56 ...``
  (`CertInfo.short_fingerprint`). The host shows it next to the join address; the LAN
  advertisement carries the same prefix.
* `server_ssl_context(info)` is passed as ``ssl=`` to ``websockets.asyncio.server.serve``.

The client's half -- checking that fingerprint before sending the join code, and
remembering it -- is `whytree.tui.trust`.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from whytree.shared.fingerprint import DISPLAY_BYTES, certificate_fingerprint, format_fingerprint

from .files import POSIX, private_dir, write_private

__all__ = [
    "CertInfo",
    "ensure_certificate",
    "server_ssl_context",
]

logger = logging.getLogger(__name__)

TLS_DIR_NAME = "tls"
CERT_FILE_NAME = "cert.pem"
KEY_FILE_NAME = "key.pem"
COMMON_NAME = "whytree"
VALIDITY = datetime.timedelta(days=3650)
# Re-issue a certificate this close to its end (after ~10 years of use).
RENEW_BEFORE = datetime.timedelta(days=30)

_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


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
