"""Notifying users: the inbox row, the unread count, marking read, and email (single or daily digest).

Emails go out for the kinds in EMAILED_KINDS unless the user muted the kind; with the daily digest on,
they wait for the digest instead. Course decisions, payments and application changes already send their
own transactional emails, so their inbox rows are not emailed a second time.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, func, select, update

from mwanzo import jobs
from mwanzo.auth.models import User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import Notification, NotificationKind, NotificationSettings
from mwanzo.notifications.services import send_email

EMAILED_KINDS = (NotificationKind.ANSWER, NotificationKind.ACCEPTED, NotificationKind.ANNOUNCEMENT)
KIND_LABELS = {
    NotificationKind.ANSWER: _l("Answers to my questions"),
    NotificationKind.ACCEPTED: _l("My answers accepted"),
    NotificationKind.ANNOUNCEMENT: _l("Announcements in my courses"),
}
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
    return _("Your application for %(job)s changed", job=p.get("job", ""))


def settings_for(user_id: uuid.UUID) -> NotificationSettings:
    row = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    return row or NotificationSettings(user_id=user_id, muted_kinds=[], daily_digest=False)


def save_settings(user_id: uuid.UUID, emailed: list[str], daily_digest: bool) -> NotificationSettings:
    row = db.session.scalar(select(NotificationSettings).where(NotificationSettings.user_id == user_id))
    if row is None:
        row = NotificationSettings(user_id=user_id)
        db.session.add(row)
    row.muted_kinds = sorted(kind.value for kind in EMAILED_KINDS if kind.value not in emailed)
    row.daily_digest = daily_digest
    db.session.flush()
    return row


def emails_at_once(user_id: uuid.UUID, kind: NotificationKind) -> bool:
    if kind not in EMAILED_KINDS:
        return False
    settings = settings_for(user_id)
    return kind.value not in settings.muted_kinds and not settings.daily_digest


def notify(user_id: uuid.UUID, kind: NotificationKind, link: str, **params) -> Notification:
    """Record one notification; its email (if the user wants it now) is sent by a job after commit.
    ``link`` is a path of this site (an absolute URL of it is cut to its path)."""
    parts = urlsplit(link)
    link = parts.path + (f"?{parts.query}" if parts.query else "")
    row = Notification(user_id=user_id, kind=kind, link=link, params=params)
    db.session.add(row)
    db.session.flush()
    if emails_at_once(user_id, kind):
        from mwanzo.inbox.tasks import email_notification

        jobs.enqueue(email_notification, str(row.id))
    return row


def notify_many(user_ids: list[uuid.UUID], kind: NotificationKind, link: str, **params) -> int:
    for user_id in user_ids:
        notify(user_id, kind, link, **params)
    return len(user_ids)


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
