"""A lesson revisited on a 360 px phone reuses what the browser already paid for: poster and segments
come from its cache, not the network. Bytes are what the browser's network layer received."""
import pytest

from mwanzo.learning import services as learning
from mwanzo.extensions import db
from tests.browser.helpers import log_in
from tests.browser.test_player import PLAYS
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser


class NetworkLog:
    """Chromium's own account (DevTools protocol) of each response: from cache or not, bytes on the wire."""

    def __init__(self, page):
        self.requests, self.cached, self.bytes, self.status = {}, set(), {}, {}
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.requestWillBeSent", lambda e: self.requests.__setitem__(e["requestId"], e["request"]["url"]))
        session.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        session.on("Network.responseReceived", self._response)
        session.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def _response(self, event):
        self.status[event["requestId"]] = event["response"]["status"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.cached.add(event["requestId"])

    def dump(self, title):
        print("\n==", title)
        for rid, url in self.requests.items():
            print(rid in self.cached, self.status.get(rid), self.bytes.get(rid), url[:120])

    def clear(self):
        self.requests.clear(), self.cached.clear(), self.bytes.clear(), self.status.clear()

    def fetched(self, part):
        """URLs containing part that went to the network (not answered by the cache)."""
        return [url for rid, url in self.requests.items() if part in url and rid not in self.cached]

    def from_cache(self, part):
        return [url for rid, url in self.requests.items() if part in url and rid in self.cached]

    def transferred(self, part=""):
        """Bytes received over the network (headers included; a 304 costs only its headers)."""
        return sum(size for rid, size in self.bytes.items() if rid not in self.cached and part in self.requests[rid])

    def transferred_for(self, url):
        return sum(size for rid, size in self.bytes.items() if rid not in self.cached and self.requests[rid] == url)

    def downloaded(self, part):
        """URLs containing part whose body came over the network (not a cache hit, not a 304)."""
        return [self.requests[rid] for rid, size in self.bytes.items()
                if part in self.requests[rid] and rid not in self.cached and size > 1024]


def play_to_the_end(page):
    page.wait_for_selector("video[data-ready]", state="attached")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=30_000)


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_revisiting_a_lesson_reuses_the_cached_poster_and_segments(page, make, engine):
    page.context.add_init_script(PLAYS[engine])
    learner = make.user()
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title="Sending money")
    learning.enroll_free(learner, course)
    db.session.commit()
    log_in(page, learner.email)
    network = NetworkLog(page)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"

    page.goto(url)
    page.wait_for_load_state("networkidle")
    network.clear()
    play_to_the_end(page)
    first = network.transferred()
    segments = network.downloaded("/seg_")
    assert segments and len(segments) == len(set(segments)), "a segment was downloaded twice in one sitting"
    # The quality menu's figure for Auto covers the sitting (playlists and segments).
    label = page.locator("option[data-quality=auto]").inner_text()
    assert first <= max(rendition["bytes"] for rendition in lesson.renditions) + 8 * 1024, label

    network.clear()
    page.goto(url)  # revisit without playing
    page.wait_for_load_state("networkidle")
    revisit, html = network.transferred(), network.transferred_for(page.url)
    assert network.from_cache("poster.jpg") and not network.downloaded("poster.jpg")
    assert revisit <= html + 1024

    network.clear()
    play_to_the_end(page)  # a second sitting
    second = network.transferred()
    assert not set(network.downloaded("/seg_")) & set(segments), "a segment was paid for twice"
    print(f"\n{engine}: bytes over the network: first sitting {first} (menu: {label}), revisit without playing "
          f"{revisit} (its HTML {html}), second sitting {second}")
    if engine == "native":  # hls.js may pick another rung for a segment on the second sitting
        assert second <= first * 0.05
