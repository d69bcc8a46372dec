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
