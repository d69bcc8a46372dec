from flask import Blueprint, abort, render_template, request

from mwanzo.catalog import services

bp = Blueprint("catalog", __name__)


@bp.get("/")
def home():
    return render_template("catalog/home.html", **services.home_page_data())


@bp.get("/courses")
def course_list():
    page = request.args.get("page", 1, type=int)
    return render_template("catalog/course_list.html", pagination=services.list_published(max(page, 1)))


@bp.get("/courses/<slug>")
def course_detail(slug: str):
    course = services.published_course_by_slug(slug)
    if course is None:
        abort(404)
    return render_template("catalog/course_detail.html", course=course)
