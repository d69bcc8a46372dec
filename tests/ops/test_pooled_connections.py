"""Pooled PostgreSQL connections the server has ended are replaced before a request uses them, as after a
database restart, without asking the server on every checkout."""
import pytest
import sqlalchemy as sa

from mwanzo.extensions import db


@pytest.mark.postgres
def test_a_signed_in_page_serves_after_the_server_ended_every_pooled_connection(postgres, client, login, make):
    slug = make.category(name="Farming").slug
    login(make.user())
    assert "Log out" in client.get(f"/categories/{slug}").get_data(as_text=True)  # the pool now holds a used connection
    db.session.remove()

    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        ended = connection.scalar(sa.text(
            # With a timeout the call returns once each backend has exited, as after a restart; without one
            # it only signals, and the next request can reach a backend that has not yet closed its socket.
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    admin.dispose()
    assert ended >= 1

    response = client.get(f"/categories/{slug}")
    assert response.status_code == 200
    assert "Log out" in response.get_data(as_text=True)  # still signed in: the account was read
