"""The user's notifications: the inbox, and marking them read."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.common.security import safe_next
from portal.extensions import db
from portal.notifications import bp
from portal.notifications.services import mark_all_read, notifications_of, open_notification, text_of

PAGE_SIZE = 30
MAX_PAGE = 10_000


@bp.get("/notifications")
@login_required
def inbox():
    """Who: any logged-in user. Their own notifications, newest first, the unread ones marked."""
    page = min(max(1, request.args.get("page", 1, type=int)), MAX_PAGE)
    notifications, more = notifications_of(current_user, page, PAGE_SIZE)
    if page > 1 and not notifications:  # a page past the last, from an old link
        return redirect(url_for("notifications.inbox"))
    return render_template("notifications/inbox.html", page=page, more=more,
                           items=[(n, text_of(n)) for n in notifications],
                           unread=any(n.read_at is None for n in notifications))


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int):
    """Who: the notification's own reader (404 for anyone else). The inbox's links lead here: opening a
    message is reading it, so it is marked read and the reader goes on to the page it is about (the inbox, for a
    message about no page). A GET, as a link must be; it only ever sets the reader's own read flag, once, so it is
    safe to repeat."""
    notification = open_notification(current_user, notification_id) or abort(404)
    db.session.commit()
    return redirect(safe_next(notification.link, url_for("notifications.inbox")))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_one_read(notification_id: int):
    """Who: the notification's own reader (404 for anyone else). Mark one read where it stands: a message with
    no page to go to has no link to open it by. Back to the same inbox page, at the message."""
    open_notification(current_user, notification_id) or abort(404)
    db.session.commit()
    page = request.args.get("page", 1, type=int)
    return redirect(url_for("notifications.inbox", page=page if page > 1 else None, _anchor=f"n-{notification_id}"))


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Who: any logged-in user. Mark all their notifications read."""
    if mark_all_read(current_user):
        db.session.commit()
        flash(_("所有通知已标为已读。"), "success")
    return redirect(url_for("notifications.inbox"))
