"""Every role's links in the page header, declared in one list, and ``header``: what the layout shows of the
visitor (create_app hands it to mwanzo/web/shell.py). Admins see every link."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from mwanzo.auth.models import Role
from mwanzo.inbox.views import unread_notifications
from mwanzo.web.shell import ANONYMOUS, Header

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


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label in links_for(current_user.role)
            if endpoint in current_app.view_functions]


def header() -> Header:
    """This request's visitor as the layout shows them: signed in, verified, their unread count and links."""
    if not current_user.is_authenticated:
        return ANONYMOUS
    return Header(signed_in=True, verified=current_user.is_contact_verified, unread=unread_notifications(),
                  links=tuple(nav_links()))
