"""The catalog's pages as every visitor sees them, rendered whole once per version and language and kept in the
shared cache (mwanzo/cache.py) as shells (mwanzo/web/shell.py). The views fill in each visitor's own parts
(header, CSRF token, call to action, review form) per request."""
from __future__ import annotations

import hashlib

from flask import current_app, get_template_attribute, render_template, request, url_for
from markupsafe import Markup

from mwanzo import cache
from mwanzo.catalog import search, services
from mwanzo.catalog.forms import CatalogSearchForm, ReviewForm
from mwanzo.courses.models import Course, CourseStatus
from mwanzo.learning import release
from mwanzo.urls import absolute_url
from mwanzo.web import shell
from mwanzo.web.listing import list_page

SEARCH_ARGS = tuple(search.SearchCriteria.__dataclass_fields__)
FILTER_ARGS = tuple(name for name in SEARCH_ARGS if name not in ("q", "page"))  # what the filter grid shows
COURSE_PARTS = ("head", "top", "price", "about", "rating")
_course_ids: dict[str, object] = {}  # slug → course id, as last seen by this process


def facets() -> tuple[list[tuple[search.CategoryFacet, int]], list[str]]:
    return cache.shared("facets", cache.catalog_version(), search.facets, per_language=False)


def category(slug: str) -> search.CategoryFacet | None:
    return next((facet for facet, _count in facets()[0] if facet.slug == slug), None)


def home_sections() -> Markup:
    """Categories with their counts, then featured, popular and newest courses."""
    return cache.shared("home", cache.catalog_version(), lambda: Markup(render_template(
        "catalog/_home_sections.html", categories=facets()[0], **services.home_page_data())),
        timeout=_seconds("CATALOG_CACHE_SECONDS"))


def search_parts(category: search.CategoryFacet | None, fragment: bool) -> dict:
    """The page for this request's arguments, {"status", "page": a shell}, or {"status", "fragment"} (the
    results) for htmx. Keyed by the arguments exactly as sent (the form and the links render them back), so
    the same URL always gets the same bytes; values that cannot be understood are named in the page and
    answer 422, from the cache too."""
    name = f"search:{category.slug if category else ''}:{'fragment' if fragment else 'page'}:{_digest(SEARCH_ARGS)}"
    return cache.shared(name, cache.catalog_version(), lambda: _render_search(category, fragment),
                        timeout=_seconds("CATALOG_CACHE_SECONDS"))


def _digest(names: tuple[str, ...], *more) -> str:
    """These request arguments exactly as sent (and ``more``), as a short cache key part."""
    args = repr(tuple(request.args.get(name, "") for name in names) + more)
    return hashlib.blake2b(args.encode(), digest_size=16).hexdigest()


def _filter_grid(context: dict) -> Markup:
    """The filter and sort fields (every category and language as a choice), rendered once per set of filters:
    a search typed with the same filters shows the same grid, only open or not as a query was typed."""
    criteria = context["criteria"]
    name = f"filters:{context['category'].slug if context['category'] else ''}:{_digest(FILTER_ARGS, bool(criteria.q))}"
    return cache.shared(name, cache.catalog_version(),
                        lambda: Markup(render_template("catalog/_filter_grid.html", **context)),
                        timeout=_seconds("CATALOG_CACHE_SECONDS"))


def _render_search(category: search.CategoryFacet | None, fragment: bool) -> dict:
    form = CatalogSearchForm(formdata=request.args)
    form.set_facets(*facets())
    fixed = {"category": category.slug} if category else {}
    listing = list_page(form, results=lambda values, number: search.search_courses(
        form.search_criteria(values, number, **fixed)))
    criteria = form.search_criteria(listing.criteria, listing.results.page, **fixed)
    context = {"form": form, "criteria": criteria, "listing": listing, "results": listing.results,
               "category": category}
    if fragment:
        return {"status": listing.status,
                "fragment": Markup(render_template("catalog/_course_results.html", **context))}
    action = url_for(request.endpoint, **request.view_args)
    return {"status": listing.status, "page": shell.render_shell(
        "catalog/course_list.html", category=category, criteria=criteria, canonical=listing.url(external=True),
        filters=Markup(render_template("catalog/_filters.html", action=action, filter_grid=_filter_grid(context),
                                       **context)),
        results=Markup(render_template("catalog/_course_results.html", in_page=True, **context)))}


def course_page(slug: str, viewer) -> tuple[services.CourseFacts, shell.Shell] | None:
    """(what the page needs to fill in the visitor's parts, the page's shell), or None when this viewer may
    not see the course. Published courses come from the cache; drafts (seen only by their instructor and
    admins) never do."""
    known = _course_ids.get(slug)  # a hint only: read with the catalog's version, saving a round trip
    catalog = cache.versions(cache.CATALOG, cache.LABELS, *((f"course:{known}",) if known else ()))
    ref = cache.shared(f"slug:{slug}", catalog and cache.catalog_version(), lambda: services.course_ref(slug),
                       per_language=False)
    if ref is None:
        return None
    if len(_course_ids) > 10_000:
        _course_ids.clear()
    _course_ids[slug] = ref.id
    if ref.status != CourseStatus.PUBLISHED:
        return _course_shell(services.visible_course(slug, viewer))
    version = cache.versions(f"course:{ref.id}", cache.LABELS)
    return cache.shared(f"course:{ref.id}", version, lambda: _published_course(slug),
                        timeout=_seconds("COURSE_CACHE_SECONDS"))


def _published_course(slug: str) -> tuple[services.CourseFacts, shell.Shell] | None:
    return _course_shell(services.visible_course(slug, None))


def _course_shell(course: Course | None) -> tuple[services.CourseFacts, shell.Shell] | None:
    if course is None:
        return None
    facts = services.CourseFacts.of(course)
    return facts, shell.render_shell("catalog/course_detail.html", course=facts, parts=course_parts(course))


def visitor_parts(course: services.CourseFacts, visitor: services.Visitor) -> dict[str, Markup]:
    """The course page's holes for this visitor: the call to action, and the review form if they may review.
    Each is rendered from the course's facts and the visitor's state alone (plain values), so it is kept per
    process under them (shell.kept) and only its CSRF token is filled per request."""
    action = shell.kept(("call_to_action", course, visitor), lambda: get_template_attribute(
        "macros/catalog.html", "call_to_action")(course, visitor))
    review = shell.kept(("review", course, visitor), lambda: render_template(
        "catalog/_course_review.html", course=course, visitor=visitor,
        review_form=ReviewForm(obj=visitor.review))) if visitor.can_review else Markup("")
    return {"call_to_action": action, "review": review}


def course_parts(course: Course) -> dict[str, Markup]:
    canonical = absolute_url("catalog.course_detail", slug=course.slug)
    # What every section waits for, as anyone not yet enrolled would meet it (the same rule as the lessons).
    conditions = {section_id: release.describe(lock)
                  for section_id, lock in release.section_locks(None, course, None).items()}
    arguments = {"head": (course, canonical), "about": (course, conditions)}
    parts = {name: Markup(get_template_attribute("catalog/_course_parts.html", name)(*arguments.get(name, (course,))))
             for name in COURSE_PARTS}
    parts["reviews"] = Markup(render_template("catalog/_reviews.html", course=course,
                                              reviews=services.review_page(course.id)))
    return parts


def _seconds(name: str) -> int:
    return current_app.config[name]
