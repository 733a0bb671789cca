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

HEIGHT = 900
WIDTHS = (1400, 800)  # a desktop window and a narrow one (half a laptop screen)


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

    def __init__(self, context, path: Path, width: int | None = None):
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = context.new_page()
        if width is not None:
            self.page.set_viewport_size({"width": width, "height": HEIGHT})
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


def visit(browser, pages, name, width: int | None = None) -> Visit:
    return Visit(browser, pages[name], width)


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
            # in the page's text (the bar's jump list holds it too, as an option of a closed list)
            assert v.page.locator("main").get_by_text(labels["generator"], exact=True).first.is_visible()
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
        first = v.page.locator("#summary")
        scores = first.locator("table.summary").first.locator("td.score:not(.na)").all_inner_texts()
        assert scores and all("±" in s or "same on every seed" in s for s in scores), scores
        links = first.locator("td a.chip.verdict")
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


# -- a page that fits ------------------------------------------------------------------------

# Tables, pictures and preformatted text wider than their parent, with no box that scrolls
# sideways around them (such an element would be cut off or widen the page); and the boxes
# whose content overflows, with whether they show the scroll affordance (marked .overflows by
# page.js, a visible hint above them).
OVERFLOW = """() => {
  const scrolls = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + " in #" + ((el.closest("section[id]") || {}).id || "?");
  const cut = [];
  for (const el of document.querySelectorAll("main table, main img, main pre, main figure")) {
    if (!el.getClientRects().length) continue;  // hidden (an inactive tab)
    let box = el.parentElement;
    while (box && !scrolls(box)) box = box.parentElement;
    const wide = el.getBoundingClientRect().width > el.parentElement.clientWidth + 1;
    const past = el.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
    if ((wide || past) && !box) cut.push(name(el));
  }
  const boxes = [...document.querySelectorAll("main *")].filter(
    b => b.getClientRects().length && scrolls(b) && b.scrollWidth > b.clientWidth + 1
  ).map(b => {
    const hint = b.previousElementSibling;
    const shown = !!hint && hint.classList.contains("scroll-hint") && !hint.hidden && hint.getClientRects().length > 0;
    return [name(b), b.classList.contains("overflows"), shown];
  });
  const root = document.documentElement;
  return {page: [root.scrollWidth, root.clientWidth], cut, boxes};
}"""


def _fits(v: Visit) -> None:
    seen = v.page.evaluate(OVERFLOW)
    width, client = seen["page"]
    assert width <= client, f"the page is {width} px wide in a {client} px window"
    assert seen["cut"] == [], f"wider than their container and not in a scroll box: {seen['cut']}"
    silent = [b for b in seen["boxes"] if not (b[1] and b[2])]
    assert silent == [], f"boxes that scroll sideways without saying so: {silent}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["report", "leaderboard", "compare"])
def test_nothing_is_wider_than_the_window_except_inside_a_scroll_box(browser, pages, name, width):
    """At 1400 and 800 px the page never scrolls sideways; a table too wide for its place scrolls
    inside a box that shows a hint; every tab of the heat map is checked as shown."""
    v = visit(browser, pages, name, width)
    try:
        _fits(v)
        for tab in v.page.locator(".toggle button[data-show]").all():
            tab.click()
            _fits(v)
        assert v.errors == []
    finally:
        v.page.close()


def test_a_narrow_table_box_shows_its_hint_and_fades_its_hidden_edge(browser, pages):
    """The compare table is wider than an 800 px window: its box says "scroll →", fades the right
    edge (not the left) at the start, and says "scroll back" once scrolled to the end."""
    v = visit(browser, pages, "compare", 800)
    try:
        box = v.page.locator("#cmp_metrics .scroll")
        state = "b => [b.className, b.previousElementSibling.textContent, getComputedStyle(b).maskImage]"
        cls, hint, mask = box.evaluate(state)
        assert "overflows" in cls and "at-start" in cls and "at-end" not in cls, cls
        assert "scroll →" in hint and mask != "none", (hint, mask)
        box.evaluate("b => { b.scrollLeft = b.scrollWidth; b.dispatchEvent(new Event('scroll')); }")
        cls, hint, _ = box.evaluate(state)
        assert "at-end" in cls and "scroll back" in hint, (cls, hint)
    finally:
        v.page.close()


def _lands_below_the_bar(v: Visit, anchor: str) -> None:
    v.page.wait_for_timeout(50)
    bar = v.page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom")
    top = v.page.evaluate(f"document.getElementById({anchor!r}).querySelector('h3').getBoundingClientRect().top")
    assert bar <= top < HEIGHT, f"#{anchor} heading at {top} px; the bar ends at {bar} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_generator_link_puts_its_heading_in_view_below_the_bar(browser, pages, width):
    """The generators' index, the bar's jump list and the links back: each lands where it says,
    the heading visible and not under the sticky bar (which wraps on a narrow window)."""
    v = visit(browser, pages, "report", width)
    try:
        links = v.page.locator("#generators nav.toc a")
        anchors = [a.removeprefix("#") for a in links.evaluate_all("a => a.map(x => x.getAttribute('href'))")]
        assert len(anchors) >= 3
        for i in (1, len(anchors) - 1, 0):  # down the page, to the end, back up
            links.nth(i).click()
            _lands_below_the_bar(v, anchors[i])
        v.page.locator("select.jump").select_option(anchors[2])
        _lands_below_the_bar(v, anchors[2])
        section = v.page.locator(f"#{anchors[2]}")
        section.locator("p.back a", has_text="all generators").click()
        v.page.wait_for_timeout(50)
        index = v.page.evaluate("document.querySelector('#generators nav.toc').getBoundingClientRect().top")
        bar = v.page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom")
        assert bar <= index < HEIGHT
        assert v.page.locator("a.to-top").is_visible()
        section.locator("p.back a", has_text="back to top").click()
        v.page.wait_for_timeout(50)
        assert v.page.evaluate("window.scrollY") == 0
        assert not v.page.locator("a.to-top").is_visible()  # nothing to go back to
        assert v.errors == []
    finally:
        v.page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_verdict_is_the_first_section_and_on_the_first_screen(browser, pages, width):
    """After the run's header comes the verdict ("Does it recover the process?"): first in the
    bar's links, first section, its heading on the first screen."""
    v = visit(browser, pages, "report", width)
    try:
        ids = v.page.eval_on_selector_all("main > section.view", "s => s.map(e => e.id)")
        assert ids[:3] == ["header", "summary", "recovery"], ids
        assert v.page.locator(".topbar nav a").first.get_attribute("href") == "#summary"
        heading = v.page.locator("#summary h2")
        assert heading.inner_text().startswith("Does it recover the process?")
        assert heading.evaluate("h => h.getBoundingClientRect().top") < HEIGHT
    finally:
        v.page.close()


@pytest.mark.parametrize(
    "name, cells_of",
    [
        ("report", "#summary td.score"),
        ("leaderboard", "#heatmap div[id^=heat-]:not(#heat-overall) td.score"),  # each face's tab
        ("leaderboard", "#best td.score:not(:nth-last-child(5))"),  # the face columns, not the mean of faces
    ],
)
def test_every_face_score_carries_its_se_or_a_reason(browser, pages, name, cells_of):
    """A score shown without its uncertainty reads as exact: each face score cell shows ± se,
    says the value is the same on every seed, or is a reason in words (e.g. "not offered")."""
    v = visit(browser, pages, name)
    try:
        cells = v.page.eval_on_selector_all(
            cells_of, "cs => cs.map(c => [c.classList.contains('na'), c.textContent.trim()])"
        )
        assert len(cells) >= 10
        bare = [
            text
            for reason, text in cells
            if not (
                "±" in text
                or "same on every seed" in text
                or "(1 seed)" in text  # one seed: no se, said so
                or (reason and any(ch.isalpha() for ch in text))
            )
        ]
        assert bare == [], f"scores without ± se or a reason: {bare}"
        assert any("±" in text for _, text in cells)
    finally:
        v.page.close()


def test_every_image_is_drawn_at_twice_its_displayed_width(browser, pages):
    """Sharp on a high-density screen and when zoomed: every picture has at least two image
    pixels per CSS pixel it is shown at (at 1400 px, where nothing is scaled down to fit)."""
    v = visit(browser, pages, "report", 1400)
    try:
        images = v.page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.alt, i.complete, i.naturalWidth, i.getBoundingClientRect().width])"
        )
        assert len(images) >= 6
        soft = [(alt[:40], n, shown) for alt, done, n, shown in images if not (done and n >= 2 * shown)]
        assert soft == [], f"images under 2x: {soft}"
    finally:
        v.page.close()
