"""catalog search: weighted tsvector, GIN indexes, pg_trgm, the triggers that keep the vector current,
and indexes for the catalog's default order and facets

On PostgreSQL ``courses.search_vector`` is computed by a BEFORE trigger from the course's own text plus its
category's and instructor's names; renaming a category or a user re-touches their courses. So every writer
(studio, admin, seed scripts, SQL by hand) keeps search current without calling anything.
On SQLite the column is a plain, unused TEXT column: search there uses LIKE (see catalog/search.py).

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

# Keep in step with mwanzo/catalog/search.py (SEARCH_CONFIG).
COURSE_VECTOR_FUNCTION = """
CREATE OR REPLACE FUNCTION courses_search_vector_refresh() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.short_description, '')), 'B') ||
        setweight(to_tsvector('english', coalesce((SELECT name FROM categories WHERE id = NEW.category_id), '')), 'B') ||
        setweight(to_tsvector('english', coalesce((SELECT name FROM users WHERE id = NEW.instructor_id), '')), 'C') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

# Renaming a category or an instructor re-touches their courses (TG_ARGV[0] names the courses column);
# setting search_vector to NULL is enough, the course trigger above recomputes it.
TOUCH_COURSES = """
CREATE OR REPLACE FUNCTION courses_search_touch() RETURNS trigger AS $$
BEGIN
    EXECUTE format('UPDATE courses SET search_vector = NULL WHERE %I = $1', TG_ARGV[0]) USING NEW.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    vector_type = postgresql.TSVECTOR() if postgres else sa.Text()
    with op.batch_alter_table("courses") as batch_op:
        batch_op.add_column(sa.Column("search_vector", vector_type, nullable=True))
    op.create_index("ix_courses_search_vector", "courses", ["search_vector"], postgresql_using="gin")
    op.create_index("ix_courses_title_trgm", "courses", ["title"], postgresql_using="gin",
                    postgresql_ops={"title": "gin_trgm_ops"})
    op.create_index("ix_courses_status_popularity", "courses", ["status", "enrollment_count", "published_at", "id"])
    op.create_index("ix_courses_status_category", "courses", ["status", "category_id"])
    op.create_index("ix_courses_status_language", "courses", ["status", "language"])
    if not postgres:
        return
    op.execute(COURSE_VECTOR_FUNCTION)
    op.execute(TOUCH_COURSES)
    op.execute(
        "CREATE TRIGGER courses_search_vector_refresh BEFORE INSERT OR UPDATE OF "
        "title, short_description, description, category_id, instructor_id, search_vector ON courses "
        "FOR EACH ROW EXECUTE FUNCTION courses_search_vector_refresh()"
    )
    op.execute(
        "CREATE TRIGGER courses_search_touch_by_category AFTER UPDATE OF name ON categories "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION courses_search_touch('category_id')"
    )
    op.execute(
        "CREATE TRIGGER courses_search_touch_by_instructor AFTER UPDATE OF name ON users "
        "FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION courses_search_touch('instructor_id')"
    )
    op.execute("UPDATE courses SET search_vector = NULL")  # fills the vector of existing rows


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS courses_search_touch_by_instructor ON users")
        op.execute("DROP TRIGGER IF EXISTS courses_search_touch_by_category ON categories")
        op.execute("DROP TRIGGER IF EXISTS courses_search_vector_refresh ON courses")
        op.execute("DROP FUNCTION IF EXISTS courses_search_touch()")
        op.execute("DROP FUNCTION IF EXISTS courses_search_vector_refresh()")
    for name in ("ix_courses_status_language", "ix_courses_status_category", "ix_courses_status_popularity",
                 "ix_courses_title_trgm"):
        op.drop_index(name, table_name="courses")
    op.drop_index("ix_courses_search_vector", table_name="courses")
    with op.batch_alter_table("courses") as batch_op:
        batch_op.drop_column("search_vector")
