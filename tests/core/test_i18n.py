"""German first, English second: the catalogues of the core and of every built-in plugin are
complete and compiled, the locale
is picked as documented (user, top bar, browser, German), and money and times are shown
the way the user's locale and time zone write them."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import refresh
from flask_login import login_user

from core import db, i18n
from core.auth.models import User
from tests.conftest import OWNER_PASSWORD, create_user, sign_in

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
LOCALES = ("de", "en")
# The code folders with a catalogue of their own: the core and each built-in plugin.
CATALOGUES = [CORE] + sorted(folder.parent for folder in (ROOT / "plugins").glob("*/translations"))
CATALOGUE_IDS = [str(folder.relative_to(ROOT)) for folder in CATALOGUES]


def _read_po(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _extracted_msgids(folder: Path) -> dict[str, str]:
    """Every msgid in ``folder`` as ``pybabel extract -F babel.cfg`` finds it, with the
    first place it was found."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    # The lazy keywords are in babel.cfg too, but only Babel >= 2.18 reads them from there.
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(folder), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


# (a) ------------------------------------------------------------------ completeness


def test_extraction_finds_python_and_template_strings():
    msgids = _extracted_msgids(CORE)
    assert "Sign in to your workspace" in msgids  # a template, through the Jinja extractor
    assert "Email or password is wrong." in msgids  # gettext in Python
    assert "Use the workspace" in msgids  # lazy_gettext as _l, a keyword from babel.cfg


def test_every_built_in_plugin_has_a_catalogue():
    assert {folder.name for folder in CATALOGUES[1:]} >= {"contacts", "tasks"}


@pytest.mark.parametrize("code", CATALOGUES, ids=CATALOGUE_IDS)
def test_german_catalogue_translates_every_string(code):
    catalogue = _read_po(code / "translations" / "de" / "LC_MESSAGES" / "messages.po")
    missing = [
        f"{msgid!r} ({where})"
        for msgid, where in sorted(_extracted_msgids(code).items())
        if msgid not in catalogue or not _filled(catalogue[msgid].string)
    ]
    assert not missing, (
        f"{len(missing)} string(s) of {code.name} lack a German translation; run the extract/update steps in "
        "docs/translations.md and translate them:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("code", CATALOGUES, ids=CATALOGUE_IDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_catalogues_have_no_fuzzy_entries_and_keep_placeholders(locale, code):
    catalogue = _read_po(code / "translations" / locale / "LC_MESSAGES" / "messages.po")
    assert str(catalogue.locale) == locale
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {locale}: {fuzzy}"
    problems = [f"{m.id!r}: {error}" for m in catalogue for error in m.check(catalogue)]
    assert not problems, "\n".join(problems)
    braces = [m.id for m in catalogue if m.id and _filled(m.string)
              and _brace_fields(m.id) != _brace_fields(m.string)]
    assert not braces, f"{{placeholders}} changed in {locale}: {braces}"


def _filled(string) -> bool:
    return all(string) if isinstance(string, tuple) else bool(string)


def _brace_fields(text) -> list[str]:
    """The {placeholders} of a message, or of all forms of a plural one."""
    import string

    texts = text if isinstance(text, tuple) else (text,)
    return sorted({field for one in texts for _literal, field, _spec, _conv in string.Formatter().parse(one)
                   if field is not None})


# (b) ------------------------------------------------------------------ compiled catalogues


def _translations(mo: bytes) -> dict:
    """What a compiled catalogue translates, without its header (which names the Babel
    version that compiled it)."""
    def frozen(text):
        return tuple(text) if isinstance(text, (list, tuple)) else text

    return {(message.context, frozen(message.id)): frozen(message.string) for message in read_mo(io.BytesIO(mo))
            if message.id}


@pytest.mark.parametrize("code", CATALOGUES, ids=CATALOGUE_IDS)
@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_po(locale, code):
    folder = code / "translations" / locale / "LC_MESSAGES"
    compiled = io.BytesIO()
    write_mo(compiled, _read_po(folder / "messages.po"))
    where = (code / "translations").relative_to(ROOT)
    assert (folder / "messages.mo").exists(), f"run: pybabel compile -d {where}"
    assert _translations((folder / "messages.mo").read_bytes()) == _translations(compiled.getvalue()), (
        f"{where}/{locale}/LC_MESSAGES/messages.mo is out of date; run: pybabel compile -d {where}"
    )


# (c) ------------------------------------------------------------------ locale selection


def test_signed_out_without_accept_language_gets_german(app):
    with app.app_context():
        create_user()
    page = app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Passwort" in page and "Melden Sie sich bei Ihrem Arbeitsbereich an" in page


def test_signed_out_with_english_browser_gets_english(app):
    with app.app_context():
        create_user()
    response = app.test_client().get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Password" in page and "Sign in to your workspace" in page
    assert "Passwort" not in page


def test_unsupported_browser_language_falls_back_to_german(app):
    with app.app_context():
        create_user()
    page = app.test_client().get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de">' in page


def test_language_picked_while_signed_out_wins_over_browser(app):
    with app.app_context():
        create_user()
    client = app.test_client()
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_language_switch_is_remembered_for_the_user(app, owner_client):
    page = owner_client.get("/").get_data(as_text=True)
    assert '<html lang="de">' in page and "Startseite" in page

    response = owner_client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    page = owner_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign out" in page and "Abmelden" not in page

    with app.app_context():
        owner = db.session.execute(db.select(User).where(User.email == "owner@example.com")).scalar_one()
        assert owner.language == "en"

    # A new session of the same user, from a German browser: still English.
    other = sign_in(app.test_client(), "owner@example.com", OWNER_PASSWORD)
    page = other.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign out" in page


def test_unknown_language_is_refused(owner_client):
    assert owner_client.post("/language", data={"language": "xx"}).status_code == 400


def test_flash_messages_and_menu_labels_are_translated(app, owner_client):
    page = owner_client.get("/").get_data(as_text=True)
    assert "Verwaltung" in page and "Einstellungen" in page and "Postausgang" in page
    response = owner_client.post("/logout", follow_redirects=True)
    assert "Sie sind abgemeldet." in response.get_data(as_text=True)


def test_wrong_password_message_in_english(app):
    with app.app_context():
        create_user()
    response = app.test_client().post("/login", data={"email": "owner@example.com", "password": "wrong"},
                                      headers={"Accept-Language": "en"})
    assert "Email or password is wrong." in response.get_data(as_text=True)


# (e) ------------------------------------------------------------------ money, dates, times


@pytest.mark.parametrize(("accept", "expected"), [("de-DE,de;q=0.9", "1.234,50 €"),
                                                  ("en-US,en;q=0.9", "€1,234.50")])
def test_money_follows_the_locale(app, accept, expected):
    with app.test_request_context("/", headers={"Accept-Language": accept}):
        # Babel separates amount and sign with a no-break space.
        assert i18n.money(Decimal("1234.5"), "EUR").replace("\xa0", " ") == expected
        assert render_template_string("{{ amount|money('EUR') }}", amount=Decimal("1234.5")) \
            .replace("\xa0", " ") == expected
        assert i18n.money(None, "EUR") == ""


def test_money_defaults_to_german_without_accept_language(app):
    with app.test_request_context("/"):
        assert i18n.money(Decimal("1234.5"), "EUR").replace("\xa0", " ") == "1.234,50 €"


def test_datetime_filter_shows_utc_in_berlin_time(app):
    winter = datetime(2024, 1, 15, 12, 0, tzinfo=timezone.utc)  # CET, UTC+1
    summer = datetime(2024, 7, 15, 12, 0, tzinfo=timezone.utc)  # CEST, UTC+2
    with app.test_request_context("/"):
        shown = render_template_string("{{ w|datetime('short') }} | {{ s|datetime('short') }} | {{ n|datetime }}",
                                       w=winter, s=summer, n=None)
        assert shown.replace("\u202f", " ") == "15.01.24, 13:00 | 15.07.24, 14:00 | "


def test_datetime_filter_in_english(app):
    summer = datetime(2024, 7, 15, 12, 0, tzinfo=timezone.utc)
    with app.test_request_context("/", headers={"Accept-Language": "en-US,en;q=0.9"}):
        shown = render_template_string("{{ s|datetime('short') }}", s=summer)
        assert shown.replace("\u202f", " ") == "7/15/24, 2:00 PM"


def test_datetime_filter_uses_the_users_time_zone(app):
    stored = datetime(2024, 7, 15, 12, 0, tzinfo=timezone.utc)
    with app.app_context():
        create_user(timezone="America/New_York", language="de")
    with app.test_request_context("/"):
        user = db.session.execute(db.select(User).where(User.email == "owner@example.com")).scalar_one()
        login_user(user)
        refresh()
        assert i18n.select_timezone() == "America/New_York"
        # UTC-4 in July, written the German way.
        assert render_template_string("{{ s|datetime('short') }}", s=stored) == "15.07.24, 08:00"


def test_default_time_zone_is_berlin_for_signed_out_users(app):
    with app.test_request_context("/"):
        assert i18n.select_timezone() == i18n.DEFAULT_TIMEZONE == "Europe/Berlin"
        assert i18n.select_locale() == i18n.DEFAULT_LANGUAGE == "de"
