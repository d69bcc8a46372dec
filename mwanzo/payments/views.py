"""Payments on the web: checkout, live status, history and receipts, the PayHero webhook, the
sandbox phone, and the admin's payments console (/admin/payments)."""
from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from mwanzo.auth.access import learner_key, login_required, role_required, verified_email_required
from mwanzo.auth.models import Role
from mwanzo.catalog.services import published_course_by_slug
from mwanzo.extensions import csrf, db, limiter
from mwanzo.learning import services as learning
from mwanzo.payments import queries, sandbox, services
from mwanzo.payments.callbacks import parse_callback
from mwanzo.payments.forms import AttentionSettleForm, CallbackRefundForm, CheckoutForm, PaymentFilterForm, RefundForm
from mwanzo.payments.models import Attention, Payment, PaymentEvent, PaymentStatus
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit
from mwanzo.web.htmx import render
from mwanzo.web.inputs import json_object
from mwanzo.web.listing import page_number

bp = Blueprint("payments", __name__)

CALLBACK_MAX_BYTES = 16 * 1024
POLL_SECONDS = 3
ATTENTION_REASONS = {
    Attention.PUSH_UNKNOWN.value: _l("The payment request timed out and M-Pesa has not told us the outcome."),
    Attention.UNVERIFIED_SUCCESS.value: _l("M-Pesa reported a payment we could not confirm."),
    Attention.AMOUNT_MISMATCH.value: _l("M-Pesa reported a different amount from the course price."),
    Attention.DUPLICATE_SUCCESS.value: _l("The learner paid twice for the same course."),
}


def checkout_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


def own_payment_or_404(payment_id: uuid.UUID) -> Payment:
    payment = queries.payment_for_page(payment_id)
    if payment is None:
        abort(404)
    if payment.student_id != current_user.id:
        abort(403)
    return payment


# ---------------------------------------------------------------- learner

@bp.route("/courses/<slug>/checkout", methods=["GET", "POST"])
@limiter.limit(checkout_limit, key_func=learner_key, methods=["POST"])
@verified_email_required
def checkout(slug: str):
    course = published_course_by_slug(slug)
    if course is None:
        abort(404)
    if course.is_free:
        return redirect(url_for("catalog.course_detail", slug=slug))
    in_flight = services.payment_in_flight(current_user.id, course.id)
    db.session.commit()  # an overdue earlier payment may just have been reconciled
    if learning.has_access(current_user, course):
        flash(_("You already have this course."), "info")
        return redirect(url_for("learning.course_resume", slug=slug))
    if request.method == "GET" and in_flight is not None:
        return render_template("payments/checkout.html", course=course, in_flight=in_flight,
                               awaiting_review=services.awaiting_review(in_flight),
                               retry_at=services.retry_at(in_flight), amount=services.charge_amount(course))
    form = CheckoutForm() if request.method == "POST" else CheckoutForm(phone=current_user.phone)
    if form.validate_on_submit():
        try:
            payment, created = services.start_checkout(current_user._get_current_object(), course, form.phone.data)
        except services.AlreadyEnrolled:
            return redirect(url_for("learning.course_resume", slug=slug))
        except learning.EnrollmentError:
            abort(404)
        # Committed before M-Pesa hears of it, so a callback can always find the payment.
        db.session.commit()
        if created:
            services.send_push(payment, current_user.name)
            db.session.commit()
        return redirect(url_for("payments.payment_status", payment_id=payment.id), code=303)
    return render_template("payments/checkout.html", course=course, form=form,
                           amount=services.charge_amount(course)), 422 if form.errors else 200


@bp.get("/payments/<uuid:payment_id>")
@login_required
def payment_status(payment_id: uuid.UUID):
    payment = own_payment_or_404(payment_id)
    return render("payments/payment_status.html", "payments/_status.html", payment=payment,
                  message=services.status_message(payment), poll_seconds=POLL_SECONDS,
                  awaiting_review=services.awaiting_review(payment),
                  sandbox_phone=payment.provider == "sandbox" and sandbox.sandbox_active())


@bp.get("/payments")
@login_required
def payment_history():
    return render_template("payments/payment_history.html", payments=queries.learner_payments(current_user.id))


@bp.get("/payments/<uuid:payment_id>/receipt")
@login_required
def payment_receipt(payment_id: uuid.UUID):
    payment = own_payment_or_404(payment_id)
    if payment.status not in (PaymentStatus.SUCCESS, PaymentStatus.REFUNDED):
        abort(404)
    return render_template("payments/payment_receipt.html", payment=payment)


@bp.route("/payments/<uuid:payment_id>/sandbox-phone", methods=["GET", "POST"])
@login_required
def sandbox_phone(payment_id: uuid.UUID):
    """The pretend phone of the sandbox provider; absent whenever the sandbox is not in use."""
    if not sandbox.sandbox_active():
        abort(404)
    payment = own_payment_or_404(payment_id)
    if payment.provider != "sandbox":
        abort(404)
    if request.method == "POST":
        if request.form.get("action") not in sandbox.ANSWERS:
            abort(400)
        sandbox.answer_prompt(payment, request.form["action"])
        db.session.commit()
        return redirect(url_for("payments.payment_status", payment_id=payment.id), code=303)
    return render_template("payments/sandbox_phone.html", payment=payment, answers=sandbox.ANSWERS)


# ---------------------------------------------------------------- PayHero webhook

@bp.post("/api/v1/payments/callback/<token>")
@csrf.exempt
def callback(token: str):
    if not services.callback_token_matches(token):
        abort(404)
    request.max_content_length = CALLBACK_MAX_BYTES
    if request.mimetype not in ("", "text/plain") and not request.is_json:
        abort(415)
    payload = json_object(request.get_data(cache=False), CALLBACK_MAX_BYTES)
    event = services.record_callback(payload)
    db.session.commit()  # stored; settling runs as a job after this commit
    if event.kind == services.UNREADABLE:
        abort(400)
    return jsonify(ResultCode=0, ResultDesc="Accepted")


# ---------------------------------------------------------------- admin

def phone_fragment(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalise_kenyan_phone(raw)
    except InvalidPhone:
        digits = re.sub(r"\D", "", raw)
        return digits.lstrip("0") or None


@bp.get("/admin/payments")
@role_required(Role.ADMIN)
def admin_payment_list():
    form = PaymentFilterForm(formdata=request.args)
    form.course.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(str(course_id), title) for course_id, title in queries.courses_with_payments()]
    valid = form.validate()
    filters = queries.PaymentFilter()
    if valid:
        filters = queries.PaymentFilter(
            status=form.status.data or None, date_from=form.date_from.data, date_to=form.date_to.data,
            course_id=uuid.UUID(form.course.data) if form.course.data else None, phone=phone_fragment(form.phone.data))
    page = page_number(request.args)
    return render_template("payments/admin_payment_list.html", form=form, pagination=queries.admin_payments(filters, page),
                           totals=queries.daily_totals(filters)), 200 if valid else 422


def admin_detail_page(payment_id: uuid.UUID, form: RefundForm, status: int = 200):
    payment = queries.payment_with_timeline(payment_id)
    if payment is None:
        abort(404)
    return render_template("payments/admin_payment_detail.html", payment=payment, form=form,
                           message=services.status_message(payment),
                           confirm_token=confirmation_token("refund", payment.id)), status


@bp.get("/admin/payments/<uuid:payment_id>")
@role_required(Role.ADMIN)
def admin_payment_detail(payment_id: uuid.UUID):
    require_page_visit()  # the page carries the refund's confirmation token
    return admin_detail_page(payment_id, RefundForm())


@bp.post("/admin/payments/<uuid:payment_id>/refund")
@role_required(Role.ADMIN)
def admin_payment_refund(payment_id: uuid.UUID):
    form = RefundForm()
    if not form.validate_on_submit():
        return admin_detail_page(payment_id, form, 422)
    require_confirmation("refund", payment_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    try:
        services.refund_payment(payment, current_user._get_current_object(), form.reason.data.strip())
    except services.InvalidTransition:
        abort(409, _("Only a successful payment can be refunded."))
    db.session.commit()
    flash(_("Payment marked refunded; the learner's access was removed."), "success")
    return redirect(url_for("payments.admin_payment_detail", payment_id=payment_id), code=303)


@bp.get("/admin/payments/attention")
@role_required(Role.ADMIN)
def admin_attention_list():
    return render_template("payments/admin_attention_list.html", payments=queries.payments_needing_attention(),
                           callbacks=queries.unmatched_success_callbacks(), reasons=ATTENTION_REASONS)


def back_to_attention_list(message: str, category: str = "success"):
    """After a settle form: rolls back whatever a refused action left (nothing when committed)."""
    db.session.rollback()
    flash(message, category)
    return redirect(url_for("payments.admin_attention_list"), code=303)


def attention_page(payment_id: uuid.UUID, form: AttentionSettleForm, status: int = 200):
    payment = queries.payment_with_timeline(payment_id)
    if payment is None:
        abort(404)
    form.action.choices = [choice for choice in form.action.choices
                           if payment.attention and choice.value in services.SETTLE_ACTIONS[payment.attention]]
    return render_template("payments/admin_attention_settle.html", payment=payment, form=form,
                           reasons=ATTENTION_REASONS, message=services.status_message(payment),
                           token=confirmation_token("settle", payment.id)), status


@bp.get("/admin/payments/<uuid:payment_id>/settle")
@role_required(Role.ADMIN)
def admin_attention_settle(payment_id: uuid.UUID):
    require_page_visit()
    return attention_page(payment_id, AttentionSettleForm())


@bp.post("/admin/payments/<uuid:payment_id>/settle")
@role_required(Role.ADMIN)
def admin_attention_settle_post(payment_id: uuid.UUID):
    require_confirmation("settle", payment_id)
    form = AttentionSettleForm()
    if not form.validate_on_submit():
        return attention_page(payment_id, form, 422)
    try:
        services.settle_attention(payment_id, current_user._get_current_object(), form.action.data,
                                  form.receipt.data or None, form.note.data.strip())
    except services.AlreadySettled:
        return back_to_attention_list(_("This payment was already settled; nothing was changed."), "info")
    except services.ReceiptInUse:
        db.session.rollback()
        form.receipt.errors.append(_("This M-Pesa receipt already paid for another payment."))
        return attention_page(payment_id, form, 409)
    except services.InvalidTransition:
        db.session.rollback()
        abort(409, _("This action does not apply to this payment."))
    db.session.commit()
    return back_to_attention_list(_("Payment settled."))


def callback_refund_page(event_id: uuid.UUID, form: CallbackRefundForm, status: int = 200):
    event = db.session.get(PaymentEvent, event_id)
    if event is None or event.payment_id is not None or event.kind != "callback":
        abort(404)
    return render_template("payments/admin_callback_refund.html", event=event, form=form,
                           data=parse_callback(event.payload), token=confirmation_token("refund-callback", event.id)), status


@bp.get("/admin/payments/callbacks/<uuid:event_id>/refund")
@role_required(Role.ADMIN)
def admin_callback_refund(event_id: uuid.UUID):
    require_page_visit()
    return callback_refund_page(event_id, CallbackRefundForm())


@bp.post("/admin/payments/callbacks/<uuid:event_id>/refund")
@role_required(Role.ADMIN)
def admin_callback_refund_post(event_id: uuid.UUID):
    require_confirmation("refund-callback", event_id)
    form = CallbackRefundForm()
    if not form.validate_on_submit():
        return callback_refund_page(event_id, form, 422)
    try:
        services.refund_unmatched_callback(event_id, current_user._get_current_object(), form.receipt.data,
                                           form.note.data.strip())
    except services.AlreadySettled:
        return back_to_attention_list(_("This payment was already settled; nothing was changed."), "info")
    db.session.commit()
    return back_to_attention_list(_("Refund recorded."))
