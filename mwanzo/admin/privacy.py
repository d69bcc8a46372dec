"""The log of data requests (downloads and deletions), for answering the Data Protection Commissioner.
The rules are in mwanzo/privacy/services.py."""
from __future__ import annotations

from flask import render_template

from mwanzo.admin.views import bp
from mwanzo.privacy import services


@bp.get("/admin/data-requests")
def data_request_list():
    return render_template("admin/data_requests.html", rows=services.data_requests())
