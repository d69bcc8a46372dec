"""Jobs board, applications, employer pages and the candidate pool."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from mwanzo.analytics import reports
from mwanzo.auth.access import acts_for, login_required, owned_or_404, role_required, verified_email_required
from mwanzo.auth.models import Role
from mwanzo.careers import contacts, services
from mwanzo.careers.forms import (ApplicationStatusForm, ApplyForm, CandidateFilterForm, EmployerProfileForm,
                                  JobFilterForm, JobForm, VerificationForm, VerifyCodeForm)
from mwanzo.careers.models import ApplicationStatus, JobKind
from mwanzo.discussions import services as talk
from mwanzo.discussions.forms import ReportForm
from mwanzo.discussions.models import ReportTarget
from mwanzo.extensions import db
from mwanzo.images import InvalidImage
from mwanzo.media.delivery import media_url
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit
from mwanzo.web.htmx import is_htmx, render
from mwanzo.web.listing import list_page

bp = Blueprint("careers", __name__)

APPLICANTS_CSV_HEADER = [_l("Name"), _l("Email"), _l("Phone"), _l("Applied on"), _l("Status"), _l("Note"),
                         _l("Certificates")]


@bp.context_processor
def labels():
    return {"media_url": media_url, "acts_for": acts_for, "application_statuses": list(ApplicationStatus)}


def certificate_choices(certificates) -> list[SelectChoice]:
    return [SelectChoice(str(c.id), f"{c.course_title} ({c.verification_code})") for c in certificates]


def job_or_404(job_id: uuid.UUID):
    job = services.get_job(job_id)
    if job is None:
        abort(404)
    return job


def owned_job(job_id: uuid.UUID):
    """The employer's own job (admins: any); another employer's answers 404."""
    return owned_or_404(services.get_job(job_id), lambda job: job.employer_id)


# ---------------------------------------------------------------- public board and learners

@bp.get("/jobs")
def job_list():
    form = JobFilterForm(request.args)
    listing = list_page(form, services.job_search, services.PER_PAGE)
    profiles = services.profiles_by_user(job.employer_id for job in listing.results.items)
    return render("careers/job_list.html", "careers/_job_results.html", listing.status, form=form,
                  listing=listing, profiles=profiles)


@bp.get("/jobs/<uuid:job_id>")
def job_detail(job_id: uuid.UUID):
    return job_page(job_or_404(job_id), ApplyForm())


def job_page(job, form: ApplyForm, status: int = 200):
    application = certificates = None
    if current_user.is_authenticated and current_user.role == Role.STUDENT:
        application = services.application_for(job.id, current_user.id)
        certificates = services.learner_certificates(current_user.id)
        form.certificates.choices = certificate_choices(certificates)
    profile = services.get_profile(job.employer_id)
    courses = services.courses_by_id(jc.course_id for jc in job.courses)
    return render_template("careers/job_detail.html", job=job, profile=profile, courses=courses, form=form,
                           application=application, certificates=certificates,
                           is_open=services.is_open(job)), status


@bp.route("/jobs/<uuid:job_id>/report", methods=["GET", "POST"])
@login_required
def job_report(job_id: uuid.UUID):
    """Anyone signed in may report a job post; it joins the admin moderation queue."""
    job = job_or_404(job_id)
    form = ReportForm()
    if form.validate_on_submit():
        talk.file_report(current_user, ReportTarget.JOB, job.id, form.reason.data)
        db.session.commit()
        flash(_("Thank you. A moderator will look at it."), "success")
        return redirect(url_for("careers.job_detail", job_id=job.id))
    return render_template("discussions/report.html", form=form, row=job, target="job",
                           action=url_for("careers.job_report", job_id=job.id)), 422 if form.errors else 200


@bp.post("/jobs/<uuid:job_id>/apply")
@role_required(Role.STUDENT)
def job_apply(job_id: uuid.UUID):
    job = job_or_404(job_id)
    form = ApplyForm()
    form.certificates.choices = certificate_choices(services.learner_certificates(current_user.id))
    if not form.validate_on_submit():
        return job_page(job, form, 422)
    try:
        services.apply(job, current_user, form.note.data or None, [uuid.UUID(v) for v in form.certificates.data or []])
    except services.AlreadyApplied:
        flash(_("You have already applied for this job. Here is your application."), "info")
        return redirect(url_for("careers.job_detail", job_id=job.id)), 303
    except services.JobNotOpen:
        flash(_("This job is no longer taking applications."), "error")
        return job_page(job, form, 409)
    except services.CertificateNotYours:
        abort(403)
    db.session.commit()
    flash(_("Your application is sent. The employer will see your note and certificates."), "success")
    return redirect(url_for("careers.application_list"), 303)


@bp.get("/applications")
@role_required(Role.STUDENT)
def application_list():
    return render_template("careers/application_list.html",
                           applications=services.my_applications(current_user.id))


# ---------------------------------------------------------------- employers

@bp.route("/employer/profile", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def profile_edit():
    profile = services.get_profile(current_user.id)
    form = EmployerProfileForm(obj=profile)
    if form.validate_on_submit():
        try:
            services.save_profile(current_user, form.company_name.data.strip(), form.about.data or None,
                                  form.location.data or None, form.website.data or None, logo=form.logo.data or None)
        except InvalidImage as exc:
            db.session.rollback()
            form.logo.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your company profile is saved."), "success")
            return redirect(url_for("careers.profile_edit"), 303)
    return render_template("careers/profile_edit.html", form=form, profile=profile), 422 if form.errors else 200


@bp.route("/employer/verification", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def verification_request():
    """The employer sends its registration details; an admin verifies (badge on its jobs) or says why not."""
    profile = services.get_profile(current_user.id)
    if profile is None:
        flash(_("Save your company profile first; then ask for verification."), "info")
        return redirect(url_for("careers.profile_edit"), 303)
    form = VerificationForm(obj=profile if request.method == "GET" else None,
                            details=profile.verification_details if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.request_verification(profile, form.registration_number.data, form.details.data)
        except services.AlreadyVerified:
            abort(409, _("Your company is already verified."))
        db.session.commit()
        flash(_("Thank you. An administrator will check your company's details."), "success")
        return redirect(url_for("careers.verification_request"), 303)
    return render_template("careers/verification_request.html", form=form, profile=profile), \
        422 if form.errors else 200


@bp.get("/employer/jobs")
@role_required(Role.EMPLOYER)
def employer_job_list():
    return render_template("careers/employer_job_list.html", jobs=services.employer_jobs(current_user.id),
                           verify_form=VerifyCodeForm(formdata=None))


def job_form_page(form: JobForm, job=None):
    if not form.validate_on_submit():
        return render_template("careers/job_form.html", form=form, job=job), 422 if form.errors else 200
    job = services.save_job(
        current_user, job, title=form.title.data.strip(), description=form.description.data,
        location=form.location.data or None, is_remote=form.is_remote.data, kind=JobKind(form.kind.data),
        salary_min=form.salary_min.data, salary_max=form.salary_max.data, skills=form.skill_list(),
        deadline=form.deadline.data, required_course_ids=[c.id for c in form.required],
        preferred_course_ids=[c.id for c in form.preferred],
    )
    db.session.commit()
    flash(_("The job is saved."), "success")
    return redirect(url_for("careers.job_detail", job_id=job.id), 303)


@bp.route("/employer/jobs/new", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
@verified_email_required
def job_create():
    form = JobForm()
    return job_form_page(form)


@bp.route("/employer/jobs/<uuid:job_id>/edit", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
@verified_email_required
def job_edit(job_id: uuid.UUID):
    job = owned_job(job_id)
    form = JobForm(obj=job)
    if not isinstance(form.skills.data, str):  # the stored list (no form data sent): shown and read as text
        form.skills.data = ", ".join(job.skills or [])
    if request.method == "GET":
        courses = services.courses_by_id(jc.course_id for jc in job.courses)
        form.show_courses([courses[jc.course_id] for jc in job.courses if jc.is_required and jc.course_id in courses],
                          [courses[jc.course_id] for jc in job.courses
                           if not jc.is_required and jc.course_id in courses])
    return job_form_page(form, job)


@bp.post("/employer/jobs/<uuid:job_id>/close")
@role_required(Role.EMPLOYER)
def job_close(job_id: uuid.UUID):
    services.close_job(owned_job(job_id))
    db.session.commit()
    flash(_("The job is closed to new applications."), "success")
    return redirect(url_for("careers.employer_job_list"), 303)


@bp.post("/employer/jobs/<uuid:job_id>/reopen")
@role_required(Role.EMPLOYER)
def job_reopen(job_id: uuid.UUID):
    job = owned_job(job_id)
    try:
        services.reopen_job(job)
    except services.DeadlinePassed:
        flash(_("The deadline of this job has passed. Set a new one, then reopen it."), "error")
        return redirect(url_for("careers.job_edit", job_id=job.id), 303)
    db.session.commit()
    flash(_("The job is open to applications again."), "success")
    return redirect(url_for("careers.employer_job_list"), 303)


@bp.route("/employer/jobs/<uuid:job_id>/delete", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def job_delete(job_id: uuid.UUID):
    """GET asks (the page carries the signed token); its POST deletes. Applicants keep their applications."""
    job = owned_job(job_id)
    if request.method == "GET":
        require_page_visit()
        return render_template("careers/job_delete.html", job=job, token=confirmation_token("delete-job", job.id))
    require_confirmation("delete-job", job.id)
    services.delete_job(job)
    db.session.commit()
    flash(_("The job is deleted. Its applicants still see their application, marked removed."), "success")
    return redirect(url_for("careers.employer_job_list"), 303)


@bp.get("/employer/jobs/<uuid:job_id>/applicants")
@role_required(Role.EMPLOYER)
def applicant_list(job_id: uuid.UUID):
    job = owned_job(job_id)
    return render_template("careers/applicant_list.html", job=job, applicants=services.job_applicants(job))


@bp.get("/employer/jobs/<uuid:job_id>/applicants.csv")
@role_required(Role.EMPLOYER)
def applicant_csv(job_id: uuid.UUID):
    job = owned_job(job_id)
    table = reports.Table("applicants", _l("Applicants"), APPLICANTS_CSV_HEADER, services.applicant_rows(job),
                          chart=None)
    return reports.csv_response(table, f"applicants-{job.id}")


@bp.post("/employer/applications/<uuid:application_id>/status")
@role_required(Role.EMPLOYER)
def application_status(application_id: uuid.UUID):
    application = owned_or_404(services.get_application(application_id),
                               lambda application: application.job.employer_id)
    form = ApplicationStatusForm()
    if not form.validate_on_submit():
        abort(422)
    services.change_status(application, ApplicationStatus(form.status.data))
    db.session.commit()
    if is_htmx():
        certificates = services.attached_certificates([application.id])[application.id]
        return render("careers/_applicant.html", application=application, certificates=certificates, saved=True)
    flash(_("Status saved; the applicant has been emailed."), "success")
    return redirect(url_for("careers.applicant_list", job_id=application.job_id), 303)


@bp.get("/employer/candidates")
@role_required(Role.EMPLOYER)
def candidate_list():
    form = CandidateFilterForm(request.args)
    form.set_choices(services.pool_categories())
    listing = list_page(form, services.candidate_search, services.PER_PAGE)
    ids = [u.id for u in listing.results.items]
    return render("careers/candidate_list.html", "careers/_candidate_results.html", listing.status, form=form,
                  listing=listing, certificates=services.valid_certificates(listing.results.items),
                  contactable=services.contactable(current_user.id, ids),
                  contact_states=contacts.states(current_user.id, ids))


@bp.get("/employer/verify")
@role_required(Role.EMPLOYER)
def certificate_verify():
    form = VerifyCodeForm(request.args)
    if not form.validate():
        return render_template("careers/employer_job_list.html", jobs=services.employer_jobs(current_user.id),
                               verify_form=form), 422
    return redirect(url_for("certificates.certificate_detail", code=form.code.data.strip()), 303)


# The pool's messages (employers to learners and their answers) join this blueprint.
from mwanzo.careers import contact_views  # noqa: E402,F401
