"""Public catalog pages: home, search, categories, course pages, reviews, thumbnails, sitemap and robots; and the
redirect of every course URL from a course's former slug to its current one."""
from __future__ import annotations

import re
import uuid
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wsgi import wrap_file

from mwanzo.auth.access import login_required
from mwanzo.catalog import pages, search, services
from mwanzo.courses import images
from mwanzo.courses import services as courses
from mwanzo.catalog.forms import ReviewForm
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from mwanzo.urls import absolute_url
from mwanzo.web import shell
from mwanzo.web.htmx import is_htmx, render
from mwanzo.web.listing import MAX_PAGE

bp = Blueprint("catalog", __name__)

ONE_YEAR = 365 * 24 * 3600
VERSION = re.compile(r"^[0-9a-f]{12}$")


# Every URL keyed by a course's slug: the catalog's, learning's, discussions', payments' and saved lessons' pages.
COURSE_SLUG_PATHS = ("/courses/<slug>", "/learn/<slug>")


@bp.after_app_request
def redirect_former_slug(response: Response) -> Response:
    """A link to a course at an address it had before a title change (shared on WhatsApp, in an email or a
    certificate) is sent to the same page at its current slug. Only a 404 asks the database, so a page at a
    current slug costs nothing more, and nothing here is cached: the redirect holds from the commit on."""
    rule = request.url_rule
    if response.status_code != 404 or rule is None or not rule.rule.startswith(COURSE_SLUG_PATHS):
        return response
    slug = courses.current_slug_for(request.view_args["slug"])
    if slug is None:
        return response
    location = url_for(request.endpoint, **{**request.view_args, "slug": slug})
    if request.query_string:  # as sent, its escapes kept; stray raw bytes escaped so the header stays ASCII
        location += "?" + quote(request.query_string, safe="%&=+;/?:@,!$'()*~")
    # A form sent to the old address is sent again as it was (308); a 301 would turn it into a GET.
    moved = redirect(location, 301 if request.method in ("GET", "HEAD") else 308)
    # Browsers keep a 301 for good unless told otherwise; the slug may be taken by another course later.
    moved.headers["Cache-Control"] = "no-cache"
    return moved


@bp.app_template_global()
def thumbnail(course) -> dict | None:
    """srcset data for a course's thumbnail, or None when it has none."""
    renditions = course.thumbnail_renditions or {}
    version, widths = renditions.get("version"), renditions.get("widths")
    if not version or not widths:
        return None

    def srcset(ext: str) -> str:
        urls = (url_for("catalog.thumbnail_file", course_id=course.id, version=version, width=w, ext=ext) for w in widths)
        return ", ".join(f"{url} {w}w" for url, w in zip(urls, widths))

    width = widths[0]
    return {"webp": srcset("webp"), "jpg": srcset("jpg"), "width": width, "height": width * 9 // 16,
            "src": url_for("catalog.thumbnail_file", course_id=course.id, version=version, width=width, ext="jpg"),
            "large": absolute_url("catalog.thumbnail_file", course_id=course.id, version=version,
                                  width=widths[-1], ext="jpg")}


@bp.get("/")
def home():
    return render_template("catalog/home.html", canonical=absolute_url("catalog.home"),
                           sections=pages.home_sections())


def _search_page(category: search.CategoryFacet | None):
    """The same URL serves the page and, to htmx, the results; both are built once per catalog version."""
    if is_htmx():
        parts = pages.search_parts(category, fragment=True)
        response = make_response(parts["fragment"], parts["status"])
    else:
        parts = pages.search_parts(category, fragment=False)
        response = make_response(shell.fill(parts["page"]), parts["status"])
    response.vary.add("HX-Request")
    return response


@bp.get("/courses")
def course_list():
    return _search_page(None)


@bp.get("/categories/<slug>")
def category_detail(slug: str):
    category = pages.category(slug)
    if category is None:
        abort(404)
    return _search_page(category)


@bp.get("/courses/<slug>")
def course_detail(slug: str):
    found = pages.course_page(slug, current_user)
    if found is None:
        abort(404)
    course, page = found
    visitor = services.visitor_state(current_user, course)
    form = ReviewForm(obj=visitor.review) if visitor.can_review else None
    return shell.fill(page, pages.visitor_parts(course, visitor, form))


@bp.get("/courses/<slug>/reviews")
def review_list(slug: str):
    course = services.visible_course(slug, current_user)
    page = request.args.get("page", 1, type=int)
    if course is None:
        abort(404)
    if not 1 <= page <= MAX_PAGE:
        abort(400)
    return render("catalog/review_list.html", "catalog/_reviews.html", course=course,
                  reviews=services.review_page(course.id, page),
                  canonical=absolute_url("catalog.review_list", slug=course.slug, page=page))


@bp.route("/courses/<slug>/review", methods=["GET", "POST"])
@login_required
def review_edit(slug: str):
    """Write or edit one's review: one per learner, so a second review edits the first."""
    course = services.visible_course(slug, current_user)
    if course is None:
        abort(404)
    visitor = services.visitor_state(current_user, course)
    if not visitor.can_review:
        abort(403, _("Only learners enrolled in this course can review it."))
    form = ReviewForm(obj=visitor.review)
    if form.validate_on_submit():
        try:
            _review, created = services.save_review(current_user, course, form.rating.data, form.text.data)
        except services.NotEnrolled:
            abort(403, _("Only learners enrolled in this course can review it."))
        db.session.commit()
        flash(_("Thank you for your review.") if created else _("Your review has been updated."), "success")
        return redirect(url_for("catalog.course_detail", slug=course.slug, _anchor="reviews"))
    status = 422 if form.errors else 200
    return render_template("catalog/review_edit.html", course=course, form=form, existing=visitor.review), status


@bp.get("/thumbs/<uuid:course_id>/<version>/<int:width>.<ext>")
def thumbnail_file(course_id: uuid.UUID, version: str, width: int, ext: str):
    content_type = images.content_type_for(ext)
    if content_type is None or width not in images.WIDTHS or not VERSION.match(version):
        abort(404)
    storage = get_storage()
    key = images.thumbnail_key(course_id, version, width, ext)
    if not storage.exists(key):
        abort(404)
    response = Response(wrap_file(request.environ, storage.open(key)), mimetype=content_type,
                        direct_passthrough=True)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.get("/sitemap.xml")
def sitemap():
    categories, courses = services.sitemap_entries()
    course_url = absolute_url("catalog.course_detail", slug="SLUG")  # built once, not 10,000 times
    urls = [(absolute_url("catalog.home"), None), (absolute_url("catalog.course_list"), None)]
    urls += [(absolute_url("catalog.category_detail", slug=category.slug), None) for category in categories]
    urls += [(course_url.replace("SLUG", slug), updated_at) for slug, updated_at in courses]
    body = render_template("catalog/sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml", headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/robots.txt")
def robots():
    body = render_template("catalog/robots.txt", sitemap_url=absolute_url("catalog.sitemap"))
    return Response(body, mimetype="text/plain", headers={"Cache-Control": "public, max-age=86400"})
