"""The printable report as a person sees it, rendered by a real browser (headless Chromium).

`report.html` draws the cause tree as a picture (the situation at the root, a box per
answer joined by lines, the dots and the room's answer on each) and the 2×2 as a chart,
with the 2×2's boxes below it laid out so that they read on screen and on paper. Every
check here is made on what Chromium laid out, not on the HTML text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from browser import ARGS, CHROMIUM, LAPTOP, needs_chromium
from test_results import SCRIPT, make_session

from whytree.shared import report

pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module")]

NOW = 1_717_243_200.0
A4 = {"width": 794, "height": 1123}  # an A4 page at 96 dpi


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


async def open_report(browser: Any, media: str, size: dict[str, int]) -> Any:
    page = await browser.new_page(viewport=size)
    await page.emulate_media(media=media)
    await page.set_content(report.html(make_session(), NOW))
    return page


GRID_LAYOUT = """
() => {
  const table = document.querySelector("table.grid");
  const heads = [...table.querySelectorAll("thead th")];
  const corner = table.querySelector("thead td");
  const line = parseFloat(getComputedStyle(heads[1]).lineHeight);
  return {
    table: table.getBoundingClientRect().width,
    corner: corner.getBoundingClientRect().width,
    columns: heads.map((th) => th.getBoundingClientRect().width),
    notForNow: heads[1].textContent,
    notForNowHeight: heads[1].getBoundingClientRect().height,
    line,
    boxes: [...table.querySelectorAll("tbody td")].map((td) => td.getBoundingClientRect().width),
  };
}
"""


@pytest.mark.parametrize(("media", "size"), [("screen", LAPTOP), ("print", A4)])
async def test_the_2x2_boxes_share_the_width_and_no_heading_breaks_word_by_word(
        browser: Any, media: str, size: dict[str, int]) -> None:
    page = await open_report(browser, media, size)
    layout = await page.evaluate(GRID_LAYOUT)
    await page.close()

    assert layout["notForNow"] == "Not for now"
    # The row names' column is narrow; the two columns of boxes share the rest equally.
    assert layout["corner"] < 0.2 * layout["table"]
    left, right = layout["columns"]
    assert abs(left - right) < 2 and left > 0.35 * layout["table"]
    assert all(abs(width - left) < 2 for width in layout["boxes"])
    # "Not for now" stands on one line (padding aside), not one word per line.
    assert layout["notForNowHeight"] < 1.8 * layout["line"]


TREE = """
() => {
  const figure = document.querySelector("figure.tree-picture");
  const nodes = [...figure.querySelectorAll(".node")];
  const box = (el) => el.getBoundingClientRect();
  const branch = getComputedStyle(figure.querySelector("ul.tree li"), "::before");
  return {
    root: figure.querySelector(".tree-root").innerText,
    nodes: nodes.map((node) => ({ text: node.innerText, left: box(node).left, top: box(node).top,
                                  border: parseFloat(getComputedStyle(node).borderLeftWidth) })),
    branchLine: parseFloat(branch.borderLeftWidth),
    scripts: document.querySelectorAll("script").length,
  };
}
"""

CHART = """
() => {
  const svg = document.querySelector("svg.chart");
  const lines = [...svg.querySelectorAll("line")].map((l) => l.getBoundingClientRect());
  const vertical = lines.find((r) => r.width < 2);
  const horizontal = lines.find((r) => r.height < 2);
  const circles = [...svg.querySelectorAll("circle")].map((c) => {
    const r = c.getBoundingClientRect();
    return { number: c.nextElementSibling.textContent, x: r.x + r.width / 2, y: r.y + r.height / 2,
             title: c.parentElement.querySelector("title").textContent };
  });
  return { middle: vertical.x, threshold: horizontal.y, circles,
           corners: [...svg.querySelectorAll("text[font-weight=bold]")].map((t) => t.textContent) };
}
"""


async def test_the_report_draws_the_tree_and_the_2x2_as_pictures(browser: Any, tmp_path: Path) -> None:
    page = await open_report(browser, "screen", LAPTOP)
    tree = await page.evaluate(TREE)
    chart = await page.evaluate(CHART)
    await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    await page.emulate_media(media="print")
    pdf = await page.pdf(format="A4")
    await page.close()

    assert tree["root"] == "Our fifth graders get into trouble after school"
    texts = [node["text"] for node in tree["nodes"]]
    assert len(texts) == 8
    home, parents, factory = tree["nodes"][:3]
    # Each answer sits to the right of the one it answers, joined by a drawn line.
    assert home["left"] < parents["left"] < factory["left"]
    assert tree["branchLine"] >= 1
    # The room's dots and answer on each box, with a shape that needs no colour.
    assert "Nobody is at home after school" in home["text"]
    assert "●●● 3 dots" in home["text"] and "✔ we can change it" in home["text"]
    assert "✖ not for now" in factory["text"]
    assert home["border"] > parents["border"]  # act here first: a thick border
    assert any(SCRIPT in text for text in texts) and tree["scripts"] == 0  # shown, never run

    # The chart: one numbered circle per weighed cause, in its own quarter.
    by_title = {circle["title"]: circle for circle in chart["circles"]}
    assert set(by_title) == {"Nobody is at home after school", "The youth club closed",
                             "The factory moved shifts later", "The bus is late"}
    assert {"Act here first", "Keep in mind", "Maybe later", "Let go for now"} <= set(chart["corners"])
    first = by_title["Nobody is at home after school"]
    assert first["x"] < chart["middle"] and first["y"] < chart["threshold"]  # act here first
    factory_dot = by_title["The factory moved shifts later"]
    assert factory_dot["x"] > chart["middle"] and factory_dot["y"] > chart["threshold"]  # let go
    late = by_title["The bus is late"]
    assert late["x"] < chart["middle"] and late["y"] > chart["threshold"]  # maybe later

    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert pdf.startswith(b"%PDF")
