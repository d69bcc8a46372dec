from mwanzo.extensions import db


def test_accept_language_picks_swahili_by_default(client):
    page = client.get("/", headers={"Accept-Language": "sw-KE,sw;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="sw"' in page and "Jifunze ujuzi wa kazi kwenye simu yako" in page


def test_switcher_sets_a_cookie_and_returns_to_the_page(client):
    response = client.post("/language", data={"lang": "sw"}, headers={"Referer": "http://localhost/login"})
    assert response.status_code == 302 and response.location == "/login"
    assert "lang=sw" in response.headers["Set-Cookie"]
    assert "Ingia" in client.get("/login").get_data(as_text=True)
    assert client.post("/language", data={"lang": "fr"}).status_code == 400


def test_switcher_remembers_the_choice_on_the_account(client, make, login, app):
    user = login(make.user())
    client.post("/language", data={"lang": "sw"})
    db.session.refresh(user)
    assert user.locale == "sw"
    other_device = app.test_client()
    with other_device.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert "Wasifu" in other_device.get("/").get_data(as_text=True)


def test_switcher_ignores_foreign_referrers(client):
    response = client.post("/language", data={"lang": "en"}, headers={"Referer": "https://evil.example/x"})
    assert response.location == "/"


def test_kes_amounts_and_dates_follow_the_locale(app):
    from datetime import date
    from decimal import Decimal

    from flask_babel import force_locale

    from mwanzo.web.filters import format_kes

    with app.test_request_context():
        with force_locale("sw"):
            assert format_kes(Decimal("2500")) == "KES 2,500"
            assert format_kes(Decimal("0")) == "Bure"
            assert "2026" in app.jinja_env.filters["dateformat"](date(2026, 3, 1))
