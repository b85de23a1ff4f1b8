"""Short-lived, per-process caches: reference lists, and public pages for anonymous visitors.

Both expire on their own within seconds, and each app server keeps its own, so nothing needs
invalidating across servers and app servers still hold no state that matters.
"""
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, request, session
from flask_login import current_user

from portal.common.i18n import ELDER_COOKIE, LANG_COOKIE

_clock = time.monotonic
_pages_lock = threading.Lock()


def reference_data(load):
    """Cache `load(*args)`'s result (plain values, never ORM objects) per app and arguments (such as
    a locale) for REFERENCE_CACHE_SECONDS.

    Region and trade lists change rarely and cost a query and a few hundred objects each time. The
    cache is kept on the app, so it goes with it (an app made after another may get its id()).
    """
    @wraps(load)
    def wrapper(*args):
        app = current_app._get_current_object()
        cached: dict[tuple, tuple[float, object]] = app.extensions.setdefault("reference_data", {})
        key = (load, *args)
        now = _clock()
        hit = cached.get(key)
        if hit is None or now - hit[0] >= app.config["REFERENCE_CACHE_SECONDS"]:
            hit = cached[key] = (now, load(*args))
        return hit[1]
    return wrapper


def public_page(view):
    """Serve anonymous visitors a copy of this page made in the last PUBLIC_PAGE_CACHE_SECONDS.

    Catalog and course pages are the same for every visitor who is not logged in (per language
    and elder-mode choice), and most traffic is such visitors on slow phones. A copy a few
    seconds old costs nothing to serve; seats shown may lag by that much, which is why the
    time is short. Logged-in users, and visitors with anything in their session (a message to
    show, a form token), always get a fresh page.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        app = current_app._get_current_object()
        seconds = app.config["PUBLIC_PAGE_CACHE_SECONDS"]
        if not seconds or request.method != "GET" or session or current_user.is_authenticated:
            return view(*args, **kwargs)
        pages = app.extensions.setdefault("public_pages", OrderedDict())
        key = (request.full_path, request.cookies.get(LANG_COOKIE), request.cookies.get(ELDER_COOKIE))
        now = _clock()
        with _pages_lock:  # threaded servers share one cache per process
            hit = pages.get(key)
            if hit is not None and hit[0] > now:
                pages.move_to_end(key)
                return app.response_class(hit[1], mimetype="text/html")
        response = app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.headers.getlist("Set-Cookie"):
            with _pages_lock:
                pages[key] = (now + seconds, response.get_data())
                while len(pages) > app.config["PUBLIC_PAGE_CACHE_SIZE"]:
                    pages.popitem(last=False)
        return response
    return wrapper
