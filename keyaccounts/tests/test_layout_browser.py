"""Every main page, as each role that may see it, in Chinese and English: it fits a phone (390 px),
a tablet (768 px) and a laptop (1366 px) without making the document wider than the window, and
axe-core finds no serious or critical accessibility problem on it (at 1366 px).

One browser, one login per role; each page is opened once per language and measured at each width
by resizing the window. Screenshots go to ``artifacts/layout/<lang>-<width>-<role>-<page>.png``, of
the first role that may open the page (``LAYOUT_SCREENSHOTS=every-role``: of every role; full-page
screenshots were a third of the test's time), and axe's findings per page to
``artifacts/axe-results.json``.
"""

import json
import os
import time
from pathlib import Path

import pytest

from keyaccounts.tests.browser import chromium
from keyaccounts.tests.layout_book import PASSWORD, ROLES, build_layout_book

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
WIDTHS = (1366, 768, 390)
SCREENSHOT_WIDTHS = {1366, 390}
LANGUAGES = ("en", "zh-hans")
BLOCKING_IMPACTS = {"serious", "critical"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# page → (address, the roles that may open it). The addresses take the book's customer and ticket.
PAGES = {
    "my-customers": ("/", set(ROLES)),
    "today": ("/today/", set(ROLES)),
    "search": ("/search/?q=%E6%B1%9F%E8%8B%8F", set(ROLES)),
    "customer": ("/customers/{customer}/", set(ROLES)),
    "dashboard": ("/dashboard/", {"executive", "admin"}),
    "model-quality": ("/risk/quality/", {"executive", "admin"}),
    "complaint-queue": ("/tickets/", set(ROLES)),
    "ticket": ("/tickets/{ticket}/", set(ROLES)),
    "hotline": ("/tickets/hotline/?q=%E6%B1%9F%E8%8B%8F", {"manager", "desk", "admin"}),
    "complaint-analytics": ("/tickets/analytics/", set(ROLES)),
    "notifications": ("/notifications/", set(ROLES)),
    "plays": ("/plays/?show=all", set(ROLES)),
    "play": ("/plays/{play}/", set(ROLES)),
    "imports": ("/import/", {"manager", "admin"}),
    "profile": ("/profile/", set(ROLES)),
    "admin-index": ("/admin/", {"admin"}),
}

# What makes the document wider than the window: of the elements sticking out (not counting what
# scrolls inside a box of its own), those whose parent does not stick out, the one reaching furthest
# right; null when the document is no wider than the window.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= width) return null;
  const right = (el) => el.getBoundingClientRect().right + window.scrollX;
  // How far right an element reaches: its box, or what spills out of it (a line of text that cannot
  // wrap) when it does not clip its content.
  const reach = (el) => Math.max(right(el), getComputedStyle(el).overflowX === "visible"
    ? el.getBoundingClientRect().left + window.scrollX + el.scrollWidth : 0);
  // Clipped by a scrolling or hidden-overflow box, as CSS does it: an absolutely placed element
  // only by boxes from its containing block outwards.
  const clipped = (el) => {
    let placed = ["absolute", "fixed"].includes(getComputedStyle(el).position);
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (placed && style.position === "static") continue;
      if (style.overflowX !== "visible") return true;
      placed = ["absolute", "fixed"].includes(style.position);
    }
    return false;
  };
  let worst = null;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || clipped(el)) continue;
    const reached = reach(el);
    if (reached <= width + 0.5) continue;
    // Where the overflow starts: an element whose parent's own box still fits (or is clipped).
    const parent = el.parentElement;
    if (parent !== document.body && right(parent) > width + 0.5 && !clipped(parent)) continue;
    // Ties go to the later, deeper element: the wide table rather than the boxes around it.
    if (!worst || reached >= worst.reach) worst = {el: el, reach: reached, width: Math.max(box.width, el.scrollWidth)};
  }
  let name = "(none found: a pseudo-element or a transform?)";
  if (worst) {
    const el = worst.el;
    name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.classList.length ? "." + [...el.classList].join(".") : "")
      + (el.dataset.testid ? "[data-testid=" + el.dataset.testid + "]" : "")
      + ' "' + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60) + '"'
      + " (" + Math.round(worst.width) + " px wide, reaching " + Math.round(worst.reach) + " px)";
  }
  return {scrollWidth: scrollWidth, element: name};
}"""

NEXT_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

AXE_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")).slice(0, 10), nodes: v.nodes.length}));
}"""


@pytest.fixture
def browser():
    with chromium() as browser:
        yield browser


def _signed_in_page(browser, live_server, username):
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def _open(page, url):
    response = page.goto(url, wait_until="load")
    assert response.status == 200, f"{url}: {response.status}"
    # The nav's badges and the customer page's sections arrive by htmx after the load; the page is
    # complete when no request is pending and no placeholder is still waiting for its section.
    page.wait_for_function("() => !document.querySelector('.htmx-request, [aria-busy=true]')")


def sweep(browser, live_server, *, axe: bool):
    """Opens every page as every role; returns (overflows, axe results per page)."""
    book = build_layout_book()
    layout_dir = ARTIFACTS / "layout"
    layout_dir.mkdir(parents=True, exist_ok=True)
    overflows, axe_results = [], {}
    every_role = os.environ.get("LAYOUT_SCREENSHOTS") == "every-role"
    shot: set[tuple[str, str]] = set()  # (page, language) already in a screenshot
    for role, username in ROLES.items():
        page = _signed_in_page(browser, live_server, username)
        for language in LANGUAGES:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            for name, (address, roles) in PAGES.items():
                if role not in roles:
                    continue
                url = live_server.url + address.format(
                    customer=book.customer.pk, ticket=book.ticket.pk, play=book.play.pk
                )
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                _open(page, url)
                assert page.evaluate("document.documentElement.lang") == language, (name, role, language)
                for width in WIDTHS:
                    if width != WIDTHS[0]:
                        page.set_viewport_size({"width": width, "height": 900})
                        page.evaluate(NEXT_FRAME_JS)  # the layout and the charts follow the new width
                    found = page.evaluate(OVERFLOW_JS)
                    if found:
                        overflows.append(
                            f"{name} ({role}, {language}, {width} px): the document is {found['scrollWidth']} px wide;"
                            f" widest offender: {found['element']}"
                        )
                    if width in SCREENSHOT_WIDTHS and (every_role or (name, language) not in shot):
                        page.screenshot(path=str(layout_dir / f"{language}-{width}-{role}-{name}.png"), full_page=True)
                    if axe and width == WIDTHS[0]:
                        # From the app's own static files: the policy allows no inline script.
                        page.add_script_tag(url=f"{live_server.url}/static/vendor/axe-core/axe.min.js")
                        axe_results[f"{language} {role} {name}"] = page.evaluate(AXE_JS)
                shot.add((name, language))
        page.context.close()
    return overflows, axe_results


def test_main_pages_fit_every_width_and_pass_axe(browser, live_server):
    started = time.monotonic()
    overflows, axe_results = sweep(browser, live_server, axe=True)
    report = {
        page: {
            "counts": {
                impact: sum(1 for v in violations if v["impact"] == impact)
                for impact in ("critical", "serious", "moderate", "minor")
            },
            "nodes": {
                impact: sum(v["nodes"] for v in violations if v["impact"] == impact)
                for impact in ("critical", "serious", "moderate", "minor")
            },
            "violations": violations,
        }
        for page, violations in axe_results.items()
    }
    (ARTIFACTS / "axe-results.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    blocking = [
        f"{page}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        for page, violations in axe_results.items()
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]
    print(f"layout and axe sweep: {len(axe_results)} pages in {time.monotonic() - started:.0f} s")
    assert not overflows and not blocking, "\n".join(
        ["Wider than the window:", *overflows, "Serious or critical accessibility problems:", *blocking]
    )


FOCUS_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), name: el.name || el.textContent.trim().slice(0, 40),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def test_the_keyboard_alone_signs_in_and_every_focus_is_visible(browser, live_server):
    """Signed in with Tab and Enter only; the filter form is reached with Tab, and whatever has the
    focus on the way shows a ring of at least 2 px (app.css, :focus-visible)."""
    from keyaccounts.tests import factories as f

    alice = f.account_manager("alice")
    f.CustomerFactory(name="Suzhou Optics", owner=alice)
    page = browser.new_context(viewport={"width": 390, "height": 900}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.focus("input[name=username]")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS_JS)["name"] == "password"
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Suzhou Optics")
    seen = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        seen.append(focus)
        assert focus["outline"] != "none" and focus["width"] >= 2, f"no visible focus ring on {focus}"
        if focus["name"] == "q":
            break
    assert seen[-1]["name"] == "q", f"the filter form's search box was not reached by Tab: {seen}"
    page.context.close()
