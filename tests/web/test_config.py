import pytest

from mwanzo import create_app
from mwanzo.config import InsecureConfiguration, normalise_database_url


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("MWANZO_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PAYMENT_PROVIDER", "payhero")
    monkeypatch.setenv("PAYMENT_CALLBACK_TOKEN", "x" * 32)
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        create_app()


def test_production_refuses_debug_and_sandbox_payments(monkeypatch):
    monkeypatch.setenv("MWANZO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(InsecureConfiguration) as error:
        create_app()
    assert "debug" in str(error.value) and "sandbox" in str(error.value)


def test_production_marks_cookies_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("MWANZO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PAYMENT_PROVIDER", "payhero")
    monkeypatch.setenv("PAYMENT_CALLBACK_TOKEN", "t" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    first, second = create_app().config["SECRET_KEY"], create_app().config["SECRET_KEY"]
    assert first == second and len(first) >= 40


def test_database_url_is_normalised_to_psycopg():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
