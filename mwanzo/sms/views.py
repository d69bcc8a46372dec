"""Africa's Talking's delivery-report callback. Unsigned by design on their side, so the URL carries a
secret (SMS_CALLBACK_TOKEN), the report must name a message we sent to change anything, and every
readable report is answered 200 at once (they retry unacknowledged reports)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, request

from mwanzo.extensions import csrf, db
from mwanzo.sms import services

bp = Blueprint("sms", __name__)

REPORT_MAX_BYTES = 4 * 1024


@bp.post("/api/v1/sms/delivery-reports/<token>")
@csrf.exempt
def delivery_report(token: str):
    if not services.callback_token_matches(token):
        abort(404)
    request.max_content_length = REPORT_MAX_BYTES
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(415)
    # The input check before every request has parsed the form already; kept as it came, re-encoded.
    raw = urlencode(list(request.form.items(multi=True)))
    try:
        services.record_delivery_report(request.form, raw)
    except services.UnreadableReport:
        abort(400)
    db.session.commit()
    return "", 200
