"""The three pages in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
Playwright's sync API, each page opened from disk.

Nothing is downloaded: the browser is the system's. If it is missing these tests fail (CI
installs it; see .ci/run) rather than skip, so a green run always means the pages were seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`sudo apt-get install -y chromium`; .ci/run installs it). Never `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        try:
            yield context
        finally:
            context.close()


class Visit:
    """A page opened from disk with everything it tried to do recorded."""

    def __init__(self, context, path: Path):
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_timeout(200)  # let anything late (a stray script, a lazy image) show itself

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route):
        url = route.request.url
        if url == self.url or url.startswith("data:"):
            route.continue_()
        else:
            route.abort()

    def outside_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def column(self, table: str, index: int) -> list[str]:
        return self.page.eval_on_selector_all(
            f"#{table} tbody tr:not([hidden])",
            f"rows => rows.map(r => r.cells[{index}].getAttribute('data-v') ?? r.cells[{index}].textContent.trim())",
        )

    def header(self, table: str, label: str):
        return self.page.locator(f"#{table} thead tr").last.locator("th", has_text=label).first


def visit(browser, pages, name) -> Visit:
    return Visit(browser, pages[name])


@pytest.mark.parametrize("name", ["report", "leaderboard", "compare"])
def test_page_loads_clean_offline_and_renders(browser, pages, name, tmp_path):
    v = visit(browser, pages, name)
    try:
        assert v.errors == [], v.errors
        assert v.outside_requests() == []
        assert v.dialogs == []
        images = v.page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
        if name == "report":
            assert len(images) >= 6
        assert all(done and width > 0 for done, width in images), images
        shot = tmp_path / f"{name}.png"
        v.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    finally:
        v.page.close()


def _numbers(values):
    return [float(x) for x in values if x != ""]


@pytest.mark.parametrize(
    "name,table,label",
    [
        ("report", "lb-table", "score"),
        ("leaderboard", "best-table", "mean of faces"),
        ("compare", "cmp-table", "Δ ± se"),
    ],
)
def test_clicking_a_header_sorts_the_table(browser, pages, name, table, label):
    v = visit(browser, pages, name)
    try:
        index = v.header(table, label).evaluate("th => th.cellIndex")
        v.header(table, label).click()
        up = v.column(table, index)
        assert _numbers(up) == sorted(_numbers(up)) and len(_numbers(up)) >= 2
        assert up[len(_numbers(up)) :] == [""] * (len(up) - len(_numbers(up)))  # missing values last
        v.header(table, label).click()
        down = _numbers(v.column(table, index))
        assert down == sorted(down, reverse=True)
        assert v.header(table, label).get_attribute("aria-sort") == "descending"
        assert v.errors == []
    finally:
        v.page.close()


def test_leaderboard_filters_by_face(browser, pages):
    v = visit(browser, pages, "report")
    try:
        total = len(v.column("lb-table", 0))
        v.page.locator('#leaderboard button[data-value="distribution"]').click()
        faces = v.page.eval_on_selector_all("#lb-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.face)")
        assert faces and set(faces) == {"distribution"} and len(faces) < total
        v.page.locator('#leaderboard button[data-value=""]').click()
        assert len(v.column("lb-table", 0)) == total
    finally:
        v.page.close()


@pytest.mark.parametrize("name", ["report", "leaderboard", "compare"])
def test_hostile_labels_show_as_text_and_never_run(browser, pages, labels, name):
    v = visit(browser, pages, name)
    try:
        assert v.dialogs == []
        shown = v.page.get_by_text(labels["model"], exact=True)
        assert shown.count() > 0 and shown.first.is_visible()
        if name == "report":
            assert v.page.get_by_text(labels["generator"], exact=True).first.is_visible()
        assert v.page.evaluate("document.scripts.length") == 1
        assert v.outside_requests() == []  # an <img src=x> that became markup would have asked for x
    finally:
        v.page.close()


def test_the_report_opens_with_the_verdict_then_the_recovery_curves(browser, pages):
    """The question first: right after the run's header, "Does it recover the process?" -- each
    model's face scores with their se, and for a size sweep its verdict as data grow, linking to
    the recovery section that follows (a verdict per model with its slope, and the curve drawn:
    an image the browser decoded, described as log-log with ± 1 se bands)."""
    v = visit(browser, pages, "report")
    try:
        ids = v.page.eval_on_selector_all("main > section.view", "s => s.map(e => e.id)")
        assert ids.index("summary") == ids.index("header") + 1, ids
        assert ids.index("recovery") == ids.index("summary") + 1, ids
        first = v.page.locator("#summary")
        assert "Does it recover the process?" in first.locator("h2").inner_text()
        scores = first.locator("table.summary").first.locator("td.score:not(.na)").all_inner_texts()
        assert scores and all("±" in s for s in scores), scores
        links = first.locator("a.chip.verdict")
        assert links.count() > 0
        links.first.click()
        v.page.wait_for_timeout(100)
        target = v.page.evaluate("location.hash")
        assert target.startswith("#recovery-") and v.page.locator(target).is_visible()
        section = v.page.locator("#recovery")
        chips = section.locator(".chip.verdict").all_inner_texts()
        assert chips and set(chips) <= {"recovers", "plateaus", "fails", "not judged"}, chips
        img = section.locator("img").first
        done, width, alt = img.evaluate("i => [i.complete, i.naturalWidth, i.alt]")
        assert done and width > 0 and "log-log" in alt and "se" in alt
    finally:
        v.page.close()
