"""Storage honesty: what the disk lost, or cannot do, is said at start, never hidden.

Real servers on real SQLite files in `tmp_path`:

* a real server writes a few changes; a copy of its data folder taken while it runs is
  what a power cut leaves (every commit is synced, nothing is checkpointed yet). With its
  `-wal` file cut short or damaged, SQLite alone would quietly start without the last
  changes and hand their `seq` out again; the server refuses to start and says so;
* a second server on the same data folder stops at once with a clear message, while the
  first one goes on;
* `whytree serve` on a read-only data folder speaks of the folder, not of the port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CODE, FACILITATOR_KEY, MakeServer

from tests.netclient import NetClient
from whytree.server.app import Server, ServerConfig
from whytree.server.journal import FILE_NAME, JournalBusy, JournalDamaged
from whytree.shared import protocol as p

WAL = FILE_NAME + "-wal"


def config(data_dir: Path) -> ServerConfig:
    return ServerConfig(data_dir=data_dir, port=0, bind="127.0.0.1", title="Storage", code=CODE,
                        facilitator_key=FACILITATOR_KEY, advertise=False)


async def facilitator(server: Server) -> NetClient:
    fac = NetClient(server.local_url)
    assert isinstance(await fac.join(facilitator_key=FACILITATOR_KEY, name="Fran"), p.Welcome)
    await fac.ok(p.SetPhase(op=fac.mirror.new_op(), phase="why"))
    return fac


async def crash_image(make_server: MakeServer, tmp_path: Path, answers: int) -> tuple[Path, int]:
    """The data folder as a power cut would leave it after `answers` acknowledged answers,
    and the `seq` of the last one."""
    server = await make_server()
    fac = await facilitator(server)
    for i in range(answers):
        last = await fac.ok(p.AddCause(op=fac.mirror.new_op(), parent=None, text=f"Reason {i}"))
    image = tmp_path / "image"
    image.mkdir()
    for name in os.listdir(tmp_path / "data"):  # the files as they are on disk right now
        if name.startswith("journal.") and not name.endswith((".lock", "-shm")):
            shutil.copy2(tmp_path / "data" / name, image / name)
    await fac.close()
    assert wal_end(image / WAL)[0] > 32, "nothing left in the -wal: the test would prove nothing"
    return image, last.seq


def wal_end(wal: Path) -> tuple[int, int]:
    """Where the `-wal`'s frames of its current round end, and the size of a frame (its
    header and a page). The file may go on past them: `Journal.make_room` gives it room,
    and SQLite writes each round from the start, telling its frames by the salt in the
    file's header."""
    data = wal.read_bytes()
    frame = 24 + int.from_bytes(data[8:12], "big")
    salts, end = data[16:24], 32
    while end + frame <= len(data) and data[end + 8:end + 16] == salts:
        end += frame
    return end, frame


async def test_an_intact_crash_image_resumes_with_every_acknowledged_change(
    make_server: MakeServer, tmp_path: Path
) -> None:
    image, last_seq = await crash_image(make_server, tmp_path, answers=5)
    server = Server(config(image))
    await server.start()
    try:
        assert server.resumed and [c.text for c in server.state.causes.values()] == [
            f"Reason {i}" for i in range(5)]
        assert server.state.seq >= last_seq
    finally:
        await server.stop()


@pytest.mark.parametrize("damage", ["cut short", "a damaged frame"])
async def test_a_wal_that_lost_acknowledged_changes_stops_start_up(
    make_server: MakeServer, tmp_path: Path, damage: str
) -> None:
    image, _ = await crash_image(make_server, tmp_path, answers=5)
    wal = image / WAL
    size, page = wal_end(wal)
    if damage == "cut short":
        os.truncate(wal, size - page // 2)  # the last frame, half written
    else:
        with open(wal, "r+b") as file:  # one byte of the second-to-last frame's page
            file.seek(size - page - 100)
            byte = file.read(1)
            file.seek(-1, os.SEEK_CUR)
            file.write(bytes([byte[0] ^ 0xFF]))
    server = Server(config(image))
    with pytest.raises(JournalDamaged) as caught:
        await server.start()
    await server.stop()
    message = str(caught.value)
    assert "lost changes it had saved" in message and str(image / FILE_NAME) in message, message
    # Nothing was changed: it still refuses on the next try.
    with pytest.raises(JournalDamaged):
        await Server(config(image)).start()


async def test_a_second_server_on_the_same_data_folder_refuses_to_start(
    make_server: MakeServer, tmp_path: Path
) -> None:
    first = await make_server()
    fac = await facilitator(first)
    second = Server(config(tmp_path / "data"))
    with pytest.raises(JournalBusy) as caught:
        await second.start()
    await second.stop()
    assert "already using the data folder" in str(caught.value)
    assert str(tmp_path / "data") in str(caught.value)
    assert f"process {os.getpid()}" in str(caught.value)
    await fac.ok(p.AddCause(op=fac.mirror.new_op(), parent=None, text="Still here"))  # the first goes on
    await fac.close()
    await first.stop()

    third = await make_server()  # once the first has stopped, the folder is free
    assert third.resumed and [c.text for c in third.state.causes.values()] == ["Still here"]


@contextlib.contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    """A folder nobody can write: mode 0o555, or (for root, who writes anyway) a read-only
    tmpfs mounted there."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux and mount(8) for a read-only folder as root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.parametrize("where", ["the folder", "a folder inside it"])
def test_serve_on_a_read_only_data_folder_says_so(tmp_path: Path, where: str) -> None:
    with read_only_folder(tmp_path / "ro") as folder:
        data_dir = folder if where == "the folder" else folder / "whytree"
        done = subprocess.run(
            [sys.executable, "-m", "whytree.tui.cli", "serve", "--port", "0", "--bind", "127.0.0.1",
             "--data-dir", str(data_dir), "--no-discovery"],
            capture_output=True, text=True, timeout=30,
        )
    assert done.returncode != 0
    assert f"The data folder {data_dir} cannot be used" in done.stderr, done.stderr
    assert "--data-dir" in done.stderr
    assert "listen" not in done.stderr and "port" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
