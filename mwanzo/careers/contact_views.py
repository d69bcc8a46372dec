"""Messages from employers to pool candidates: the employer writes (/employer/candidates/<id>/contact) and
follows their answers (/employer/contacts); the learner reads and answers them (/contact-requests), linked from
their inbox. The consent rule is in careers/contacts.py."""
from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.access import learner_key, owned_or_404, role_required
from mwanzo.auth.models import Role
from mwanzo.careers import contacts, services
from mwanzo.careers.forms import ContactAnswerForm, ContactForm
from mwanzo.careers.views import bp
from mwanzo.extensions import db, limiter


def contact_limit() -> str:
    return current_app.config["CONTACT_RATE_LIMIT"]


def message_sent(response) -> bool:
    """Only a message actually sent counts against the limit (not a form sent back with its errors)."""
    return response.status_code == 303


def candidate_or_404(user_id: uuid.UUID):
    candidate = contacts.pool_candidate(user_id)
    if candidate is None:
        abort(404)
    return candidate


@bp.route("/employer/candidates/<uuid:user_id>/contact", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
@limiter.limit(contact_limit, key_func=learner_key, methods=["POST"], deduct_when=message_sent)
def candidate_contact(user_id: uuid.UUID):
    candidate = candidate_or_404(user_id)
    existing = contacts.contact_between(current_user.id, candidate.id)
    form = ContactForm()
    if existing is None and candidate.accepts_employer_messages and form.validate_on_submit():
        try:
            contacts.send_request(current_user._get_current_object(), candidate, form.message.data)
        except contacts.AlreadyContacted:
            db.session.rollback()
            abort(409, _("You have already sent this learner a message."))
        db.session.commit()
        # No user text in a flash: the flash region is not under hx-disable.
        flash(_("Your message is sent. You will see the learner's contact details if they accept."), "success")
        return redirect(url_for("careers.contact_list"), 303)
    status = 422 if form.errors else 409 if form.is_submitted() else 200
    return render_template("careers/candidate_contact.html", candidate=candidate, form=form, existing=existing,
                           certificates=services.valid_certificates([candidate])[candidate.id]), status


@bp.get("/employer/contacts")
@role_required(Role.EMPLOYER)
def contact_list():
    return render_template("careers/contact_list.html", sent=contacts.requests_from(current_user.id))


@bp.get("/contact-requests")
@role_required(Role.STUDENT)
def contact_request_list():
    received = contacts.requests_to(current_user.id)
    return render_template("careers/contact_request_list.html", received=received,
                           profiles=services.profiles_by_user(c.employer_id for c in received))


@bp.post("/contact-requests/<uuid:contact_id>/answer")
@role_required(Role.STUDENT)
def contact_request_answer(contact_id: uuid.UUID):
    """Only the learner it was sent to answers it (not even an admin may consent for them)."""
    contact = owned_or_404(contacts.get_request(contact_id), lambda c: c.candidate_id, admins=False)
    form = ContactAnswerForm()
    if not form.validate_on_submit():
        abort(422)
    accept = form.answer.data == "accept"
    try:
        contacts.answer(contact, accept)
    except contacts.AlreadyAnswered:
        abort(409, _("You have already answered this message."))
    db.session.commit()
    flash(_("Accepted: the employer can now see your email and phone number.") if accept
          else _("Declined: the employer sees only that you declined."), "success")
    return redirect(url_for("careers.contact_request_list"), 303)
