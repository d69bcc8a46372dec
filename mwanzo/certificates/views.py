from flask import Blueprint, render_template

from mwanzo.certificates import services

bp = Blueprint("certificates", __name__)


@bp.get("/certificates/<code>")
def certificate_detail(code: str):
    certificate = services.find_by_code(code)
    status = 200 if certificate else 404
    return render_template("certificates/certificate_detail.html", certificate=certificate, code=code), status
