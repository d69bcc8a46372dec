"""course title words: the vocabulary a misspelt search is corrected against

On PostgreSQL a trigger adds the words of every course title written to ``course_title_words`` (trigram
index), so the typo fallback looks up a few hundred words instead of comparing the query with every title.
On SQLite the table stays empty: search there has no typo tolerance (see catalog/search.py).

Revision ID: 0120
Revises: 0123
"""
from alembic import op
import sqlalchemy as sa

revision = "0120"
down_revision = "0122"
branch_labels = None
depends_on = None

# Keep in step with mwanzo/catalog/search.py (query_words): letters only, 3 to 64 of them, lower case.
WORDS_OF = "regexp_split_to_table(lower({title}), '[^[:alpha:]]+') AS word"
WANTED = "length(word) BETWEEN 3 AND 64"

ADD_TITLE_WORDS = f"""
CREATE OR REPLACE FUNCTION course_title_words_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO course_title_words (word) SELECT DISTINCT word FROM {WORDS_OF.format(title="NEW.title")}
    WHERE {WANTED} ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table("course_title_words", sa.Column("word", sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint("word", name=op.f("pk_course_title_words")))
    op.create_index("ix_course_title_words_trgm", "course_title_words", ["word"], postgresql_using="gin",
                    postgresql_ops={"word": "gin_trgm_ops"})
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ADD_TITLE_WORDS)
    op.execute("CREATE TRIGGER courses_title_words AFTER INSERT OR UPDATE OF title ON courses "
               "FOR EACH ROW EXECUTE FUNCTION course_title_words_add()")
    op.execute(f"INSERT INTO course_title_words (word) SELECT DISTINCT word FROM courses, "
               f"{WORDS_OF.format(title='courses.title')} WHERE {WANTED}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS courses_title_words ON courses")
        op.execute("DROP FUNCTION IF EXISTS course_title_words_add()")
    op.drop_index("ix_course_title_words_trgm", table_name="course_title_words")
    op.drop_table("course_title_words")
