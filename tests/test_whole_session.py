"""A whole "But why?" session end to end on the real server, then the saved results.

A facilitator and three participants go from the situation to the close: a tree three
levels deep, hidden votes from three people and a reveal, actions with who can do them,
agreed next steps. The files written at close are read back and checked as the group
would read them. Also: votes stay hidden until the reveal, anonymous sessions never send
who wrote what, and a closed session is read-only.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from conftest import CODE, FACILITATOR_KEY

from tests.netclient import NetClient
from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.shared.views import project

KEY = FACILITATOR_KEY
X = "x"  # placeholder op; NetClient stamps a fresh one


async def people(server: Server, *names: str) -> tuple[NetClient, list[NetClient]]:
    fac = NetClient(server.local_url)
    await fac.join(facilitator_key=KEY, name="Fran")
    others = []
    for name in names:
        client = NetClient(server.local_url)
        await client.join(code=CODE, name=name)
        others.append(client)
    return fac, others


async def settle(server: Server, *clients: NetClient) -> None:
    for client in clients:
        await client.catch_up(server.state.seq)


def add(parent: str | None, text: str) -> p.AddCause:
    return p.AddCause(op=X, parent=parent, text=text)


async def test_a_whole_session_saves_the_groups_results(server: Server, tmp_path: Path) -> None:
    fac, (ana, ben, cleo) = await people(server, "Ana", "Ben", "Cleo")
    await fac.ok(p.SetSituation(op=X, text="Our fifth graders get into trouble after school", mode="problem"))
    await fac.ok(p.SetPhase(op=X, phase="why"))

    bored = (await ana.ok(add(None, "They are bored"))).command
    nowhere = (await ben.ok(add(None, "Nowhere safe to go"))).command
    assert isinstance(bored, p.AddCause) and isinstance(nowhere, p.AddCause)
    assert bored.id and nowhere.id
    closed = (await cleo.ok(add(nowhere.id, "The youth centre closed"))).command
    assert isinstance(closed, p.AddCause) and closed.id
    funding = (await ana.ok(add(closed.id, "The city cut its funding"))).command
    assert isinstance(funding, p.AddCause) and funding.id
    await fac.ok(add(bored.id, "No clubs after 3pm"))  # scribe mode: for the room
    await settle(server, fac, ana, ben, cleo)
    assert ana.state.depth(funding.id) == 3
    assert ben.state.causes[funding.id].text == "The city cut its funding"

    await fac.ok(p.SetPhase(op=X, phase="weigh"))
    for voter in (ana, ben, cleo):
        await voter.ok(p.SetDots(op=X, cause=closed.id, dots=2))
        await voter.ok(p.SetChange(op=X, cause=closed.id, answer="we"))
    await ana.ok(p.SetDots(op=X, cause=funding.id, dots=1))
    await ana.ok(p.SetChange(op=X, cause=funding.id, answer="others"))
    await ben.ok(p.SetDots(op=X, cause=bored.id, dots=1))
    await ben.ok(p.SetChange(op=X, cause=bored.id, answer="no"))
    await settle(server, fac, ana, ben, cleo)
    assert fac.state.voters == 3 and fac.state.tally == {}
    assert ana.state.ballots.keys() == {ana.id}

    await fac.ok(p.RevealVotes(op=X, revealed=True))
    await settle(server, fac, ana, ben, cleo)
    assert cleo.state.tally[closed.id].dots == 6 and cleo.state.tally[closed.id].we == 3

    await fac.ok(p.SetPhase(op=X, phase="act"))
    reopen = (await ana.ok(p.AddAction(op=X, text="Reopen the centre on weekdays", causes=[closed.id],
                                       by="outside", who="the city council"))).command
    rota = (await ben.ok(p.AddAction(op=X, text="Parents' rota for the library", causes=[closed.id, bored.id],
                                     by="inside", who="us parents"))).command
    assert isinstance(reopen, p.AddAction) and isinstance(rota, p.AddAction) and rota.id and reopen.id

    await fac.ok(p.SetPhase(op=X, phase="agree"))
    await fac.ok(p.SetAgreement(op=X, action=rota.id, agreed=True, first_step="Ask the librarian",
                                owner="Ben", due="Friday"))
    await fac.ok(p.Close(op=X))
    await settle(server, fac, ana, ben, cleo)
    for client in (fac, ana, ben, cleo):
        assert client.state.phase == "closed"
        assert client.state == project(server.state, client.id)

    folder = await _saved_folder(server, tmp_path)
    report = (folder / "report.md").read_text()
    assert "Our fifth graders get into trouble after school" in report
    ranking = report[report.index("The youth centre closed"):]
    assert report.index("The youth centre closed") < report.index("The city cut its funding")
    assert "Ask the librarian" in report and "Ben" in ranking and "Friday" in report
    html = (folder / "report.html").read_text()
    assert "Parents&#x27; rota" in html or "Parents&#39; rota" in html or "Parents' rota" in html
    rows = list(csv.reader(io.StringIO((folder / "actions.csv").read_text())))
    by_text = {row[0]: row for row in rows[1:]}
    assert set(by_text) == {"Reopen the centre on weekdays", "Parents' rota for the library"}
    saved = json.loads((folder / "session.json").read_text())
    assert saved["schema"] == 1 and saved["phase"] == "closed"
    assert saved["tally"][closed.id]["dots"] == 6
    assert saved["actions"][rota.id]["owner"] == "Ben"


async def _saved_folder(server: Server, data_dir: Path) -> Path:
    import asyncio

    for _ in range(100):
        if server.results_dir is not None:
            return server.results_dir
        await asyncio.sleep(0.05)
    folders = list((data_dir / "sessions").glob("*"))
    assert folders, "no results were saved"
    return folders[0]


async def test_votes_are_not_sent_to_anyone_else_before_the_reveal(server: Server) -> None:
    fac, (ana, ben) = await people(server, "Ana", "Ben")
    await fac.ok(p.SetPhase(op=X, phase="why"))
    cause = (await ana.ok(add(None, "Bored"))).command
    assert isinstance(cause, p.AddCause) and cause.id
    await fac.ok(p.SetPhase(op=X, phase="weigh"))
    await ana.ok(p.SetDots(op=X, cause=cause.id, dots=2))
    await ana.ok(p.SetChange(op=X, cause=cause.id, answer="we"))
    await settle(server, fac, ben)
    for client in (fac, ben):
        seen = [f["command"] for f in client.frames() if f["type"] == "event"]
        assert not [c for c in seen if c["type"] in ("set_dots", "set_change")]
        assert seen[-1] == {"type": "votes_cast", "voters": 1}
        assert client.state.ballots == {} and client.state.tally == {}
    assert ana.state.ballots[ana.id].dots == {cause.id: 2}
    # a late joiner's welcome carries no one else's ballot either
    late = NetClient(server.local_url)
    welcome = await late.join(code=CODE, name="Late")
    assert isinstance(welcome, p.Welcome) and welcome.state is not None
    assert welcome.state.ballots == {} and welcome.state.voters == 1


async def test_anonymous_sessions_never_send_who_wrote_what(tmp_path: Path) -> None:
    srv = Server(ServerConfig(data_dir=tmp_path, port=0, bind="127.0.0.1", code=CODE,
                              facilitator_key=KEY, anonymous=True, advertise=False))
    await srv.start()
    try:
        fac, (ana, ben) = await people(srv, "Ana", "Ben")
        await fac.ok(p.SetPhase(op=X, phase="why"))
        first = (await ana.ok(add(None, "Ana's secret reason"))).command
        assert isinstance(first, p.AddCause) and first.id
        await ben.ok(add(first.id, "Ben's reason"))
        await ana.ok(p.EditCause(op=X, cause=first.id, text="Ana's edited reason"))
        await fac.ok(p.SetPhase(op=X, phase="act"))
        await ben.ok(p.AddAction(op=X, text="Ben's idea", causes=[first.id]))
        late = NetClient(srv.local_url)
        await late.join(code=CODE, name="Dee")
        await settle(srv, fac, ana, ben, late)
        everyone = {"Fran": fac, "Ana": ana, "Ben": ben, "Dee": late}
        for client in everyone.values():
            others = {c.id for c in everyone.values() if c is not client}
            other_names = {name for name, c in everyone.items() if c is not client}
            for frame in client.frames():
                for key, value in _walk(frame):
                    if key in ("author", "by"):
                        assert value not in others, (key, frame)
                    if key == "name":
                        assert value not in other_names, frame
        assert ben.state.causes[first.id].author is None
        assert ana.state.causes[first.id].author == ana.id  # your own stay yours to edit
    finally:
        await srv.stop()


def _walk(value: Any, key: str = "") -> list[tuple[str, Any]]:
    found = [(key, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            found += _walk(v, key)
    return found


async def test_a_closed_session_is_read_only_until_reopened(server: Server) -> None:
    fac, (ana,) = await people(server, "Ana")
    await fac.ok(p.SetPhase(op=X, phase="why"))
    await fac.ok(p.Close(op=X))
    refused = await ana.do(add(None, "Too late"))
    assert isinstance(refused, p.Rejected) and refused.reason == "closed"
    refused = await fac.do(p.SetPhase(op=X, phase="why"))
    assert isinstance(refused, p.Rejected) and refused.reason == "closed"
    await fac.ok(p.Reopen(op=X))
    await fac.ok(p.SetPhase(op=X, phase="why"))
    await ana.ok(add(None, "Now it works"))
