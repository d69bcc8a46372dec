"""Words shown for job kinds and application statuses (translatable)."""
from flask_babel import lazy_gettext as _l

from mwanzo.careers.models import ApplicationStatus, JobKind

KIND_LABELS = {
    JobKind.FULL_TIME: _l("Full-time"),
    JobKind.PART_TIME: _l("Part-time"),
    JobKind.INTERNSHIP: _l("Internship"),
    JobKind.CONTRACT: _l("Contract"),
}

STATUS_LABELS = {
    ApplicationStatus.NEW: _l("New"),
    ApplicationStatus.SHORTLISTED: _l("Shortlisted"),
    ApplicationStatus.REJECTED: _l("Not selected"),
    ApplicationStatus.HIRED: _l("Hired"),
}
