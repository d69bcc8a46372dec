"""A busy course's questions pages stay within the 14 KB gzip budget: 15 questions a page, 10 answers a page,
every post as long as the forms allow."""
from __future__ import annotations

import gzip
import random

from mwanzo.discussions import services
from mwanzo.extensions import db

SYLLABLES = "ka ki ku ma mi mu na ni nu pa po ta te to wa we ya ji sh ch ba be bo la li lo ra re ro sa se so".split()


def prose(rng, chars: int) -> str:
    """Made-up words from a few hundred thousand possible: compresses worse than real English or Swahili."""
    words = []
    while sum(len(word) + 1 for word in words) < chars:
        words.append("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return " ".join(words)[:chars]


def gzipped(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(gzip.compress(response.get_data(), 9))


def test_question_list_and_a_long_thread_fit_the_budget(client, login, make):
    rng = random.Random(17)
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id)
    learners = [make.user(name=f"Learner Number{n} Surname") for n in range(12)]
    for learner in learners:
        make.enrollment(learner, course)
    questions = [services.ask(rng.choice(learners), course, prose(rng, 200), prose(rng, 3000)) for _ in range(20)]
    for n in range(14):
        services.answer(rng.choice(learners + [teacher]), course, questions[0], prose(rng, 2000), "/")
    for _ in range(3):  # the list page shows the latest three announcements
        services.announce(teacher, course, prose(rng, 200), prose(rng, 2000), "/")
    db.session.commit()
    login(learners[0])
    sizes = {"list": gzipped(client, f"/learn/{course.slug}/questions"),
             "thread": gzipped(client, f"/learn/{course.slug}/questions/{questions[0].id}"),
             "inbox": gzipped(client, "/notifications")}
    assert all(size <= 14 * 1024 for size in sizes.values()), sizes


def test_a_thread_of_200_answers_shows_the_accepted_one_and_collapses_the_rest(client, login, make):
    """Page one: the accepted answer (the 150th posted) and the earliest others, then "show 190 more answers",
    a link to the next page's answers without JavaScript, loaded in its place by htmx; within the budget."""
    rng = random.Random(200)
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id)
    asker = make.user(name="Learner Number0 Surname")
    make.enrollment(asker, course)
    question = services.ask(asker, course, prose(rng, 200), prose(rng, 3000))
    answers = [services.answer(teacher, course, question, f"Answer number {n}: {prose(rng, 2000)}", "/")
               for n in range(200)]
    services.accept(asker, course, question, answers[149].id, "/")
    db.session.commit()
    login(asker)
    url = f"/learn/{course.slug}/questions/{question.id}"
    assert gzipped(client, url) <= 14 * 1024
    first = client.get(url).get_data(as_text=True)
    assert first.count('<article id="answer-') == services.ANSWERS_PER_PAGE
    assert first.index("Answer number 149:") < first.index("Answer number 0:")  # the accepted one leads
    assert "Answer number 9:" not in first and "Show 190 more answers" in first
    assert f'href="{url}?page=2#answers-page-2"' in first
    assert f'hx-get="{url}?page=2" hx-select="#answers-page-2" hx-target="closest .more"' in first

    second = client.get(url, query_string={"page": 2}).get_data(as_text=True)  # the link without JavaScript
    assert 'id="answers-page-2"' in second and "Answer number 9:" in second and "Answer number 18:" in second
    assert "Answer number 8:" not in second and "Answer number 149:" not in second
    assert "Show 180 more answers" in second and "Back to the first answers" in second
    fragment = client.get(url, query_string={"page": 2}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="answers-page-2"' in fragment and "Answer number 9:" in fragment

    last = client.get(url, query_string={"page": 20}).get_data(as_text=True)
    assert "Answer number 199:" in last and "more answer" not in last
