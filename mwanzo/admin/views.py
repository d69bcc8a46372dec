"""The admin console, one blueprint under one guard: users, audit log, categories, featured courses and
platform analytics here; course and revision reviews in reviews.py, payments in payments.py, certificate
revocation in certificates.py, support's search and fixes in support.py. The rules and workflows stay in their domains' services.

Its routes carry full paths (no url_prefix) because one admin page, revoking a certificate, lives beside
the certificate's public page at /certificates/<code>/revoke."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.admin import services
from mwanzo.admin.forms import CategoryForm, CourseFilterForm, GrantForm, ReasonForm, RoleForm, UserFilterForm
from mwanzo.analytics import reports
from mwanzo.analytics.services import DateRange, InvalidRange
from mwanzo.auth.access import role_required
from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Category, Course
from mwanzo.discussions import services as talk
from mwanzo.extensions import db
from mwanzo.studio.services import NotFound
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit
from mwanzo.web.errors import render_error
from mwanzo.web.htmx import render
from mwanzo.web.listing import ListForm, list_page, page_number, paginate

bp = Blueprint("admin", __name__)


@bp.before_request
@role_required(Role.ADMIN)
def guard():
    """Admins only, for every page of the console."""


@bp.errorhandler(NotFound)
def not_found(_error):
    return render_error(404)


def page_arg() -> int:
    return page_number(request.args)


@bp.get("/admin/")
def dashboard():
    return render_template("admin/dashboard.html")


# ---------------------------------------------------------------- the shape of every confirmed change
# GET: a page of its own shows the signed token (mwanzo/web/confirmation.py); POST: the view checks the token
# (require_confirmation), then the change runs and is committed, said and left with a 303.

def change_confirm_page(question: str | None, action: str, target, action_url: str, cancel_url: str,
                        fields: dict | None = None, template: str = "admin/change_confirm.html", **context):
    """The page that asks `question` (or a `template` extending change_confirm.html that asks it itself); its
    form posts `fields` with the token for `action` on `target`."""
    require_page_visit()
    return render_template(template, question=question, action_url=action_url, cancel_url=cancel_url,
                           fields=fields or {}, token=confirmation_token(action, target), **context)


def reason_page(question: str, action: str, target, action_url: str, cancel_url: str, form=None, status: int = 200,
                **fields):
    """The same page for a change that needs a reason: its form asks for one."""
    require_page_visit()
    return render_template("admin/reason_confirm.html", question=question, form=form or ReasonForm(),
                           action_url=action_url, cancel_url=cancel_url, fields=fields,
                           token=confirmation_token(action, target)), status


def change_done(said: str, done_url: str, changed: bool | None = None, unchanged: str | None = None):
    """The end of a confirmed change: commit it, tell the admin (`unchanged`, as information, when the change
    found nothing to do), and go to `done_url` with a GET (303)."""
    db.session.commit()
    if changed is False and unchanged is not None:
        flash(unchanged, "info")
    else:
        flash(said, "success")
    return redirect(done_url, 303)


def reason_change(form, page, change, done_url: str, said: str, unchanged: str | None = None):
    """The POST of a reason page whose token was checked: `page(form, 422)` again until a reason is given, then
    `change(reason)` (False: nothing to do) and change_done."""
    if not form.validate_on_submit():
        return page(form, 422)
    return change_done(said, done_url, change(form.reason.data.strip()), unchanged)


# ---------------------------------------------------------------- users

@bp.get("/admin/users")
def user_list():
    form = UserFilterForm(request.args)
    listing = list_page(form, services.user_search, services.PER_PAGE)
    return render("admin/user_list.html", "admin/_user_results.html", listing.status, form=form, listing=listing)


def get_user_or_404(user_id: uuid.UUID):
    return db.get_or_404(User, user_id)


@bp.get("/admin/users/<uuid:user_id>")
def user_detail(user_id: uuid.UUID):
    return user_page(get_user_or_404(user_id))


def user_page(user, error: str | None = None, status: int = 200):
    return render_template("admin/user_detail.html", user=user, role_form=RoleForm(role=user.role.value),
                           grant_form=GrantForm(formdata=None), record=services.user_record(user),
                           entries=paginate(services.audit_search("users", str(user.id)), 1, services.PER_PAGE).items,
                           posting_suspension=talk.posting_suspension(user.id), error=error), status


def own_account_refused(user):
    return user_page(user, _("You cannot change your own account here; ask another administrator."), 409)


def confirm_page(user_id: uuid.UUID, change: str, field: str, value: str, endpoint: str):
    """The page that asks before `change`; its form posts `field`=`value` with the confirmation token."""
    require_page_visit()
    user = get_user_or_404(user_id)
    try:
        services.refuse_self(current_user, user)
    except services.CannotChangeSelf:
        return own_account_refused(user)
    return render_template("admin/user_confirm.html", user=user, change=change, value=value, fields={field: value},
                           action_url=url_for(endpoint, user_id=user.id),
                           cancel_url=url_for("admin.user_detail", user_id=user.id),
                           token=confirmation_token(f"{change}:{value}", user.id))


def user_change(user_id: uuid.UUID, confirmed: str, change):
    """Run one confirmed change on a user and record it; one's own account is refused with 409."""
    require_confirmation(confirmed, user_id)
    user = get_user_or_404(user_id)
    try:
        changed = change(user)
    except services.CannotChangeSelf:
        return own_account_refused(user)
    db.session.commit()
    if changed:
        flash(_("Saved and recorded in the audit log."), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id), 303)


@bp.get("/admin/users/<uuid:user_id>/role")
def user_role_confirm(user_id: uuid.UUID):
    form = RoleForm(request.args, meta={"csrf": False})
    if not form.validate():
        abort(422)
    return confirm_page(user_id, "role", "role", form.role.data, "admin.user_role")


@bp.post("/admin/users/<uuid:user_id>/role")
def user_role(user_id: uuid.UUID):
    form = RoleForm()
    if not form.validate_on_submit():
        abort(422)
    return user_change(user_id, f"role:{form.role.data}",
                       lambda u: services.change_role(current_user, u, Role(form.role.data)))


LOCK_ACTIONS = {"lock": True, "unlock": False}
ACTIVE_ACTIONS = {"activate": True, "deactivate": False}


def switch_action(args, actions: dict[str, bool], field: str = "action") -> str:
    """The button's action, e.g. lock or unlock; 400 for anything else."""
    action = args.get(field, "")
    if action not in actions:
        abort(400)
    return action


@bp.get("/admin/users/<uuid:user_id>/lock")
def user_lock_confirm(user_id: uuid.UUID):
    return confirm_page(user_id, "switch", "action", switch_action(request.args, LOCK_ACTIONS), "admin.user_lock")


@bp.post("/admin/users/<uuid:user_id>/lock")
def user_lock(user_id: uuid.UUID):
    action = switch_action(request.form, LOCK_ACTIONS)
    return user_change(user_id, f"switch:{action}",
                       lambda u: services.set_locked(current_user, u, LOCK_ACTIONS[action]))


@bp.get("/admin/users/<uuid:user_id>/active")
def user_active_confirm(user_id: uuid.UUID):
    return confirm_page(user_id, "switch", "action", switch_action(request.args, ACTIVE_ACTIONS),
                        "admin.user_active")


@bp.post("/admin/users/<uuid:user_id>/active")
def user_active(user_id: uuid.UUID):
    action = switch_action(request.form, ACTIVE_ACTIONS)
    return user_change(user_id, f"switch:{action}",
                       lambda u: services.set_active(current_user, u, ACTIVE_ACTIONS[action]))


@bp.get("/admin/audit")
def audit_list():
    listing = list_page(ListForm(request.args), lambda _criteria: services.audit_search(), services.PER_PAGE)
    return render_template("admin/audit_list.html", listing=listing), listing.status


# ---------------------------------------------------------------- categories and featured courses

@bp.route("/admin/categories", methods=["GET", "POST"])
def category_list():
    form = CategoryForm()
    if form.validate_on_submit() and save_category(form, None):
        return redirect(url_for("admin.category_list"), 303)
    return category_page(form, status=422 if form.errors else 200)


def category_page(form: CategoryForm, error: str | None = None, status: int = 200):
    return render_template("admin/category_list.html", form=form, categories=services.categories_with_counts(),
                           error=error), status


def save_category(form: CategoryForm, category: Category | None) -> bool:
    try:
        services.save_category(current_user, category, form.name.data.strip(), form.slug.data or None,
                               form.description.data or None, form.display_order.data or 0)
    except services.SlugTaken:
        form.name.errors.append(_("Another category already has this name or web address name."))
        return False
    db.session.commit()
    flash(_("Category saved."), "success")
    return True


@bp.route("/admin/categories/<uuid:category_id>", methods=["GET", "POST"])
def category_edit(category_id: uuid.UUID):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit() and save_category(form, category):
        return redirect(url_for("admin.category_list"), 303)
    return render_template("admin/category_edit.html", form=form, category=category), 422 if form.errors else 200


@bp.get("/admin/categories/<uuid:category_id>/delete")
def category_delete_confirm(category_id: uuid.UUID):
    category = db.get_or_404(Category, category_id)
    return change_confirm_page(_("Delete the category %(name)s?", name=category.name), "delete-category",
                               category.id, url_for("admin.category_delete", category_id=category.id),
                               url_for("admin.category_list"))


@bp.post("/admin/categories/<uuid:category_id>/delete")
def category_delete(category_id: uuid.UUID):
    require_confirmation("delete-category", category_id)
    category = db.get_or_404(Category, category_id)
    try:
        services.delete_category(current_user, category)
    except services.CategoryInUse:
        return category_page(CategoryForm(formdata=None), _("This category still has courses; move them first."), 409)
    return change_done(_("Category deleted."), url_for("admin.category_list"))


@bp.get("/admin/courses")
def course_list():
    form = CourseFilterForm(request.args)
    listing = list_page(form, services.published_course_search, services.PER_PAGE)
    return render_template("admin/course_list.html", form=form, listing=listing), listing.status


FEATURED_CHOICES = {"1": True, "0": False}


@bp.get("/admin/courses/<uuid:course_id>/featured")
def course_featured_confirm(course_id: uuid.UUID):
    course = db.get_or_404(Course, course_id)
    choice = switch_action(request.args, FEATURED_CHOICES, "featured")
    question = (_("Feature %(title)s on the home page?", title=course.title) if FEATURED_CHOICES[choice]
                else _("Remove %(title)s from the featured courses?", title=course.title))
    return change_confirm_page(question, f"featured:{choice}", course.id,
                               url_for("admin.course_featured", course_id=course.id),
                               url_for("admin.course_list", page=page_arg()), {"featured": choice, "page": page_arg()})


@bp.post("/admin/courses/<uuid:course_id>/featured")
def course_featured(course_id: uuid.UUID):
    choice = switch_action(request.form, FEATURED_CHOICES, "featured")
    require_confirmation(f"featured:{choice}", course_id)
    course = db.get_or_404(Course, course_id)
    services.set_featured(current_user, course, FEATURED_CHOICES[choice])
    db.session.commit()
    return redirect(url_for("admin.course_list", page=page_number(request.form)), 303)


# ---------------------------------------------------------------- analytics

def date_range() -> DateRange:
    try:
        return DateRange.from_args(request.args)
    except InvalidRange:
        abort(400)


@bp.get("/admin/analytics")
def analytics():
    rng = date_range()
    return render_template("admin/analytics.html", rng=rng, tables=reports.platform_report(rng),
                           csv_url=lambda name: url_for("admin.analytics_csv", name=name, **rng.args()))


@bp.get("/admin/analytics/<name>.csv")
def analytics_csv(name: str):
    rng = date_range()
    table = reports.find_table(reports.platform_report(rng), name)
    if table is None:
        abort(404)
    return reports.csv_response(table, f"mwanzo-{name}-{rng.start}-{rng.end}")


# The console's other pages join this blueprint, under the guard above.
from mwanzo.admin import certificates, employers, moderation, payments, privacy, reviews, support  # noqa: E402,F401
