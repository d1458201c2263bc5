"""Take the README's screenshots of the browser client (phone and laptop size).

Starts a real server in a temporary folder, plays a short session through it (the
facilitator over the websocket, two people in headless Chromium) and saves PNGs in
`docs/screenshots/`. Needs the dev extra (Playwright) and the system Chromium:

    .venv/bin/python scripts/web_screenshots.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from whytree.server.app import Server, ServerConfig
from whytree.shared import protocol as p
from whytree.shared.mirror import Mirror

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
CODE = "482913"


class Facilitator:
    """The facilitator, scripted over the websocket."""

    def __init__(self, url: str) -> None:
        self.url, self.mirror = url, Mirror()

    async def open(self) -> None:
        self.ws = await connect(self.url, compression=None)
        await self.ws.send(self.mirror.join_frame(facilitator_key="key", name="Fran").decode())
        self.mirror.receive(await self.ws.recv(), 0)

    async def do(self, command: p.ClientCommand) -> p.Event:
        import msgspec

        command = msgspec.structs.replace(command, op=self.mirror.new_op())
        await self.ws.send(self.mirror.command(command).decode())
        while True:
            frame = self.mirror.receive(await self.ws.recv(), 0).frame
            if isinstance(frame, p.Event) and frame.op == command.op:
                return frame
            assert not isinstance(frame, p.Rejected), frame


async def join(page: Any, url: str, name: str) -> None:
    await page.goto(url)
    await page.fill("#code", CODE)
    await page.fill("#name", name)
    await page.check("#who-name")
    await page.click("#join-button")
    await page.wait_for_selector("#session:not([hidden]) .situation")


async def shoot(page: Any, name: str) -> None:
    await page.wait_for_timeout(300)  # let the last frame paint
    await page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)


async def main() -> int:
    from playwright.async_api import async_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp())
    server = Server(ServerConfig(data_dir=data, port=0, bind="127.0.0.1", title="Parents' evening",
                                 code=CODE, facilitator_key="key", advertise=False))
    await server.start()
    url = f"http://127.0.0.1:{server.port}/"
    fac = Facilitator(f"ws://127.0.0.1:{server.port}")
    await fac.open()
    await fac.do(p.SetSituation(op="-", text="Our fifth graders get into trouble after school"))
    await fac.do(p.SetPhase(op="-", phase="why"))
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            phone = await (await browser.new_context(viewport=PHONE)).new_page()
            await phone.goto(url)
            await phone.fill("#code", CODE)
            await shoot(phone, "phone-join")
            await phone.click("#join-button")
            await shoot(phone, "phone-join-error")
            await join(phone, url, "Ann")
            texts = {}
            for parent, text in ((None, "Nobody is at home until six"),
                                 ("Nobody is at home until six", "Both parents work late shifts"),
                                 ("Both parents work late shifts", "Jobs nearby pay by the hour"),
                                 (None, "The after-school club closed last year"),
                                 ("The after-school club closed last year", "The city cut its budget")):
                event = await fac.do(p.AddCause(op="-", parent=texts.get(parent), text=text))
                assert isinstance(event.command, p.AddCause)
                texts[text] = event.command.id
            jobs = texts["Jobs nearby pay by the hour"]
            await phone.click(f'li[data-cause="{jobs}"] > .tools > button.why')
            await phone.fill("#composer-text", "Nobody can leave work early")
            await shoot(phone, "phone-why")
            await phone.click("#composer-send")
            laptop = await (await browser.new_context(viewport=LAPTOP)).new_page()
            await join(laptop, url, "Bo")
            await shoot(laptop, "laptop-why")

            await fac.do(p.SetPhase(op="-", phase="weigh"))
            club = texts["The after-school club closed last year"]
            await phone.click(f'li[data-cause="{club}"] button.dot-plus')
            await phone.click(f'li[data-cause="{club}"] button.dot-plus')
            await phone.select_option(f'li[data-cause="{club}"] select', "others")
            home = texts["Nobody is at home until six"]
            await phone.click(f'li[data-cause="{home}"] button.dot-plus')
            await phone.select_option(f'li[data-cause="{home}"] select', "we")
            await phone.wait_for_timeout(400)  # the page redraws as answers arrive
            await phone.locator(f'li[data-cause="{club}"]').scroll_into_view_if_needed()
            await shoot(phone, "phone-weigh")
            await laptop.click(f'li[data-cause="{home}"] button.dot-plus')
            await laptop.select_option(f'li[data-cause="{home}"] select', "we")
            await fac.do(p.RevealVotes(op="-", revealed=True))
            await phone.wait_for_timeout(400)  # the page redraws as answers arrive
            await phone.locator(".ranking-section").scroll_into_view_if_needed()
            await shoot(phone, "phone-revealed")
            await laptop.wait_for_timeout(400)  # the page redraws as answers arrive
            await laptop.locator(".ranking-section").scroll_into_view_if_needed()
            await shoot(laptop, "laptop-revealed")

            await fac.do(p.SetPhase(op="-", phase="act"))
            await fac.do(p.AddAction(op="-", text="Ask the school to open the library until six",
                                     causes=[home], by="outside", who="the head teacher"))
            await fac.do(p.Close(op="-"))
            await phone.evaluate("() => window.scrollTo(0, 0)")
            await shoot(phone, "phone-closed")

            view = await (await browser.new_context(viewport=LAPTOP)).new_page()
            await view.goto(f"{url}?view&code={CODE}")
            await view.click("#join-button")
            await view.wait_for_selector("#session:not([hidden])")
            await shoot(view, "projector-view")
            await browser.close()
    finally:
        await server.stop()
        shutil.rmtree(data, ignore_errors=True)
    print(f"screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
