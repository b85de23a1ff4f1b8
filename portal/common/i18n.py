"""Locale choice (kept in a cookie), and the translation and formatting helpers templates use.

Templates translate through memoised functions: a catalog page calls gettext, ngettext and the
date and number formatters a hundred times, and each Flask-Babel call walks the request context
again. Catalogs and CLDR data do not change while the process runs, so a result keyed by locale
and arguments stays right.
"""
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import dates, numbers
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_currency, get_locale, get_translations
from jinja2 import pass_context

from portal.db import SHANGHAI

LANG_COOKIE = "lang"
ELDER_COOKIE = "elder"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def select_locale() -> str:
    chosen = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def money(fen: int) -> str:
    """Integer fen shown as yuan in the current locale: 300000 → ¥3,000.00."""
    return format_currency(Decimal(fen) / 100, "CNY")


def html_lang() -> str:
    """The BCP 47 tag for <html lang>: zh-Hans, zh-Hant or en."""
    locale = get_locale()
    return "-".join(p for p in (locale.language, locale.script) if p) if locale else "zh-Hans"


@lru_cache(maxsize=2)
def chinese_converter(config: str):
    """OpenCC's conversion for `config` ("s2t": Simplified to Traditional characters, "t2s" back), loaded
    once per process."""
    import opencc

    return opencc.OpenCC(config).convert


@lru_cache(maxsize=4096)
def _gettext(locale: str, message: str) -> str:
    return get_translations().ugettext(message)


@lru_cache(maxsize=4096)
def _ngettext(locale: str, singular: str, plural: str, n: int) -> str:
    return get_translations().ungettext(singular, plural, n)


@lru_cache(maxsize=8192)
def _format_date(value: date, fmt: str, locale: str) -> str:
    return dates.format_date(value, fmt, locale=locale)


@lru_cache(maxsize=8192)
def _format_number(value, locale: str) -> str:
    return numbers.format_decimal(value, locale=locale)


def _locale(context) -> str:
    return context.get("current_locale") or str(get_locale())


# Templates pass their context so the locale comes from `current_locale`, set once per render by
# the context processor below, rather than from Flask-Babel's lookup on every call.
@pass_context
def gettext(context, message: str) -> str:
    return _gettext(_locale(context), message)


@pass_context
def ngettext(context, singular: str, plural: str, n: int) -> str:
    return _ngettext(_locale(context), singular, plural, n)


@pass_context
def format_date(context, value: date | None, fmt: str = "medium") -> str:
    return _format_date(value, fmt, _locale(context)) if value else ""


@pass_context
def format_moment(context, value: datetime | None) -> str:
    """A moment in China's time: the day written as the portal writes dates, then the hour and minute."""
    if not value:
        return ""
    local, locale = value.astimezone(SHANGHAI), _locale(context)
    return f"{_format_date(local.date(), 'medium', locale)} {dates.format_time(local, 'short', locale=locale)}"


@pass_context
def format_number(context, value) -> str:
    return _format_number(value, _locale(context))


@pass_context
def translated(context, labels: dict) -> dict:
    """A {value: msgid} label table with each msgid translated, for a template to index."""
    return {key: _gettext(_locale(context), message) for key, message in labels.items()}


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)
    app.jinja_env.globals["translated"] = translated
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.add_extension("jinja2.ext.loopcontrols")

    @app.context_processor
    def locale_context():
        return {
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "html_lang": html_lang(),
            "elder_mode": has_request_context() and request.cookies.get(ELDER_COOKIE) == "1",
        }
