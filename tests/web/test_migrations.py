"""One migration history builds exactly the models' schema, on PostgreSQL and on SQLite."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from mwanzo import create_app
from mwanzo.extensions import db
from tests.conftest import fresh_postgres_database


def schema_differences(app) -> list:
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return differences


@pytest.mark.postgres
def test_migrations_upgrade_an_empty_postgresql_database_to_exactly_the_models(app, postgres):
    url = fresh_postgres_database(postgres, f"{sa.make_url(postgres).database}_migrations")
    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
    assert schema_differences(other) == []


def test_migrations_upgrade_an_empty_sqlite_database_to_exactly_the_models(app, tmp_path):
    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"})
    assert schema_differences(other) == []


def test_the_latest_migration_downgrades_and_upgrades_again_on_sqlite(app, tmp_path):
    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'round.db'}"})
    with other.app_context():
        upgrade()
        downgrade(revision="-1")
        db.engine.dispose()
    assert schema_differences(other) == []


@pytest.mark.postgres
def test_the_latest_migration_downgrades_and_upgrades_again_on_postgresql(app, postgres):
    url = fresh_postgres_database(postgres, f"{sa.make_url(postgres).database}_round")
    other = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        upgrade()
        downgrade(revision="-1")
        db.engine.dispose()
    assert schema_differences(other) == []
