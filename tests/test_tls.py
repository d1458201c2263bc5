"""TLS for `--tls`: the self-signed certificate, real wss:// connections, trust on first use."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import ssl
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from whytree.server.tls import CertInfo, ensure_certificate, server_ssl_context
from whytree.shared.fingerprint import certificate_fingerprint, format_fingerprint, normalize_fingerprint
from whytree.tui.trust import KnownHosts, client_ssl_context, host_port, peer_fingerprint

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX-only")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


@asynccontextmanager
async def echo_server(info: CertInfo | None) -> AsyncIterator[str]:
    """A real websockets server on 127.0.0.1, an ephemeral port; yields its URL."""
    context = server_ssl_context(info) if info is not None else None
    async with serve(echo, "127.0.0.1", 0, ssl=context, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"{'wss' if info else 'ws'}://127.0.0.1:{port}"


async def fingerprint_of_server(url: str) -> str:
    async with connect(url, ssl=client_ssl_context(), open_timeout=5) as connection:
        fingerprint = peer_fingerprint(connection)
        await connection.send("ping")
        assert await connection.recv() == "ping"
        return fingerprint


# --- the certificate ------------------------------------------------------------------------


def test_certificate_is_created_once_and_reused(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, hostname="hall-laptop", addresses=["192.168.1.20"])
    assert first.created
    cert_bytes, key_bytes = first.cert_path.read_bytes(), first.key_path.read_bytes()
    again = ensure_certificate(tmp_path)
    assert not again.created
    assert again.fingerprint == first.fingerprint
    assert (again.cert_path, again.key_path) == (first.cert_path, first.key_path)
    assert first.cert_path.read_bytes() == cert_bytes
    assert first.key_path.read_bytes() == key_bytes
    assert first.cert_path.parent == tmp_path / "tls"


def test_certificate_contents(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path, hostname="hall-laptop", addresses=["192.168.1.20", "bogus"])
    certificate = x509.load_pem_x509_certificate(info.cert_path.read_bytes())
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert info.fingerprint == hashlib.sha256(der).hexdigest().upper() == certificate_fingerprint(der)
    assert len(info.fingerprint) == 64

    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "whytree"
    assert certificate.issuer == certificate.subject
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) >= {"localhost", "hall-laptop", "hall-laptop.local"}
    assert set(san.get_values_for_type(x509.IPAddress)) >= {
        ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("192.168.1.20")}
    lifetime = certificate.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=9 * 365) < lifetime < datetime.timedelta(days=11 * 365)
    assert info.not_after == certificate.not_valid_after_utc


def test_certificate_defaults_use_this_machine(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)  # host name and LAN addresses of this machine
    certificate = x509.load_pem_x509_certificate(info.cert_path.read_bytes())
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)


@posix_only
def test_file_permissions(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)
    assert mode(info.key_path.parent) == 0o700
    assert mode(info.key_path) == 0o600
    assert not list(info.key_path.parent.glob(".*.tmp"))  # no temporary files left behind


@posix_only
def test_loose_permissions_are_tightened_on_reuse(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)
    info.key_path.chmod(0o644)
    info.key_path.parent.chmod(0o755)
    again = ensure_certificate(tmp_path)
    assert again.fingerprint == info.fingerprint
    assert mode(info.key_path) == 0o600
    assert mode(info.key_path.parent) == 0o700


def test_broken_or_mismatched_files_are_replaced(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)
    info.cert_path.write_text("not a certificate")
    replaced = ensure_certificate(tmp_path)
    assert replaced.created and replaced.fingerprint != info.fingerprint

    other = ensure_certificate(tmp_path / "other")
    shutil.copy(other.key_path, replaced.key_path)  # key from another pair
    again = ensure_certificate(tmp_path)
    assert again.created
    assert again.fingerprint not in (replaced.fingerprint, other.fingerprint)
    assert ensure_certificate(tmp_path).fingerprint == again.fingerprint


def test_fingerprint_formatting() -> None:
    fingerprint = "ab12cd34ef567890" * 4
    assert format_fingerprint(fingerprint) == "AB12 CD34 EF56 7890 AB12 CD34 EF56 7890"
    assert format_fingerprint(fingerprint, nbytes=32).count(" ") == 15
    assert normalize_fingerprint("AB:12:cd 34") == "AB12CD34"
    with pytest.raises(ValueError):
        normalize_fingerprint("AB12; rm -rf /")


def test_short_fingerprint_and_prefix(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)
    assert info.short_fingerprint.replace(" ", "") == info.fingerprint[:32] == info.fingerprint_prefix
    assert len(info.short_fingerprint.split(" ")) == 8


def test_server_context_is_a_server_context(tmp_path: Path) -> None:
    context = server_ssl_context(ensure_certificate(tmp_path))
    assert context.protocol == ssl.PROTOCOL_TLS_SERVER
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_client_context_does_not_check_cas_or_names() -> None:
    context = client_ssl_context()
    assert context.verify_mode == ssl.CERT_NONE
    assert not context.check_hostname


# --- real connections -----------------------------------------------------------------------


async def test_fingerprint_read_from_a_real_wss_connection(tmp_path: Path) -> None:
    info = ensure_certificate(tmp_path)
    async with echo_server(info) as url:
        async with connect(url, ssl=client_ssl_context(), open_timeout=5) as connection:
            # The documented recipe, spelled out:
            ssl_object = connection.transport.get_extra_info("ssl_object")
            der = ssl_object.getpeercert(binary_form=True)
            assert hashlib.sha256(der).hexdigest().upper() == info.fingerprint
            assert peer_fingerprint(connection) == info.fingerprint
            await connection.send("hello")
            assert await connection.recv() == "hello"


async def test_plain_ws_has_no_fingerprint() -> None:
    async with echo_server(None) as url:
        async with connect(url, open_timeout=5) as connection:
            with pytest.raises(ValueError, match="not a TLS connection"):
                peer_fingerprint(connection)


async def test_a_regenerated_certificate_is_detected_as_changed(tmp_path: Path) -> None:
    server_dir, client_dir = tmp_path / "host", tmp_path / "participant"
    known = KnownHosts.in_dir(client_dir)

    info = ensure_certificate(server_dir)
    async with echo_server(info) as url:
        first = await fingerprint_of_server(url)
        assert known.check(host_port(url), first) == "new"
        known.remember(host_port(url), first)
        assert known.check(host_port(url), await fingerprint_of_server(url)) == "same"

    # The host's data folder is lost (or someone else answers at that address).
    shutil.rmtree(server_dir / "tls")
    regenerated = ensure_certificate(server_dir)
    assert regenerated.created and regenerated.fingerprint != info.fingerprint
    async with echo_server(regenerated) as url2:
        key = host_port(url)
        # Same host:port as before for the check, whatever port the new server got.
        assert known.check(key, await fingerprint_of_server(url2)) == "changed"
        assert known.check(host_port(url2), await fingerprint_of_server(url2)) == "new"


# --- known hosts ----------------------------------------------------------------------------


def test_known_hosts_file(tmp_path: Path) -> None:
    known = KnownHosts.in_dir(tmp_path / "client")
    fingerprint = "AB12" * 16
    assert known.check("192.168.1.20:8765", fingerprint) == "new"
    known.remember("192.168.1.20:8765", fingerprint.lower())
    assert known.check("192.168.1.20:8765", format_fingerprint(fingerprint, 32)) == "same"
    assert known.check("192.168.1.20:8765", "CD34" * 16) == "changed"
    assert known.check("192.168.1.21:8765", fingerprint) == "new"

    # Stored for the next run, and only readable by its owner.
    assert KnownHosts(known.path).get("192.168.1.20:8765") == fingerprint
    data = json.loads(known.path.read_text())
    assert data == {"version": 1, "hosts": {"192.168.1.20:8765": fingerprint}}
    if os.name == "posix":
        assert mode(known.path) == 0o600
        assert mode(known.path.parent) == 0o700

    known.forget("192.168.1.20:8765")
    assert known.check("192.168.1.20:8765", fingerprint) == "new"


def test_known_hosts_survives_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts.json"
    path.write_text("{not json")
    known = KnownHosts(path)
    assert known.check("h:1", "AB12") == "new"
    known.remember("h:1", "AB12")
    assert known.check("h:1", "ab12") == "same"
    path.write_text(json.dumps({"version": 1, "hosts": {"h:1": "not hex!", "h:2": 5}}))
    assert known.check("h:1", "AB12") == "new"


def test_host_port() -> None:
    assert host_port("wss://192.168.1.20:8765") == "192.168.1.20:8765"
    assert host_port("wss://Hall-Laptop.local:9000/") == "hall-laptop.local:9000"
    assert host_port("wss://[fd00::2]:8765") == "[fd00::2]:8765"
    assert host_port("wss://example.lan") == "example.lan:443"
    with pytest.raises(ValueError):
        host_port("not a url")
