"""The lesson page: player markup, what each quality costs, data saver, downloads, curriculum, size."""
import gzip
import re

from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.learning import services
from mwanzo.web.filters import format_bytes
from tests.learning.media_fixtures import ready_video_lesson


def video_page(client, course, lesson):
    return client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)


def learner_in(make, course, **kwargs):
    learner = make.user(**kwargs)
    services.enroll_free(learner, course)
    db.session.commit()
    return learner


def test_player_is_a_plain_video_that_loads_nothing_before_play(client, login, make):
    course = make.course()
    lesson = ready_video_lesson(make.section(course))
    login(learner_in(make, course))
    page = video_page(client, course, lesson)
    video = re.search(r"<video[^>]*>", page).group(0)
    assert 'preload="none"' in video and "autoplay" not in page and 'poster="/media/' in video
    assert f'data-src="/learn/{course.slug}/lessons/{lesson.id}/hls/master.m3u8"' in video
    assert re.search(r'<source src="/learn/[^"]+/video.mp4" type="video/mp4">', page)
    assert '<track kind="captions" src="/media/' in page and 'srclang="en"' in page
    assert " default>" not in page  # captions are off until the learner turns them on
    # hls.js is not on the page; the player script fetches it only for browsers without native HLS.
    assert "hls.light" not in re.sub(r'data-hls-js="[^"]+"', "", page) and "js/player." in page
    assert "<script>" not in page and "style=" not in page


def test_quality_menu_shows_the_data_cost_of_each_choice(client, login, make):
    course = make.course()
    lesson = ready_video_lesson(make.section(course))
    login(learner_in(make, course))
    page = video_page(client, course, lesson)
    options = re.findall(r'<option value="([^"]+)" data-quality="([^"]+)"( selected)?>([^<]+)</option>', page)
    assert [o[1] for o in options] == ["auto", "144p", "240p", "audio"]
    sizes = {r["name"]: format_bytes(r["bytes"]) for r in lesson.renditions}
    assert options[0][2] and options[0][3].startswith("Auto · up to ≈ " + sizes["240p"])
    assert options[1][3] == f"144p · ≈ {sizes['144p']}" and options[3][3] == f"Audio only (saves data) · ≈ {sizes['audio']}"
    assert options[3][0].endswith("/hls/audio/index.m3u8")
    # the curriculum shows the lesson's cost at the default quality (Auto: the best rung)
    assert f"· ≈ {sizes['240p']}</span>" in page


def test_data_saver_starts_on_audio_only_and_prices_the_curriculum_that_way(client, login, make):
    course = make.course()
    lesson = ready_video_lesson(make.section(course))
    login(learner_in(make, course, data_saver=True))
    page = video_page(client, course, lesson)
    assert 'data-quality="audio" selected' in page and 'hls/audio/index.m3u8" data-quality="audio"' in page
    assert re.search(r'data-src="[^"]+/hls/audio/index.m3u8"', page)
    audio = next(r for r in lesson.renditions if r["name"] == "audio")
    assert f"· ≈ {format_bytes(audio['bytes'])}</span>" in page


def test_data_saver_without_audio_starts_on_the_lowest_rung(client, login, make):
    course = make.course()
    lesson = ready_video_lesson(make.section(course))
    lesson.renditions = [r for r in lesson.renditions if r["name"] != "audio"]
    db.session.commit()
    login(learner_in(make, course, data_saver=True))
    assert 'data-quality="144p" selected' in video_page(client, course, lesson)


def test_offline_download_is_an_attachment_with_its_size_on_the_button(client, login, make):
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title="Budgeting basics")
    login(learner_in(make, course))
    page = video_page(client, course, lesson)
    assert f"Download for offline ({format_bytes(lesson.download_bytes)})" in page
    redirect = client.get(f"/learn/{course.slug}/lessons/{lesson.id}/download")
    assert redirect.status_code == 302 and "sig=" in redirect.location
    file = client.get(redirect.location)
    assert file.status_code == 200 and len(file.data) == lesson.download_bytes
    assert file.headers["Content-Disposition"] == f'attachment; filename="{course.slug}-Budgeting-basics.mp4"'
    assert file.mimetype == "video/mp4"


def test_video_still_processing_says_so(client, login, make):
    course = make.course()
    lesson = make.lesson(make.section(course), kind="VIDEO", body_markdown=None, processing_status="PROCESSING")
    login(learner_in(make, course))
    page = video_page(client, course, lesson)
    assert "still being prepared" in page and "<video" not in page


def test_curriculum_has_ticks_previous_next_and_remembers_the_lesson(client, login, make):
    course = make.course()
    section = make.section(course)
    first, second, third = (make.lesson(section, title=f"Part {n}") for n in (1, 2, 3))
    login(learner_in(make, course))
    client.post(f"/learn/{course.slug}/lessons/{first.id}/complete")
    page = video_page(client, course, second)
    assert page.count('class="done"') == 1 and 'aria-current="page">Part 2' in page
    assert f'rel="prev" href="/learn/{course.slug}/lessons/{first.id}"' in page
    assert f'rel="next" href="/learn/{course.slug}/lessons/{third.id}"' in page
    # /learn/<slug> now resumes at Part 2
    assert client.get(f"/learn/{course.slug}").location.endswith(f"/lessons/{second.id}")


def test_mark_complete_moves_on_to_the_next_lesson(client, login, make):
    course = make.course()
    section = make.section(course)
    first, second = make.lesson(section), make.lesson(section)
    login(learner_in(make, course))
    page = video_page(client, course, first)
    assert f'name="next_lesson_id" value="{second.id}"' in page
    response = client.post(f"/learn/{course.slug}/lessons/{first.id}/complete", data={"next_lesson_id": str(second.id)})
    assert response.location.endswith(f"/lessons/{second.id}")


def test_lesson_page_is_small(client, login, make):
    course = make.course()
    section = make.section(course)
    lessons = [ready_video_lesson(section, title=f"A rather long lesson title number {n}") for n in range(3)]
    lessons += [make.lesson(section, title=f"Reading {n}") for n in range(40)]
    login(learner_in(make, course))
    html = client.get(f"/learn/{course.slug}/lessons/{lessons[0].id}").data
    assert len(gzip.compress(html)) <= 14 * 1024, len(gzip.compress(html))


def test_lesson_page_query_count_does_not_grow_with_the_curriculum(client, login, make):
    from tests.queries import count_queries

    course = make.course()
    section = make.section(course)
    first = make.lesson(section)
    login(learner_in(make, course))
    url = f"/learn/{course.slug}/lessons/{first.id}"
    with count_queries() as few:
        client.get(url)
    for _ in range(10):
        make.lesson(make.section(course))
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few), "\n".join(s[:90] for s in many)
    assert db.session.scalar(select(db.func.count()).select_from(type(first))) == 11
