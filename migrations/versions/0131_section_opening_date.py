"""learning: a section can open on a set date for everyone (``section_releases.opens_at``)

Revision ID: 0131
Revises: 0130
"""
from alembic import op
import sqlalchemy as sa

revision = "0131"
down_revision = "0130"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("section_releases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("section_releases", schema=None) as batch_op:
        batch_op.drop_column("opens_at")
