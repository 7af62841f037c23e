"""kontor-hello speaks German and English, like the core: its catalogue is complete, its
compiled files are current, and Flask-Babel merges it with the core's."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import kontor_hello
from core import db
from core.auth.models import User
from hello_testing import OWNER

PACKAGE = Path(kontor_hello.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def catalog(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def test_every_string_has_a_german_translation():
    used = {message for _file, _line, message, _comments, _context
            in extract_from_dir(PACKAGE, METHOD_MAP, OPTIONS, KEYWORDS)}
    german = {m.id: m.string for m in catalog("de") if m.id and not m.fuzzy}
    assert sorted(m for m in used if not german.get(m)) == []


def test_compiled_catalogues_match_their_sources():
    for language in ("de", "en"):
        with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
            compiled = {m.id: m.string for m in read_mo(handle) if m.id}
        source = {m.id: m.string for m in catalog(language) if m.id and m.string}
        assert compiled == source, f"run: pybabel compile -d {TRANSLATIONS}"


def test_a_german_user_reads_german(app, owner_client):
    with app.app_context():
        owner = db.session.execute(db.select(User).where(User.email == OWNER[0])).scalar_one()
        owner.language = "de"
        db.session.commit()
    page = owner_client.get("/hello/").get_data(as_text=True)
    assert "Noch keine Grüße." in page and "Gruß hinzufügen" in page
    assert "Abmelden" in page  # the core's own catalogue still applies
