"""Every role's links in the page header, declared in one list (create_app makes ``nav_links`` a template
global). Admins see every link."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from mwanzo.auth.models import Role

STUDENT, INSTRUCTOR, EMPLOYER, ADMIN = Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER, Role.ADMIN

NAV_LINKS = (
    ((ADMIN,), "admin.dashboard", _l("Admin")),
    ((ADMIN,), "admin.payment_list", _l("All payments")),
    ((ADMIN,), "admin.attention_list", _l("Payments to settle")),
    ((ADMIN,), "admin.review_queue", lazy_pgettext("approval queue", "Reviews")),
    ((ADMIN,), "admin.report_queue", _l("Reported posts")),
    ((STUDENT,), "careers.application_list", _l("Applications")),
    ((EMPLOYER,), "careers.employer_job_list", _l("Your jobs")),
    ((EMPLOYER,), "careers.candidate_list", _l("Candidates")),
    ((STUDENT,), "certificates.certificate_list", _l("Certificates")),
    ((STUDENT, INSTRUCTOR), "home.dashboard", _l("My learning")),
    ((STUDENT,), "payments.payment_history", _l("Payments")),
    ((INSTRUCTOR,), "studio.course_list", _l("My courses")),
    ((INSTRUCTOR,), "studio.analytics_course_list", _l("Analytics")),
)


def links_for(role: Role) -> list[tuple[str, str]]:
    """(endpoint, label) of the header links one role sees, in order."""
    return [(endpoint, str(label)) for roles, endpoint, label in NAV_LINKS if role in roles or role == ADMIN]


def nav_links(role: Role) -> list[tuple[str, str]]:
    """Template global: the links of ``role`` that this app serves (the header's menu renders them once per
    role and language: mwanzo/web/shell.py keeps the part)."""
    return [(endpoint, label) for endpoint, label in links_for(role) if endpoint in current_app.view_functions]
