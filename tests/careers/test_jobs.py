"""Company profile, posting and editing jobs, and the public jobs board."""
import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers.models import EmployerProfile, Job, JobCourse, JobKind, JobStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from tests.queries import count_queries


def png_bytes(size=(600, 400)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(out, "PNG")
    out.seek(0)
    return out


def test_company_profile_with_logo_is_resized_and_stored(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    response = client.post("/employer/profile", data={
        "company_name": "Safari Tech", "about": "We build apps.", "location": "Nairobi",
        "website": "https://safari.example", "logo": (png_bytes(), "logo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 303
    profile = db.session.scalar(select(EmployerProfile).where(EmployerProfile.user_id == employer.id))
    assert profile.company_name == "Safari Tech" and profile.logo_key.endswith(".webp")
    with get_storage().open(profile.logo_key) as handle:
        assert max(Image.open(handle).size) == 256
    page = client.get("/employer/profile").get_data(as_text=True)
    assert 'width="96" height="96" loading="lazy"' in page


def test_company_profile_rejects_a_fake_image_and_bad_website(client, make, login):
    login(make.user(role=Role.EMPLOYER))
    response = client.post("/employer/profile", data={
        "company_name": "Safari Tech", "website": "not a url", "logo": (io.BytesIO(b"<svg>no</svg>"), "logo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "full address" in response.get_data(as_text=True)
    response = client.post("/employer/profile", data={
        "company_name": "Safari Tech", "logo": (io.BytesIO(b"GIF89a-not-really"), "logo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 422 and "not an image" in response.get_data(as_text=True)
    assert db.session.scalar(select(EmployerProfile)) is None


def job_form(**changes):
    data = {"title": "Junior bookkeeper", "description": "Keep the **books**.\n\n<script>alert(1)</script>",
            "location": "Kisumu", "kind": "PART_TIME", "salary_min": "20000", "salary_max": "30000",
            "skills": "Excel, bookkeeping, Excel", "deadline": (utcnow().date() + timedelta(days=10)).isoformat()}
    data.update(changes)
    return data


def test_a_course_the_job_names_that_does_not_exist_is_named_back(client, make, login):
    login(make.user(role=Role.EMPLOYER))
    make.course(title="Bookkeeping")
    response = client.post("/employer/jobs/new", data={**job_form(), "required_courses": "Bookkeeping\nAstrology"})
    assert response.status_code == 422
    assert "No published course is called “Astrology”." in response.get_data(as_text=True)
    assert db.session.scalar(select(Job)) is None


def test_employer_posts_edits_and_closes_a_job(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    required, preferred = make.course(title="Bookkeeping"), make.course(title="Excel")
    response = client.post("/employer/jobs/new", data={**job_form(), "required_courses": "bookkeeping",
                                                        "preferred_courses": preferred.slug})
    assert response.status_code == 303
    job = db.session.scalar(select(Job))
    assert (job.employer_id, job.kind, job.skills) == (employer.id, JobKind.PART_TIME, ["Excel", "bookkeeping"])
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<strong>books</strong>" in page and "<script>alert" not in page
    assert "Bookkeeping" in page and "required" in page and "preferred" in page

    form = client.get(f"/employer/jobs/{job.id}/edit").get_data(as_text=True)
    assert "Excel, bookkeeping" in form
    assert "\nBookkeeping</textarea>" in form and "\nExcel</textarea>" in form
    # Saved again with the required course kept and the preferred one made required.
    assert client.post(f"/employer/jobs/{job.id}/edit", data={
        **job_form(title="Senior bookkeeper"), "required_courses": "Bookkeeping\r\n excel \r\n",
    }).status_code == 303
    db.session.expire_all()
    assert {(jc.course_id, jc.is_required) for jc in db.session.scalars(select(JobCourse))} == {
        (required.id, True), (preferred.id, True)}
    assert client.post(f"/employer/jobs/{job.id}/close").status_code == 303
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.title == "Senior bookkeeper" and job.status == JobStatus.CLOSED
    assert "Senior bookkeeper" not in client.get("/jobs").get_data(as_text=True)


def test_job_form_errors_rerender_with_422(client, make, login):
    login(make.user(role=Role.EMPLOYER))
    response = client.post("/employer/jobs/new", data=job_form(title="", location="", salary_min="50000",
                                                               salary_max="100", deadline="2001-01-01"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "must not be below" in body and "Give a location, or tick remote" in body and "in the past" in body
    assert db.session.scalar(select(Job)) is None


def test_only_the_owner_edits_closes_or_sees_applicants(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    login(make.user(role=Role.EMPLOYER))
    for method, url in [("get", f"/employer/jobs/{job.id}/edit"), ("post", f"/employer/jobs/{job.id}/close"),
                        ("get", f"/employer/jobs/{job.id}/applicants")]:
        assert getattr(client, method)(url).status_code == 404
    login(make.user())
    assert client.get("/employer/jobs/new").status_code == 403


def test_board_searches_and_filters_with_one_get_form(client, make):
    employer = make.user(role=Role.EMPLOYER)
    python = make.course(title="Python", slug="python")
    make.job(employer, title="Python developer", location="Nairobi", kind=JobKind.FULL_TIME)
    remote = make.job(employer, title="Remote data analyst", location=None, is_remote=True, kind=JobKind.CONTRACT)
    intern = make.job(employer, title="Farm intern", location="Nakuru", kind=JobKind.INTERNSHIP)
    make.job(employer, title="Expired job", deadline=utcnow().date() - timedelta(days=1))
    make.job(employer, title="Closed job", status=JobStatus.CLOSED)
    db.session.add(JobCourse(job_id=remote.id, course_id=python.id))
    db.session.commit()

    def titles(query):
        body = client.get("/jobs" + query).get_data(as_text=True)
        return {t for t in ["Python developer", "Remote data analyst", "Farm intern", "Expired job", "Closed job"]
                if t in body}

    assert titles("") == {"Python developer", "Remote data analyst", "Farm intern"}
    assert titles("?q=python") == {"Python developer"}
    assert titles("?location=remote") == {"Remote data analyst"}
    assert titles("?location=nakuru") == {"Farm intern"}
    assert titles("?kind=INTERNSHIP") == {"Farm intern"}
    assert titles("?course=python") == {"Remote data analyst"}
    assert titles("?kind=NONSENSE") == {"Python developer", "Remote data analyst", "Farm intern"}
    assert intern.title in titles("?q=farm&kind=INTERNSHIP&location=Nakuru")


def test_board_serves_the_results_fragment_to_htmx(client, make):
    make.job(make.user(role=Role.EMPLOYER), title="Cashier")
    page = client.get("/jobs?q=cash")
    fragment = client.get("/jobs?q=cash", headers={"HX-Request": "true"})
    assert "<html" in page.get_data(as_text=True) and 'hx-get="/jobs"' in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True) and "Cashier" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_board_query_count_does_not_grow_with_jobs(client, make):
    employers = [make.user(role=Role.EMPLOYER) for _ in range(3)]
    course = make.course()
    make.job(employers[0])
    with count_queries() as one:
        assert client.get("/jobs").status_code == 200
    for n in range(12):
        job = make.job(employers[n % 3], title=f"Job {n}")
        db.session.add(JobCourse(job_id=job.id, course_id=course.id))
        db.session.add(EmployerProfile(user_id=employers[n % 3].id, company_name=f"Co {n}")) if n < 3 else None
    db.session.commit()
    with count_queries() as many:
        body = client.get("/jobs").get_data(as_text=True)
    assert "Job 11" in body and "Co 1" in body
    assert len(many) == len(one)


def test_board_pages_keep_the_filters(client, make):
    employer = make.user(role=Role.EMPLOYER)
    for n in range(21):
        make.job(employer, title=f"Contract {n:02d}", kind=JobKind.CONTRACT)
    first = client.get("/jobs?kind=CONTRACT").get_data(as_text=True)
    assert 'href="/jobs?kind=CONTRACT&amp;page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/jobs?kind=CONTRACT&page=2").get_data(as_text=True)
    assert second.count('class="card"') == 1 and 'href="/jobs?kind=CONTRACT" rel="prev"' in second
