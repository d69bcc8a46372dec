"""Operator commands: flask seed-demo, flask create-user, flask scheduler, flask backup create|restore."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from mwanzo.auth import services as auth_services
from mwanzo.auth.models import Role
from mwanzo.courses.models import Category, Course, CourseStatus, Lesson, LessonKind, Level, Section
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.ops import backup
from mwanzo.quizzes.models import Answer, Question, QuestionKind, Quiz
from mwanzo.slugs import slugify

DEMO_PASSWORD = "Mwanzo#2026"

DEMO_USERS = [
    ("Amina Admin", "admin@example.com", Role.ADMIN),
    ("Wanjiru Kamau", "wanjiru@example.com", Role.INSTRUCTOR),
    ("Otieno Ochieng", "otieno@example.com", Role.INSTRUCTOR),
    ("Brian Kiptoo", "brian@example.com", Role.STUDENT),
    ("Faith Mutua", "faith@example.com", Role.STUDENT),
    ("Safari Tech Ltd", "safaritech@example.com", Role.EMPLOYER),
]

DEMO_CATEGORIES = [
    ("Digital skills", "digital-skills", "Computers, phones and the internet for work."),
    ("Business", "business", "Run and grow a small business."),
    ("Agriculture", "agriculture", "Modern farming and agribusiness."),
    ("Programming", "programming", "Write software and build websites."),
]

# title, category slug, instructor email, price, original price, level, featured
DEMO_COURSES = [
    ("Computer Basics for Work", "digital-skills", "wanjiru@example.com", 0, None, Level.BEGINNER, True),
    ("Excel for Small Business", "digital-skills", "wanjiru@example.com", 1500, 2500, Level.BEGINNER, True),
    ("Safe Mobile Money", "digital-skills", "otieno@example.com", 0, None, Level.BEGINNER, False),
    ("Social Media Marketing", "business", "wanjiru@example.com", 2000, None, Level.INTERMEDIATE, True),
    ("Bookkeeping for Duka Owners", "business", "otieno@example.com", 1200, 1800, Level.BEGINNER, False),
    ("Customer Service Excellence", "business", "otieno@example.com", 0, None, Level.BEGINNER, False),
    ("Starting a Poultry Business", "agriculture", "otieno@example.com", 1000, None, Level.BEGINNER, True),
    ("Drip Irrigation on Small Farms", "agriculture", "wanjiru@example.com", 800, None, Level.INTERMEDIATE, False),
    ("Dairy Goat Farming", "agriculture", "otieno@example.com", 0, None, Level.BEGINNER, False),
    ("Python Programming from Zero", "programming", "wanjiru@example.com", 2500, 4000, Level.BEGINNER, True),
    ("Build Websites with HTML and CSS", "programming", "otieno@example.com", 0, None, Level.BEGINNER, False),
    ("SQL and Databases", "programming", "wanjiru@example.com", 3000, None, Level.ADVANCED, False),
    ("Data Analysis with Python", "programming", "otieno@example.com", 3500, 5000, Level.INTERMEDIATE, False),
]


def seed_demo() -> list[tuple[str, str, Role]]:
    """Create the demo data once; running again changes nothing."""
    users = {}
    for name, email, role in DEMO_USERS:
        user = auth_services.find_user_by_email(email)
        if user is None:
            user = auth_services.create_user(name, email, DEMO_PASSWORD, role=role, verified=True)
            if role == Role.STUDENT:
                user.show_to_employers = True
        users[email] = user
    categories = {}
    for order, (name, slug, description) in enumerate(DEMO_CATEGORIES):
        category = db.session.scalar(select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(name=name, slug=slug, description=description, display_order=order)
            db.session.add(category)
        categories[slug] = category
    db.session.flush()
    for index, (title, category_slug, instructor_email, price, original, level, featured) in enumerate(DEMO_COURSES):
        slug = slugify(title)
        if db.session.scalar(select(Course.id).where(Course.slug == slug)):
            continue
        course = add_demo_course(index, title, slug, categories[category_slug], users[instructor_email],
                                 Decimal(price), Decimal(original) if original else None, level, featured)
        add_demo_thumbnail(course, index)
    add_demo_jobs(users["safaritech@example.com"])
    return [(email, DEMO_PASSWORD, role) for _, email, role in DEMO_USERS]


def add_demo_jobs(employer) -> None:
    """A company profile and two open jobs, so the jobs board and candidate pool have something to show."""
    from mwanzo.careers.models import EmployerProfile, Job, JobCourse, JobKind

    if db.session.scalar(select(EmployerProfile.id).where(EmployerProfile.user_id == employer.id)):
        return
    db.session.add(EmployerProfile(user_id=employer.id, company_name="Safari Tech Ltd", location="Nairobi",
                                   about="A growing Nairobi software and data company.",
                                   website="https://safaritech.example.com"))
    excel = db.session.scalar(select(Course).where(Course.slug == slugify("Excel for Small Business")))
    python = db.session.scalar(select(Course).where(Course.slug == slugify("Python Programming from Zero")))
    for title, kind, location, remote, course in (
        ("Data entry clerk", JobKind.FULL_TIME, "Nairobi", False, excel),
        ("Junior Python developer (intern)", JobKind.INTERNSHIP, None, True, python),
    ):
        job = Job(employer_id=employer.id, title=title, kind=kind, location=location, is_remote=remote,
                  description=f"**{title}** at Safari Tech. Show us your Mwanzo certificate.",
                  salary_min=Decimal("25000"), salary_max=Decimal("45000"), skills=["Attention to detail"])
        db.session.add(job)
        db.session.flush()
        if course is not None:
            db.session.add(JobCourse(job_id=job.id, course_id=course.id, is_required=True))


def add_demo_course(index, title, slug, category, instructor, price, original, level, featured) -> Course:
    course = Course(
        title=title, slug=slug, category_id=category.id, instructor_id=instructor.id, price=price,
        original_price=original, level=level, is_featured=featured, status=CourseStatus.PUBLISHED,
        published_at=utcnow(), language="English" if index % 4 else "Kiswahili",
        short_description=f"A practical, phone-friendly course: {title.lower()}.",
        description=(f"## About this course\n\n**{title}** teaches practical skills you can use at work "
                     "the same week. Lessons are short and light on data.\n\n- Learn step by step\n"
                     "- Practise with real Kenyan examples\n- Earn a certificate"),
        learning_objectives=["Understand the basics", "Apply them at work", "Avoid common mistakes"],
        requirements=["A phone or computer", "Willingness to practise"],
        enrollment_count=(index * 37) % 400, average_rating=Decimal("0"), rating_count=0,
    )
    db.session.add(course)
    db.session.flush()
    lesson_count, seconds = 0, 0
    for section_order, section_title in enumerate(["Getting started", "Putting it to work"]):
        section = Section(course_id=course.id, title=section_title, display_order=section_order)
        db.session.add(section)
        db.session.flush()
        for lesson_order in range(2):
            duration = 240 + 60 * lesson_order
            db.session.add(Lesson(
                course_id=course.id, section_id=section.id, kind=LessonKind.TEXT,
                title=f"{section_title}: part {lesson_order + 1}", display_order=lesson_order,
                body_markdown=f"### {section_title}\n\nRead this short lesson, then try it yourself.",
                duration_seconds=duration, is_preview=section_order == 0 and lesson_order == 0,
            ))
            lesson_count, seconds = lesson_count + 1, seconds + duration
        if section_order == 1:
            add_demo_quiz(course, section)
    course.lecture_count = lesson_count
    course.duration_minutes = round(seconds / 60)
    return course


def add_demo_thumbnail(course: Course, index: int) -> None:
    """A plain generated picture (two colour bands), stored through the same code as an instructor upload."""
    import io

    from PIL import Image, ImageDraw

    from mwanzo.courses.images import store_course_thumbnail

    palette = [(11, 110, 79), (183, 121, 31), (42, 93, 160), (164, 22, 26), (94, 60, 130), (20, 120, 130)]
    picture = Image.new("RGB", (640, 360), palette[index % len(palette)])
    ImageDraw.Draw(picture).rectangle((0, 250, 640, 360), fill=palette[(index + 2) % len(palette)])
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    buffer.seek(0)
    store_course_thumbnail(course, buffer)


def add_demo_quiz(course: Course, section: Section) -> None:
    quiz = Quiz(course_id=course.id, section_id=section.id, title=f"{course.title}: check your understanding",
                passing_score=60, max_attempts=3, is_required=True)
    db.session.add(quiz)
    db.session.flush()
    db.session.add_all([
        Question(quiz_id=quiz.id, course_id=course.id, display_order=1, kind=QuestionKind.TRUE_FALSE, points=1,
                 text="Practising a new skill the same week helps you remember it.",
                 explanation="Practice soon after learning helps memory.",
                 answers=[Answer(text="True", is_correct=True, display_order=0),
                          Answer(text="False", is_correct=False, display_order=1)]),
        Question(quiz_id=quiz.id, course_id=course.id, display_order=2, kind=QuestionKind.SHORT_ANSWER, points=1,
                 text="In which city is Kenya's parliament?", explanation="Parliament sits in Nairobi.",
                 answers=[Answer(text="Nairobi", is_correct=True, display_order=0)]),
        Question(quiz_id=quiz.id, course_id=course.id, display_order=3, kind=QuestionKind.NUMERIC, points=1,
                 text="How many minutes are there in 2.5 hours?", numeric_answer=150, numeric_tolerance=0,
                 answers=[]),
        Question(quiz_id=quiz.id, course_id=course.id, display_order=4, kind=QuestionKind.MATCHING, points=2,
                 text="Match each day with the one after it.",
                 answers=[Answer(text="Monday", match_text="Tuesday", is_correct=True, display_order=0),
                          Answer(text="Friday", match_text="Saturday", is_correct=True, display_order=1)]),
    ])


def run_backup_step(step, directory: Path) -> dict:
    try:
        return step(directory)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load demo users, categories and published courses (safe to run again)."""
        logins = seed_demo()
        db.session.commit()
        from mwanzo.media.demo import add_demo_video

        add_demo_video(slugify(DEMO_COURSES[0][0]))
        click.echo("Demo data ready. Log in at /login with any of these (password for all: %s):" % DEMO_PASSWORD)
        for email, _, role in logins:
            click.echo(f"  {role.value:<10} {email}")

    @app.cli.command("create-user")
    @click.option("--name", prompt=True)
    @click.option("--email", prompt=True)
    @click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STUDENT.value, show_default=True)
    @click.password_option()
    def create_user_command(name, email, role, password):
        """Create an account of any role (the only way, with the admin console, to make an ADMIN)."""
        from mwanzo.auth.forms import PASSWORD_RULES

        missing = [str(text) for pattern, text in PASSWORD_RULES if not pattern.search(password)]
        if missing:
            raise click.ClickException("Password needs " + ", ".join(missing))
        try:
            user = auth_services.create_user(name, email, password, role=Role(role), verified=True)
        except auth_services.EmailTaken:
            raise click.ClickException(f"{email} already has an account") from None
        db.session.commit()
        click.echo(f"Created {user.role.value} {user.email}")

    @app.cli.command("scheduler")
    def scheduler_command():
        """Enqueue the periodic tasks on their timers to RQ (the Procfile's scheduler process)."""
        if app.config["JOB_RUNNER"] != "rq":
            raise click.ClickException("The scheduler needs REDIS_URL; without it the web process runs "
                                       "the periodic tasks itself")
        from mwanzo.jobs import scheduler

        scheduler.run(app)

    @app.cli.group("backup")
    def backup_group():
        """Back up the database and media into a folder, or restore such a folder."""

    @backup_group.command("create")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    def backup_create_command(directory: Path):
        """pg_dump of DATABASE_URL, a tar of local media and a manifest, into a new DIRECTORY."""
        manifest = run_backup_step(backup.create_backup, directory)
        click.echo(f"Backed up schema {manifest['schema_revision']} into {directory}")
        if note := manifest["media"].get("note"):
            click.echo(note)

    @backup_group.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def backup_restore_command(directory: Path):
        """Restore DIRECTORY into the empty database DATABASE_URL names and the empty MEDIA_ROOT."""
        manifest = run_backup_step(backup.restore_backup, directory)
        click.echo(f"Restored the backup of {manifest['created_at']} (schema {manifest['schema_revision']})")
