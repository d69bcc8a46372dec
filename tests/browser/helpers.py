"""Steps several browser tests share."""
from mwanzo.extensions import db
from tests.factories import PASSWORD


def log_in(page, email):
    """Sign in through the login form, as a learner would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("header .menu a[href='/profile']").wait_for(state="attached")


def start_playing(page):
    """Press play as a learner would (muted so headless Chromium allows it) and wait for time to pass."""
    page.wait_for_selector("video[data-ready]", state="attached")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1", timeout=15_000)


def seek_to(page, seconds: float):
    """Move the playing video to ``seconds``, as dragging its bar does, and wait until it plays on from there."""
    page.evaluate("(t) => { document.querySelector('video').currentTime = t; }", seconds)
    page.wait_for_function("(t) => { const v = document.querySelector('video'); return v.currentTime > t + 0.5 && !v.seeking; }",
                           arg=seconds, timeout=15_000)


def eventually(page, check, what: str, seconds: float = 10):
    """What ``check`` reads from the database once the browser's request has reached the server (a keepalive
    or background request has no response for the page to wait on), or fail saying ``what`` never came."""
    for _ in range(int(seconds * 10)):
        db.session.expire_all()
        result = check()
        if result:
            return result
        page.wait_for_timeout(100)
    raise AssertionError(f"{what} never reached the server")


def open_menu_link(page, name):
    """Follow a link of the header's menu, opening the menu first as a person would."""
    menu = page.locator("header details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    menu.get_by_role("link", name=name).click()


AXE_SCRIPT = __import__("pathlib").Path(__file__).with_name("vendor") / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[dict]:
    """Run axe-core (vendored, tests/browser/vendor) on the page as it stands, WCAG 2.1 A and AA rules only.
    Returns the violations, each with its rule, impact, help and the first offending elements."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    found = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [" ".join(n["target"]) + " :: " + n.get("failureSummary", "").replace("\n", " ")[:200]
                       for n in v["nodes"][:5]]} for v in found["violations"]]
