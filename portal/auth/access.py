"""Who may call a view: the one decorator every protected view uses."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.models import Role


def role_required(*roles: Role):
    """Log in first (redirect to the login page), then 403 unless the user has one of `roles`."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
