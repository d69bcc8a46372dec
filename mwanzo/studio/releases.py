"""A section's release conditions in the studio: /studio/sections/<id>/release (owner or admin; someone
else's section: 404). The rule and its checks are in mwanzo/learning/release.py."""
from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from mwanzo.audit import record
from mwanzo.courses.access import owned_course, owned_section
from mwanzo.extensions import db
from mwanzo.learning import release
from mwanzo.quizzes.services import course_quizzes
from mwanzo.studio.forms import SectionReleaseForm
from mwanzo.studio.views import bp


def chosen_id(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


@bp.route("/studio/sections/<uuid:section_id>/release", methods=["GET", "POST"])
def section_release(section_id: uuid.UUID):
    section = owned_section(section_id)
    course = owned_course(section.course_id)
    rule = release.section_rule(section)
    form = SectionReleaseForm(data={
        "after_section": str(rule.after_section_id) if rule and rule.after_section_id else "",
        "quiz": str(rule.quiz_id) if rule and rule.quiz_id else "",
        "days_after_enrolment": rule.days_after_enrolment if rule else None,
        "opens_at": rule.opens_at if rule else None})
    none = SelectChoice("", _("No condition"))
    form.after_section.choices = [none] + [SelectChoice(str(s.id), s.title) for s in release.earlier_sections(section)]
    form.quiz.choices = [none] + [SelectChoice(str(q.id), q.title) for q in course_quizzes(course.id)]
    if form.validate_on_submit():
        release.set_section_rule(section, chosen_id(form.after_section.data), chosen_id(form.quiz.data),
                                 form.days_after_enrolment.data, form.opens_at.data)
        record(current_user, "section.release_set", section, course_id=course.id,
               after_section_id=form.after_section.data or None, quiz_id=form.quiz.data or None,
               days_after_enrolment=form.days_after_enrolment.data,
               opens_at=form.opens_at.data)
        db.session.commit()
        flash(_("Release conditions saved."), "success")
        return redirect(url_for("studio.course_builder", course_id=course.id))
    return render_template("studio/section_release.html", course=course, section=section, form=form), \
        422 if form.errors else 200
