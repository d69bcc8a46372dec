"""The language is the learner's: chosen before sign-up it becomes the account's, every email uses it,
and saving the profile never changes it behind the learner's back."""
from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from tests.emails import emails_to, link_in
from tests.factories import PASSWORD

SIGN_UP = {"name": "Amina Njeri", "email": "amina@example.com", "phone": "0712 345 670",
           "password": "Kenya#2026", "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"}


def account(email="amina@example.com"):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_swahili_chosen_before_sign_up_is_the_accounts_language_everywhere(client, app, make):
    client.post("/language", data={"lang": "sw"})  # the footer's switcher, before signing up
    assert client.post("/register", data=SIGN_UP).status_code == 302
    user = account()
    assert user.locale == "sw"
    [welcome] = emails_to(user.email, "welcome")
    assert welcome.subject == "Karibu Mwanzo Skills Campus"

    client.get(link_in(welcome, "/verify-email/"))
    second_phone = app.test_client()  # no cookie, an English browser
    second_phone.post("/login", data={"email": user.email, "password": "Kenya#2026"},
                      headers={"Accept-Language": "en"})
    assert 'lang="sw"' in second_phone.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    course = make.course(title="Ufugaji wa Kuku")
    reading = make.lesson(make.section(course), title="Kuku", body_markdown="Soma")
    learning.enroll_free(account(), course)
    db.session.commit()
    assert emails_to(user.email, "enrollment_confirmation")[0].subject == "Umejiandikisha: Ufugaji wa Kuku"
    learning.complete_text_lesson(account(), course.slug, reading.id)
    db.session.commit()
    [completed] = emails_to(user.email, "course_completed")
    assert completed.subject.startswith("Hongera")


def test_sign_up_without_a_choice_keeps_following_the_browser(client):
    client.post("/register", data=SIGN_UP, headers={"Accept-Language": "sw"})
    assert account().locale is None


def test_saving_the_profile_keeps_the_language(client, login, make):
    user = login(make.user(email="otieno@example.com"))
    client.post("/language", data={"lang": "sw"})
    user = account("otieno@example.com")
    user.locale = None  # never chosen on the account: only the cookie says Swahili
    db.session.commit()
    page = client.get("/profile").get_data(as_text=True)
    select = page.split('name="locale">')[1].split("</select>")[0]
    assert select.startswith('<option value="">') and "selected" not in select  # shows "not chosen"
    form = {"name": "Otieno", "locale": "", "bio": "", "phone": ""}
    assert client.post("/profile", data=form).status_code == 302
    assert account("otieno@example.com").locale is None
    assert 'lang="sw"' in client.get("/profile").get_data(as_text=True)

    account("otieno@example.com").locale = "sw"
    db.session.commit()
    select = client.get("/profile").get_data(as_text=True).split('name="locale">')[1].split("</select>")[0]
    assert '<option selected value="sw">' in select
    client.post("/profile", data={**form, "locale": "sw"})
    assert account("otieno@example.com").locale == "sw"


def test_words_with_two_meanings_have_two_swahili_words(client, app):
    from flask_babel import force_locale, pgettext

    with app.test_request_context(), force_locale("sw"):
        assert (pgettext("filters", "Apply"), pgettext("job application", "Apply")) == ("Chuja", "Omba kazi hii")
        assert pgettext("learner ratings", "Reviews") != pgettext("approval queue", "Reviews")
        assert pgettext("free lesson", "Preview") != pgettext("see as a learner", "Preview")
    page = client.get("/courses", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert "<button>Chuja</button>" in page and "Tumia" not in page


def test_scores_and_phone_numbers_read_as_people_write_them(app):
    from decimal import Decimal

    from flask_babel import force_locale

    from mwanzo.phones import display_phone
    from mwanzo.web.filters import format_score

    with app.test_request_context():
        for locale in ("en", "sw"):
            with force_locale(locale):
                assert [format_score(Decimal(v)) for v in ("100.00", "87.50", "66.67", "0.00")] == \
                    ["100", "87.5", "66.67", "0"]
    assert display_phone("254712345670") == "0712 345 670"
    assert display_phone("254110345670") == "0110 345 670"
    assert display_phone(None) == "" and display_phone("not a number") == "not a number"
