"""Payments on the web: checkout, live status, history and receipts, the PayHero webhook and the
sandbox phone. The admin's payments console (/admin/payments) is in mwanzo/admin/payments.py."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.access import learner_key, login_required, owned_or_404, verified_email_required
from mwanzo.catalog.services import published_course_by_slug
from mwanzo.extensions import csrf, db, limiter
from mwanzo.learning import services as learning
from mwanzo.payments import coupons, payouts, queries, refunds, sandbox, services
from mwanzo.payments.forms import CheckoutForm, RefundRequestForm
from mwanzo.payments.models import Payment, PaymentStatus
from mwanzo.phones import display_phone
from mwanzo.web.htmx import render
from mwanzo.web.inputs import json_object

bp = Blueprint("payments", __name__)

CALLBACK_MAX_BYTES = 16 * 1024
POLL_SECONDS = 3


def checkout_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


def own_payment_or_404(payment_id: uuid.UUID) -> Payment:
    """The learner's own payment; anyone else's answers 404 (admins read payments in the admin console)."""
    return owned_or_404(queries.payment_for_page(payment_id), lambda payment: payment.student_id, admins=False)


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
                               retry_at=services.retry_at(in_flight), quote=coupons.quote(course, None))
    if request.method == "POST":
        form = CheckoutForm()
    else:
        form = CheckoutForm(formdata=None, phone=display_phone(current_user.phone),
                            coupon=coupons.normalise_code(request.args.get("coupon", ""))[:40])
    quote, refused = checkout_quote(course, form.coupon.data)
    if form.validate_on_submit() and refused is None:
        try:
            payment, created = services.start_checkout(current_user._get_current_object(), course, form.phone.data,
                                                       form.coupon.data)
        except services.AlreadyEnrolled:
            return redirect(url_for("learning.course_resume", slug=slug))
        except learning.EnrollmentError:
            abort(404)
        except coupons.CouponRefused as exc:
            db.session.rollback()
            form.coupon.errors = [exc.message]
            return checkout_page(course, form, coupons.quote(course, None), 409)
        # Committed before M-Pesa hears of it, so a callback can always find the payment.
        db.session.commit()
        if payment is None:
            flash(_("Your coupon covers the whole price: the course is yours."), "success")
            return redirect(url_for("learning.course_resume", slug=slug), code=303)
        if created:
            services.send_push(payment, current_user.name)
            db.session.commit()
        return redirect(url_for("payments.payment_status", payment_id=payment.id), code=303)
    if refused is not None and form.coupon.data:
        form.coupon.errors = [*form.coupon.errors, refused]
    return checkout_page(course, form, quote, 422 if form.errors and request.method == "POST" else 200)


def checkout_quote(course, code: str | None):
    """The amount with this code, or the full price and why the code was refused."""
    try:
        return coupons.quote(course, code), None
    except coupons.CouponRefused as exc:
        return coupons.quote(course, None), exc.message


def checkout_page(course, form: CheckoutForm, quote, status: int):
    return render_template("payments/checkout.html", course=course, form=form, quote=quote), status


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
    return receipt_page(payment, RefundRequestForm())


def receipt_page(payment: Payment, form: RefundRequestForm, status: int = 200):
    return render_template("payments/payment_receipt.html", payment=payment, refund=refunds.eligibility(payment),
                           refund_form=form), status


@bp.post("/payments/<uuid:payment_id>/refund-request")
@login_required
def refund_request(payment_id: uuid.UUID):
    payment = own_payment_or_404(payment_id)
    form = RefundRequestForm()
    if not form.validate_on_submit():
        return receipt_page(payment, form, 422)
    try:
        refunds.request_refund(payment, current_user._get_current_object(), form.reason.data.strip())
    except refunds.RefundRefused as exc:
        db.session.rollback()
        form.reason.errors = [exc.message]
        return receipt_page(payment, form, 409)
    db.session.commit()
    flash(_("Your refund request was sent. An administrator will answer it."), "success")
    return redirect(url_for("payments.payment_receipt", payment_id=payment.id), code=303)


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

def callback_body(token: str) -> dict:
    """A PayHero callback's JSON body, once its secret URL token matches (404) and its type (415) and size hold."""
    if not services.callback_token_matches(token):
        abort(404)
    request.max_content_length = CALLBACK_MAX_BYTES
    if request.mimetype not in ("", "text/plain") and not request.is_json:
        abort(415)
    return json_object(request.get_data(cache=False), CALLBACK_MAX_BYTES)


@bp.post("/api/v1/payments/callback/<token>")
@csrf.exempt
def callback(token: str):
    event = services.record_callback(callback_body(token))
    db.session.commit()  # stored; settling runs as a job after this commit
    if event.kind == services.UNREADABLE:
        abort(400)
    return jsonify(ResultCode=0, ResultDesc="Accepted")


@bp.post("/api/v1/payouts/callback/<token>")
@csrf.exempt
def payout_callback(token: str):
    """PayHero's withdrawal (B2C) callback: stored raw, settled by a job (payments/payouts.py)."""
    event = payouts.record_callback(callback_body(token))
    db.session.commit()
    if event.kind == "callback_unreadable":
        abort(400)
    return jsonify(ResultCode=0, ResultDesc="Accepted")
