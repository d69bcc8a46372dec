"""Notifying users: the inbox row, the unread count, marking read, and email (single or daily digest).

Every kind is emailed unless the user muted it; with the daily digest on, it waits for the digest instead.
Course decisions, payments and application changes bring their own email (``OwnEmail``: the receipt, the
decision with its reason) which goes out in place of the generic one, under the same choice: one pipeline,
one email per event.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, delete, func, select, update

from mwanzo import jobs
from mwanzo.auth.models import Role, User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import Notification, NotificationKind, NotificationSettings
from mwanzo.notifications.services import send_email

EMAILED_KINDS = tuple(NotificationKind)
KIND_LABELS = {
    NotificationKind.ANSWER: _l("Answers to my questions"),
    NotificationKind.ACCEPTED: _l("My answers accepted"),
    NotificationKind.ANNOUNCEMENT: _l("Announcements in my courses"),
    NotificationKind.COURSE_DECISION: _l("My courses approved or sent back"),
    NotificationKind.PAYMENT: _l("My payments and receipts"),
    NotificationKind.APPLICATION: _l("My job applications"),
    NotificationKind.CONTACT_REQUEST: _l("Messages from employers"),
    NotificationKind.CONTACT_ANSWER: _l("Answers to my messages to candidates"),
    NotificationKind.VERIFICATION: _l("My company's verification"),
}
# Kinds only one role receives: each person is offered the kinds they can get.
KIND_ROLES = {NotificationKind.COURSE_DECISION: Role.INSTRUCTOR, NotificationKind.PAYMENT: Role.STUDENT,
              NotificationKind.APPLICATION: Role.STUDENT,
              NotificationKind.CONTACT_REQUEST: Role.STUDENT, NotificationKind.CONTACT_ANSWER: Role.EMPLOYER,
              NotificationKind.VERIFICATION: Role.EMPLOYER}
PER_PAGE = 20
DIGEST_WINDOW = timedelta(days=1)


def message(notification: Notification) -> str:
    """The notification's sentence in the current language. Plain gettext: the user-written parts stay text."""
    p = notification.params or {}
    kind = notification.kind
    if kind == NotificationKind.ANSWER:
        return _("%(name)s answered your question “%(question)s”", name=p.get("name", ""), question=p.get("question", ""))
    if kind == NotificationKind.ACCEPTED:
        return _("Your answer to “%(question)s” was accepted", question=p.get("question", ""))
    if kind == NotificationKind.ANNOUNCEMENT:
        return _("Announcement in %(course)s: %(title)s", course=p.get("course", ""), title=p.get("title", ""))
    if kind == NotificationKind.COURSE_DECISION:
        if p.get("approved"):
            return _("Your course “%(course)s” was approved", course=p.get("course", ""))
        return _("Your course “%(course)s” needs changes", course=p.get("course", ""))
    if kind == NotificationKind.PAYMENT:
        return _("Your payment for %(course)s went through", course=p.get("course", ""))
    if kind == NotificationKind.CONTACT_REQUEST:
        return _("%(company)s sent you a message and would like your contact details", company=p.get("company", ""))
    if kind == NotificationKind.CONTACT_ANSWER:
        if p.get("accepted"):
            return _("%(name)s accepted your message: their contact details are open to you", name=p.get("name", ""))
        return _("%(name)s declined your message", name=p.get("name", ""))
    if kind == NotificationKind.VERIFICATION:
        if p.get("approved"):
            return _("%(company)s is now a verified employer", company=p.get("company", ""))
        return _("%(company)s could not be verified: see the reason", company=p.get("company", ""))
    return _("Your application for %(job)s changed", job=p.get("job", ""))


def settings_for(user_id: uuid.UUID) -> NotificationSettings:
    row = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    return row or NotificationSettings(user_id=user_id, muted_kinds=[], daily_digest=False)


def emailed_kinds(role: Role) -> list[NotificationKind]:
    """The emailed kinds a person of this role can receive, as their settings page offers them."""
    return [kind for kind in EMAILED_KINDS if KIND_ROLES.get(kind, role) == role]


def save_settings(user_id: uuid.UUID, emailed: list[str], daily_digest: bool) -> NotificationSettings:
    """Every kind not in ``emailed`` is muted (kinds the person's role never receives stay muted, harmlessly)."""
    row = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    if row is None:
        row = NotificationSettings(user_id=user_id)
        db.session.add(row)
    row.muted_kinds = sorted(kind.value for kind in EMAILED_KINDS if kind.value not in emailed)
    row.daily_digest = daily_digest
    db.session.flush()
    return row


def wants_now(settings: NotificationSettings | None, kind: NotificationKind) -> bool:
    """Email this kind at once? No settings row means the defaults: every kind, no digest."""
    return settings is None or (kind.value not in settings.muted_kinds and not settings.daily_digest)


def emails_at_once(user_id: uuid.UUID, kind: NotificationKind) -> bool:
    return wants_now(settings_for(user_id), kind)


@dataclass(frozen=True)
class OwnEmail:
    """The email a kind brings with it (``email/<template>``, rendered with ``context`` and the user), sent
    instead of the generic notification email, when the user wants this kind emailed at once."""

    template: str
    context: dict
    dedupe_key: str | None = None


def site_path(link: str) -> str:
    """A path of this site (an absolute URL of it is cut to its path)."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def notify(user_id: uuid.UUID, kind: NotificationKind, link: str, own_email: OwnEmail | None = None,
           **params) -> Notification:
    """Record one notification and, if the user wants this kind emailed now, its email: ``own_email``
    rendered here, else the generic one sent by a job after commit."""
    row = Notification(user_id=user_id, kind=kind, link=site_path(link), params=params)
    db.session.add(row)
    db.session.flush()
    if emails_at_once(user_id, kind):
        if own_email is None:
            from mwanzo.inbox.tasks import email_notification

            jobs.enqueue(email_notification, str(row.id))
        else:
            user = db.session.get(User, user_id)
            send_email(user.email, own_email.template, locale=user.locale,
                       dedupe_key=own_email.dedupe_key or f"notification:{row.id}", user=user, **own_email.context)
            row.emailed_at = utcnow()
    return row


def notify_many(user_ids: list[uuid.UUID], kind: NotificationKind, link: str, **params) -> int:
    """The same notification to many users (an announcement's learners) in a fixed number of queries:
    one insert of the rows, one read of their settings; then one email job each for those who want it now."""
    if not user_ids:
        return 0
    rows = [Notification(user_id=user_id, kind=kind, link=site_path(link), params=params) for user_id in user_ids]
    db.session.add_all(rows)
    db.session.flush()
    settings = {row.user_id: row for row in db.session.scalars(
        select(NotificationSettings).where(NotificationSettings.user_id.in_(user_ids)))}
    from mwanzo.inbox.tasks import email_notification

    for row in rows:
        if wants_now(settings.get(row.user_id), kind):
            jobs.enqueue(email_notification, str(row.id))
    return len(rows)


def unread_count_of(user_id) -> ScalarSelect:
    """The badge's count as an expression, for a query that loads the user anyway (user_id: ``User.id``)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def unread_count(user_id: uuid.UUID) -> int:
    """The header badge: one query on ix_notifications_user_unread."""
    return db.session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


@dataclass
class InboxPage:
    items: list[Notification]
    page: int
    has_next: bool


def inbox_page(user_id: uuid.UUID, page: int = 1) -> InboxPage:
    rows = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ))
    return InboxPage(rows[:PER_PAGE], page, len(rows) > PER_PAGE)


def own_notification(user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    """Someone else's notification is None, like one that does not exist."""
    return db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id))


def mark_read(user_id: uuid.UUID, notification_id: uuid.UUID | None = None) -> int:
    """One notification (or, without an id, all of them) read; returns how many changed."""
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    return db.session.execute(statement.values(read_at=utcnow())).rowcount


def absolute(link: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link


def send_notification_email(notification_id: uuid.UUID) -> bool:
    """Email one notification in its user's language; once only (dedupe key), safe to re-run."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.emailed_at is not None or not emails_at_once(row.user_id, row.kind):
        return False
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        return False
    sent = send_email(user.email, "notification", locale=user.locale, dedupe_key=f"notification:{row.id}",
                      user=user, notification=row, message=message, link=absolute(row.link))
    row.emailed_at = utcnow()
    return sent is not None


def digest_due_user_ids(now: datetime) -> list[uuid.UUID]:
    return list(db.session.scalars(
        select(NotificationSettings.user_id).join(Notification, Notification.user_id == NotificationSettings.user_id)
        .where(NotificationSettings.daily_digest.is_(True), Notification.emailed_at.is_(None),
               Notification.read_at.is_(None), Notification.kind.in_(EMAILED_KINDS),
               Notification.created_at >= now - DIGEST_WINDOW)
        .distinct()
    ))


def send_digest(user_id: uuid.UUID, now: datetime) -> bool:
    """One email a day listing the unread, not yet emailed notifications of the kinds the user wants."""
    user = db.session.get(User, user_id)
    settings = settings_for(user_id)
    if user is None or not user.is_active or not settings.daily_digest:
        return False
    wanted = [kind for kind in EMAILED_KINDS if kind.value not in settings.muted_kinds]
    rows = list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.emailed_at.is_(None),
                                   Notification.read_at.is_(None), Notification.kind.in_(wanted),
                                   Notification.created_at >= now - DIGEST_WINDOW)
        .order_by(Notification.created_at)
    ))
    if not rows:
        return False
    sent = send_email(user.email, "notification_digest", locale=user.locale,
                      dedupe_key=f"digest:{user_id}:{now.date().isoformat()}", user=user, notifications=rows,
                      message=message, absolute=absolute, inbox_url=absolute("/notifications"))
    for row in rows:
        row.emailed_at = now
    return sent is not None


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    notes = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.created_at))
    chosen = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user.id))
    return {
        "notifications": [{"kind": n.kind.value, "details": n.params, "link": n.link, "date": n.created_at,
                           "read_at": n.read_at} for n in notes],
        "notification_settings": [{"muted": chosen.muted_kinds, "daily_digest": chosen.daily_digest}] if chosen else [],
    }


def erase_user_data(user: User) -> None:
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationSettings).where(NotificationSettings.user_id == user.id))
