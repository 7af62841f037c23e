"""German and English, German first. Locale: the user's preference, else the one picked in
the top bar, else the browser's ``Accept-Language``, else German. Times are stored in UTC
and shown in the user's time zone."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from babel.numbers import format_currency
from flask import has_request_context, request, session
from flask_babel import Babel, format_datetime, get_locale, to_utc
from flask_babel import lazy_gettext as _l
from flask_login import current_user

LANGUAGES = {"de": "Deutsch", "en": "English"}
DEFAULT_LANGUAGE = "de"
DEFAULT_TIMEZONE = "Europe/Berlin"

babel = Babel()


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a command, a job, a test: the default language
    if getattr(current_user, "is_authenticated", False) and getattr(current_user, "language", None):
        return current_user.language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES.keys()) or DEFAULT_LANGUAGE


def select_timezone() -> str:
    if getattr(current_user, "is_authenticated", False) and getattr(current_user, "timezone", None):
        return current_user.timezone
    return DEFAULT_TIMEZONE


def parse_local_datetime(value: str) -> datetime | None:
    """A form's date and time (``datetime-local``), meant in the signed-in user's time zone,
    as timezone-aware UTC; ``None`` if it is no date."""
    try:
        local = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    return to_utc(local).replace(tzinfo=timezone.utc)


def money(amount: Decimal | None, currency: str) -> str:
    """``Decimal("1234.5"), "EUR"`` as the user's locale writes it: 1.234,50 € in German."""
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=str(get_locale()))


def datetime_filter(value, style: str = "medium") -> str:
    return format_datetime(value, style) if value is not None else ""


# marshmallow's own messages, so that they can be shown in the user's language.
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Not a valid email address."),
    _l("Not a valid URL."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Must be one of: {choices}."),
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Unknown field."),
)
