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
from typing import Any

import msgspec
from browser import ARGS, CHROMIUM, needs_chromium
from test_may import KINDS, PEOPLE, sessions, tag

from whytree.server.app import Server
from whytree.shared.rules import AUTHOR_ONLY, may
from whytree.shared.views import project

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
