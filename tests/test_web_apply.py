"""The browser keeps the same session as the server: `web/apply.js` on 1,000 sessions.

Random sessions run through the real `Hub` on `sim.py`'s faulty in-memory network (lost
and repeated frames, cut links, host crashes, anonymous sessions, revealed votes). For
one person of each, the test records every frame that person received; then the page's
own `mirror.js` and `apply.js`, in headless Chromium, take those frames in one go, and
the state each ends with must be exactly what the server projects for that person
(`views.project`), map order included. The page's `ranking.js` must also place every
cause on the 2×2 as `shared/ranking.py` does.

`WHYTREE_WEB_SESSIONS` sets how many sessions (at least the default 1,000 is the proof);
`WHYTREE_WEB_SEED` picks another family of them.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import msgspec
from browser import ARGS, CHROMIUM, needs_chromium
from sim import Net

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import Session
from whytree.shared.ranking import two_by_two
from whytree.shared.views import project

SESSIONS = int(os.environ.get("WHYTREE_WEB_SESSIONS", "1000"))
SEED = int(os.environ.get("WHYTREE_WEB_SEED", "20261201"))
CASTS = [("Ann Quill", "Bo Rivet", ""), ("Ann Quill",), ("Ann Quill", "Bo Rivet", "Cy Tam")]


def boxes(state: Session) -> dict[str, list[list[Any]]]:
    return {box: [[item.cause.id, item.place] for item in items]
            for box, items in two_by_two(state).items()}


PLAN = ("why", "weigh", "reveal", "act", "agree", "close")


def random_session(rnd: random.Random) -> dict[str, Any] | None:
    """One session's recording for one person who ended in it: every frame they got, and
    what the server projects for them at the end (None if nobody did)."""
    net = Net(names=rnd.choice(CASTS), viewer=rnd.random() < 0.5, anonymous=rnd.random() < 0.3,
              resume_window=rnd.choice([None, None, 4]))
    for client in net.clients:
        net.connect(client)
    facilitator = net.clients[0]
    # Random steps, with the facilitator moving the session on now and then, so that the
    # sessions reach voting, the reveal, actions and the close as real ones do.
    for stage in PLAN[: rnd.randint(1, len(PLAN))]:
        for _ in range(rnd.randint(30, 120)):
            net.random_step(rnd)
        net.settle()  # everyone is back before the facilitator moves on
        if facilitator.state is None or not facilitator.welcomed:
            continue
        command: p.ClientCommand
        if stage == "reveal":
            command = p.RevealVotes(op=facilitator.new_op(), revealed=True)
        elif stage == "close":
            command = p.Close(op=facilitator.new_op())
        else:
            command = p.SetPhase(op=facilitator.new_op(), phase=stage)  # type: ignore[arg-type]
        net.command(facilitator, command)
    net.settle()
    people = [client for client in net.clients[1:]
              if client.state is not None and client.shut_out is None and not client.resyncs]
    if not people:
        return None
    client = rnd.choice(people)
    assert client.person is not None
    seen = project(net.hub.state, client.person)
    return {
        "frames": [item.data.decode() for item in client.seen],
        "expected": msgspec.to_builtins(seen),
        "me": msgspec.to_builtins(seen.people[client.person]),
        "boxes": boxes(seen),
    }


REPLAY = """
async (sessions) => {
  const { Mirror, ResyncNeeded } = await import("/mirror.js");
  const { twoByTwo } = await import("/ranking.js");
  const results = [];
  for (const session of sessions) {
    const mirror = new Mirror();
    let error = null;
    for (const data of session) {
      try {
        mirror.receive(JSON.parse(data), 1700000000);
      } catch (e) {
        error = String(e);
        break;
      }
    }
    const boxes = {};
    if (mirror.state) {
      for (const [box, items] of Object.entries(twoByTwo(mirror.state))) {
        boxes[box] = items.map((item) => [item.cause.id, item.place]);
      }
    }
    results.push({ state: mirror.state, me: mirror.me, boxes, error });
  }
  return JSON.stringify(results);
}
"""


@needs_chromium
async def test_the_pages_apply_gives_the_servers_projection_on_1000_sessions(server: Server) -> None:
    from playwright.async_api import async_playwright

    rnd = random.Random(SEED)
    cases: list[dict[str, Any]] = []
    while len(cases) < SESSIONS:
        case = random_session(rnd)
        if case is not None:
            cases.append(case)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{server.port}/core.json")
        results = json.loads(await page.evaluate(REPLAY, [case["frames"] for case in cases]))
        await browser.close()

    checked = revealed = anonymous = voted = 0
    for index, (case, result) in enumerate(zip(cases, results, strict=True)):
        assert result["error"] is None, (index, result["error"])
        # Decode as the server's Structs (JSON numbers like 1.0 arrive as 1), then compare
        # the encodings: equal fields, and every map in the same order.
        state = msgspec.convert(result["state"], Session)
        expected = msgspec.convert(case["expected"], Session)
        assert p.encode(state) == p.encode(expected), f"session case {index} differs"
        assert result["me"] == case["me"], index
        assert result["boxes"] == case["boxes"], index
        checked += 1
        revealed += expected.revealed and bool(expected.tally)
        anonymous += expected.settings.anonymous and bool(expected.causes)
        voted += bool(expected.ballots)
    assert checked >= SESSIONS
    # The hard cases were there: revealed votes, anonymous answers, own ballots.
    assert min(revealed, anonymous, voted) > SESSIONS // 20, (revealed, anonymous, voted)
