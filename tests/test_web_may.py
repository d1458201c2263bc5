"""The page offers a button exactly when the core says the person may use it.

`web/core.js` answers "may this person do this now?" from the tables `/core.json` exports;
`rules.may` answers it for the server and the TUI. Here the page's own `may`, in headless
Chromium, is asked every command for every person, step and thing in a few sessions --
with the state the page holds (the server's projection for that person) -- and must say
what `rules.may` says on the server's state: the page never offers what the server
refuses, nor hides what it allows, whatever table changes next.
"""

from __future__ import annotations

import json
import typing
from typing import Any

import msgspec
from browser import ARGS, CHROMIUM, needs_chromium

from whytree.server.app import Server
from whytree.shared import protocol as p
from whytree.shared.model import PHASES, Action, Ballot, Cause, Person, Removal, Session
from whytree.shared.rules import AUTHOR_ONLY, may
from whytree.shared.views import project

ANN = Person(id="p1", name="Ann", role="participant")
BO = Person(id="p2", name="Bo", role="participant")
FAY = Person(id="p3", name="Fay", role="facilitator")
VIEW = Person(id="p4", name="Projector", role="viewer")
PEOPLE = (ANN, BO, FAY, VIEW)
KINDS: tuple[type[p.ClientCommand], ...] = typing.get_args(p.ClientCommand)


def sessions() -> list[Session]:
    """A tree with every kind of ownership: Ann's answer with only her own below, Ann's
    answer with Bo's below, Bo's and Fay's; Ann's and Bo's actions; and a removal made by
    Ann, by Fay, or none -- in every step, with the votes hidden and shown."""
    causes = [
        Cause(id="c1", parent=None, text="Ann's", author=ANN.id),
        Cause(id="c2", parent="c1", text="Ann's below her own", author=ANN.id),
        Cause(id="c3", parent=None, text="Ann's, with Bo's below", author=ANN.id),
        Cause(id="c4", parent="c3", text="Bo's below Ann's", author=BO.id),
        Cause(id="c5", parent=None, text="Bo's", author=BO.id),
        Cause(id="c6", parent="c5", text="Fay's", author=FAY.id),
    ]
    actions = [Action(id="a1", text="Ann's action", causes=["c1"], author=ANN.id),
               Action(id="a2", text="Bo's action", causes=["c5"], author=BO.id)]
    removed = Cause(id="c9", parent=None, text="Taken back", author=ANN.id)
    found: list[Session] = []
    for remover in (ANN.id, FAY.id, None):
        removal = None if remover is None else Removal(removed_by=remover, causes=[removed])
        for phase in PHASES:
            for revealed in (False, True):
                found.append(Session(
                    phase=phase, revealed=revealed, last_removal=removal, voters=1,
                    people={person.id: person for person in PEOPLE},
                    causes={cause.id: cause for cause in causes},
                    actions={action.id: action for action in actions},
                    ballots={ANN.id: Ballot(dots={"c1": 1})},
                ))
    return found


def tag(kind: type[p.ClientCommand]) -> str:
    return typing.cast(str, kind.__struct_config__.tag)


ASK = """
async (cases) => {
  const { loadCore, may } = await import("/core.js");
  await loadCore();
  return JSON.stringify(cases.map(([state, me, type, item]) => may(state, me, type, item)));
}
"""


@needs_chromium
async def test_the_pages_may_is_the_cores(server: Server) -> None:
    from playwright.async_api import async_playwright

    cases: list[list[Any]] = []
    expected: list[bool] = []
    for session in sessions():
        for person in PEOPLE:
            seen = msgspec.to_builtins(project(session, person.id))
            for kind in KINDS:
                field = AUTHOR_ONLY.get(kind)
                targets: list[str | None] = [None]
                if field is not None:
                    targets = list(session.causes if field == "cause" else session.actions)
                for target in targets:
                    item = None
                    if target is not None:
                        item = seen["causes" if field == "cause" else "actions"][target]
                    cases.append([seen, seen["people"][person.id], tag(kind), item])
                    expected.append(may(session, person, kind, target) is None)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{server.port}/core.json")
        answers = json.loads(await page.evaluate(ASK, cases))
        await browser.close()

    differ = [(case[3] and case[3]["id"], case[2], case[1]["name"], case[0]["phase"],
               case[0]["revealed"], want)
              for case, answer, want in zip(cases, answers, expected, strict=True) if answer != want]
    assert differ == [], f"{len(differ)} answers differ, e.g. {differ[:5]}"
    # The cases that matter were asked: allowed and refused, for every kind.
    for kind in KINDS:
        asked = {want for case, want in zip(cases, expected, strict=True) if case[2] == tag(kind)}
        assert asked == {True, False}, kind.__name__
