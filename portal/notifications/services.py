"""Leaving a user a message, showing it in the reader's language, and e-mailing a copy.

A notification keeps its msgid and parameters, not text, so it is translated when read: a user
who switches language sees every message in the new one. Parameters named `status` hold an
application status value and are shown as its label; those ending in `_on` hold an ISO date and
are shown as a date in the reader's locale.
"""
import logging
import smtplib
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from portal.common.i18n import N_
from portal.common.jobs import enqueue, job
from portal.db import db, utcnow
from portal.enrollment.models import STATUS_LABELS
from portal.notifications.models import Notification

log = logging.getLogger(__name__)
MAIL_SUBJECT = N_("技能扶贫报名平台通知")
MAIL_FOOTER = N_("请登录技能扶贫报名平台查看详情。这封邮件由系统自动发送，请勿回复。")
_OUTBOX = "notification_mail"  # key in Session.info: e-mails waiting for their transaction to commit


def notify(user, message_msgid: str, link: str = "", **params) -> Notification:
    """Leave `user` the message (a msgid with %(name)s placeholders), and e-mail a copy when SMTP
    is configured and the account has an address. The e-mail goes once the transaction commits,
    so nobody is told about a change that was rolled back."""
    notification = Notification(user_id=user.id, message=message_msgid, params=params, link=link)
    db.session.add(notification)
    if current_app.config.get("MAIL_SERVER") and user.email:
        # The recipient's language choice lives in their browser, so mail goes in the portal's default.
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            body = f"{text_of(notification)}\n\n{gettext(MAIL_FOOTER)}"
            mail = (user.email, gettext(MAIL_SUBJECT), body)
        db.session.info.setdefault(_OUTBOX, []).append((notification, mail))
    return notification


def text_of(notification: Notification) -> str:
    """The message in the current language."""
    params = {}
    for name, value in (notification.params or {}).items():
        if name == "status":
            value = gettext(STATUS_LABELS[value])
        elif name.endswith("_on"):
            value = format_date(date.fromisoformat(value), "long")
        params[name] = value
    return gettext(notification.message, **params)


def unread_count(user) -> int:
    """How many of the user's notifications are unread: one count on the (user, read_at) index."""
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def notifications_of(user, page: int, page_size: int) -> tuple[list[Notification], bool]:
    """One page of the user's notifications, newest first, and whether older ones follow."""
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(page_size + 1).offset((page - 1) * page_size)).all()
    return list(rows[:page_size]), len(rows) > page_size


def open_notification(user, notification_id: int) -> Notification | None:
    """The user's own notification, marked read if it was not; None for anyone else's."""
    notification = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                                Notification.user_id == user.id))
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user) -> int:
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


@event.listens_for(Session, "after_commit")
def _send_committed_mail(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction may still roll back
        return
    for notification, mail in session.info.pop(_OUTBOX, []):
        # One made in a transaction or savepoint that was rolled back is no longer persistent.
        if inspect(notification).persistent:
            enqueue(send_mail, *mail)


@job
def send_mail(to: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_SENDER"], to, subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The notification itself is in the portal; a lost e-mail copy is logged, not retried.
        log.exception("could not e-mail a notification")
