"""The admin's payments console: every payment with filters and daily totals, a payment's timeline and
refund, and the payments and payouts that need an operator (/admin/payments/attention). The rules are in
mwanzo/payments/services.py."""
from __future__ import annotations

import re
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mwanzo.admin.forms import (AttentionSettleForm, CallbackRefundForm, PaymentFilterForm, PayoutSettleForm,
                                RefundDecisionForm, RefundForm)
from mwanzo.admin.views import bp
from mwanzo.extensions import db
from mwanzo.auth.models import User
from mwanzo.payments import payouts, queries, refunds, services
from mwanzo.payments.callbacks import parse_callback
from mwanzo.payments.models import Attention, Payment, PaymentEvent, Payout, PayoutStatus
from mwanzo.payments.forms import AdminCouponForm
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone
from mwanzo.studio.coupons import coupon_page
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit
from mwanzo.web.htmx import render
from mwanzo.web.listing import list_page

ATTENTION_REASONS = {
    Attention.PUSH_UNKNOWN.value: _l("The payment request timed out and M-Pesa has not told us the outcome."),
    Attention.UNVERIFIED_SUCCESS.value: _l("M-Pesa reported a payment we could not confirm."),
    Attention.AMOUNT_MISMATCH.value: _l("M-Pesa reported a different amount from the course price."),
    Attention.DUPLICATE_SUCCESS.value: _l("The learner paid twice for the same course."),
}

PAYMENTS_PER_PAGE = 50


def phone_fragment(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalise_kenyan_phone(raw)
    except InvalidPhone:
        digits = re.sub(r"\D", "", raw)
        return digits.lstrip("0") or None


@bp.get("/admin/payments")
def payment_list():
    form = PaymentFilterForm(request.args)
    listing = list_page(form, lambda criteria: queries.payment_search(payment_filter(criteria)), PAYMENTS_PER_PAGE)
    return render("admin/payment_list.html", "admin/_payment_results.html", listing.status, form=form,
                  listing=listing, totals=queries.daily_totals(payment_filter(listing.criteria)))


def payment_filter(criteria: dict) -> queries.PaymentFilter:
    return queries.PaymentFilter(
        status=criteria["status"] or None, date_from=criteria["date_from"], date_to=criteria["date_to"],
        course=criteria["course"] or None,
        phone=phone_fragment(criteria["phone"]))


def payment_page(payment_id: uuid.UUID, form: RefundForm, status: int = 200):
    payment = queries.payment_with_timeline(payment_id)
    if payment is None:
        abort(404)
    return render_template("admin/payment_detail.html", payment=payment, form=form,
                           message=services.status_message(payment),
                           confirm_token=confirmation_token("refund", payment.id)), status


@bp.get("/admin/payments/<uuid:payment_id>")
def payment_detail(payment_id: uuid.UUID):
    require_page_visit()  # the page carries the refund's confirmation token
    return payment_page(payment_id, RefundForm())


@bp.post("/admin/payments/<uuid:payment_id>/refund")
def payment_refund(payment_id: uuid.UUID):
    form = RefundForm()
    if not form.validate_on_submit():
        return payment_page(payment_id, form, 422)
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
    return redirect(url_for("admin.payment_detail", payment_id=payment_id), code=303)


@bp.get("/admin/payments/attention")
def attention_list():
    return render_template("admin/attention_list.html", payments=queries.payments_needing_attention(),
                           callbacks=queries.unmatched_success_callbacks(), reasons=ATTENTION_REASONS,
                           unanswered=payouts.unanswered_payouts(), overpaid=payouts.overpaid_payouts())


def back_to_attention_list(message: str, category: str = "success"):
    """After a settle form: rolls back whatever a refused action left (nothing when committed)."""
    db.session.rollback()
    flash(message, category)
    return redirect(url_for("admin.attention_list"), code=303)


def attention_page(payment_id: uuid.UUID, form: AttentionSettleForm, status: int = 200):
    payment = queries.payment_with_timeline(payment_id)
    if payment is None:
        abort(404)
    form.action.choices = [choice for choice in form.action.choices
                           if payment.attention and choice.value in services.SETTLE_ACTIONS[payment.attention]]
    return render_template("admin/attention_settle.html", payment=payment, form=form,
                           reasons=ATTENTION_REASONS, message=services.status_message(payment),
                           token=confirmation_token("settle", payment.id)), status


@bp.get("/admin/payments/<uuid:payment_id>/settle")
def attention_settle(payment_id: uuid.UUID):
    require_page_visit()
    return attention_page(payment_id, AttentionSettleForm())


@bp.post("/admin/payments/<uuid:payment_id>/settle")
def attention_settle_post(payment_id: uuid.UUID):
    return settle_case("settle", payment_id, AttentionSettleForm(), attention_page, _("Payment settled."),
                       lambda admin, form: services.settle_attention(payment_id, admin, form.action.data,
                                                                     form.receipt.data or None, form.note.data.strip()))


def settle_case(action: str, target_id: uuid.UUID, form, page, done: str, settle):
    """The POST of one case on the attention list (a payment's, or a callback's that matched none): confirmed,
    the form re-rendered when invalid (422) or its receipt taken (409), settled once, committed."""
    require_confirmation(action, target_id)
    if not form.validate_on_submit():
        return page(target_id, form, 422)
    try:
        settle(current_user._get_current_object(), form)
    except services.AlreadySettled:
        return back_to_attention_list(_("This payment was already settled; nothing was changed."), "info")
    except services.ReceiptInUse:
        db.session.rollback()
        form.receipt.errors.append(_("This M-Pesa receipt already paid for another payment."))
        return page(target_id, form, 409)
    except services.InvalidTransition:
        db.session.rollback()
        abort(409, _("This action does not apply to this payment."))
    db.session.commit()
    return back_to_attention_list(done)


def callback_refund_page(event_id: uuid.UUID, form: CallbackRefundForm, status: int = 200):
    event = db.session.get(PaymentEvent, event_id)
    if event is None or event.payment_id is not None or event.kind != "callback":
        abort(404)
    return render_template("admin/callback_refund.html", event=event, form=form,
                           data=parse_callback(event.payload), token=confirmation_token("refund-callback", event.id)), status


@bp.get("/admin/payments/callbacks/<uuid:event_id>/refund")
def callback_refund(event_id: uuid.UUID):
    require_page_visit()
    return callback_refund_page(event_id, CallbackRefundForm())


@bp.post("/admin/payments/callbacks/<uuid:event_id>/refund")
def callback_refund_post(event_id: uuid.UUID):
    return settle_case("refund-callback", event_id, CallbackRefundForm(), callback_refund_page, _("Refund recorded."),
                       lambda admin, form: services.refund_unmatched_callback(event_id, admin, form.receipt.data,
                                                                              form.note.data.strip()))


@bp.route("/admin/coupons", methods=["GET", "POST"])
def coupon_list():
    """Coupons for every course or one; the page and its rules are the studio's (studio/coupons.py). An admin's
    coupon can make any course free, so the page carries a confirmation token and only a browser opening it
    gets one."""
    if request.method == "POST":
        require_confirmation("create-coupon", "all")
    else:
        require_page_visit()
    return coupon_page(AdminCouponForm(), "admin.coupon_list", confirmation_token("create-coupon", "all"))


# ---------------------------------------------------------------- learners' refund requests

@bp.get("/admin/refunds")
def refund_list():
    return render_template("admin/refund_list.html", requests=refunds.open_requests(),
                           transfers=payouts.refund_transfers())


def refund_decision_page(request_id: uuid.UUID, form: RefundDecisionForm, status: int = 200):
    refund = refunds.get_request(request_id)
    if refund is None:
        abort(404)
    transfer = payouts.refund_transfer(refund.id)
    retry = transfer is not None and transfer.status == PayoutStatus.FAILED
    return render_template("admin/refund_decision.html", refund=refund, form=form, transfer=transfer, retry=retry,
                           token=confirmation_token("refund-retry" if retry else "refund-request", refund.id)), status


@bp.get("/admin/refunds/<uuid:request_id>")
def refund_decision(request_id: uuid.UUID):
    require_page_visit()
    return refund_decision_page(request_id, RefundDecisionForm())


@bp.post("/admin/refunds/<uuid:request_id>")
def refund_decision_post(request_id: uuid.UUID):
    """Approve (access ends now; the money goes back to the learner's M-Pesa by a job) or decline."""
    require_confirmation("refund-request", request_id)
    form = RefundDecisionForm()
    if not form.validate_on_submit():
        return refund_decision_page(request_id, form, 422)
    refund = refunds.get_request(request_id)
    if refund is None:
        abort(404)
    admin = current_user._get_current_object()
    try:
        if form.action.data == "approve":
            refunds.approve(refund, admin, form.note.data.strip())
        else:
            refunds.decline(refund, admin, form.note.data.strip())
    except (refunds.AlreadyDecided, services.InvalidTransition):
        db.session.rollback()
        flash(_("This request was already decided; nothing was changed."), "info")
        return redirect(url_for("admin.refund_list"), code=303)
    db.session.commit()
    flash(_("Refund approved: the money is being sent back to the learner's M-Pesa and the course is taken away.")
          if form.action.data == "approve" else _("Refund request declined."), "success")
    return redirect(url_for("admin.refund_list"), code=303)


@bp.post("/admin/refunds/<uuid:request_id>/retry")
def refund_retry(request_id: uuid.UUID):
    """Send a failed refund transfer again; pressed twice (or by two admins), it is sent once."""
    require_confirmation("refund-retry", request_id)
    transfer = payouts.refund_transfer(request_id)
    if transfer is None:
        abort(404)
    try:
        payouts.retry_refund(transfer, current_user._get_current_object())
    except payouts.AlreadyDecided:
        db.session.rollback()
        flash(_("This refund is already on its way; nothing was changed."), "info")
        return redirect(url_for("admin.refund_list"), code=303)
    db.session.commit()
    flash(_("The refund is being sent to the learner's M-Pesa again."), "success")
    return redirect(url_for("admin.refund_list"), code=303)


# ---------------------------------------------------------------- instructor payouts

def payout_settle_page(payout_id: uuid.UUID, form: PayoutSettleForm, status: int = 200):
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        abort(404)
    refund = refunds.get_request(payout.refund_request_id) if payout.refund_request_id else None
    return render_template("admin/payout_settle.html", payout=payout, form=form, refund=refund,
                           recipient=refund.student if refund else db.session.get(User, payout.instructor_id),
                           events=payouts.timeline(payout.id), token=confirmation_token("payout-settle", payout.id)), status


@bp.get("/admin/payouts/<uuid:payout_id>/settle")
def payout_settle(payout_id: uuid.UUID):
    """A payout or refund transfer whose withdraw went unanswered: the admin's answer from the M-Pesa statement."""
    require_page_visit()
    return payout_settle_page(payout_id, PayoutSettleForm())


@bp.post("/admin/payouts/<uuid:payout_id>/settle")
def payout_settle_post(payout_id: uuid.UUID):
    return settle_case("payout-settle", payout_id, PayoutSettleForm(), payout_settle_page, _("Payout settled."),
                       lambda admin, form: payouts.settle_unanswered(payout_id, admin, form.action.data,
                                                                     form.receipt.data or None, form.note.data.strip()))


@bp.get("/admin/payouts")
def payout_list():
    return render_template("admin/payout_list.html", payouts=payouts.admin_payouts())


def payout_or_404(payout_id: uuid.UUID) -> Payout:
    """An instructor's payout (a refund transfer is handled from its refund request)."""
    payout = db.session.get(Payout, payout_id)
    if payout is None or payout.instructor_id is None:
        abort(404)
    return payout


@bp.get("/admin/payouts/<uuid:payout_id>")
def payout_decision(payout_id: uuid.UUID):
    require_page_visit()
    payout = payout_or_404(payout_id)
    return render_template("admin/payout_decision.html", payout=payout, instructor=db.session.get(User, payout.instructor_id),
                           balance=payouts.balance(payout.instructor_id),
                           token=confirmation_token("payout", payout.id))


@bp.post("/admin/payouts/<uuid:payout_id>")
def payout_decision_post(payout_id: uuid.UUID):
    """Approve (sent to M-Pesa by a job, once) or reject with a reason; a second decision changes nothing."""
    require_confirmation("payout", payout_id)
    payout = payout_or_404(payout_id)
    admin = current_user._get_current_object()
    action = request.form.get("action")
    try:
        if action == "approve":
            payouts.approve(payout, admin)
        elif action == "reject" and request.form.get("reason", "").strip():
            payouts.reject(payout, admin, request.form["reason"].strip()[:1000])
        else:
            abort(422)
    except payouts.AlreadyDecided:
        db.session.rollback()
        flash(_("This payout was already decided; nothing was changed."), "info")
        return redirect(url_for("admin.payout_list"), code=303)
    db.session.commit()
    flash(_("Payout approved: it is being sent to M-Pesa.") if action == "approve" else _("Payout refused."), "success")
    return redirect(url_for("admin.payout_list"), code=303)
