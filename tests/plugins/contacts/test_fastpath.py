"""The import's fast path against ContactSchema: whatever the fast path accepts, the schema
accepts with the same values; what it cannot decide goes to the schema. So the import (fast
path, else schema) accepts and rejects exactly the rows the schema does, with the same values."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from core.records import fields as custom_fields
from core.records import tags as tag_service
from plugins.contacts.fastpath import FastPath, Layout, RowPath, as_row, phone_rule, row_fields, string_test, tag_parser
from plugins.contacts.schemas import CURRENCIES, ContactSchema, normalise_phone

LAYOUT = Layout(first=0, last=1, company=2,
                strings=[("billing_street", 3), ("billing_postcode", 4), ("billing_country", 5), ("currency", 6),
                         ("description", 7)],
                emails=[("work", 8), ("home", 9)], phones=[("work", 10), ("mobile", 11)],
                websites=[("website", 12)])

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cells(strategy):
    """Cells as the import hands them over: stripped text."""
    return strategy.map(str.strip)


names = st.one_of(st.just(""), st.sampled_from(["Jürgen", "Änne", "O'Brien", "Smith", "Groß GmbH"]),
                  st.text(max_size=120))
postcodes = st.one_of(st.just(""), st.from_regex(r"[0-9]{5}", fullmatch=True), st.text(max_size=25))
countries = st.one_of(st.just(""), st.sampled_from(["DE", "AT", "de", "GB", "Deutschland"]), st.text(max_size=3))
currencies = st.one_of(st.just(""), st.sampled_from(CURRENCIES), st.text(max_size=4))
emails = st.one_of(st.just(""), st.emails(), st.emails().map(str.upper), st.text(max_size=30),
                   st.sampled_from(["a@b", "anna@example", "anna@@example.de", "anna@exämple.de", "x@localhost"]))
phone_shapes = st.one_of(
    st.from_regex(r"0[1-9][0-9]{1,5}[ /-]?[0-9]{2,9}(-[0-9]{1,4})?", fullmatch=True),
    st.from_regex(r"\+[1-9][0-9]{0,2} ?[0-9]{1,5}[ /-]?[0-9]{2,9}", fullmatch=True),
    st.from_regex(r"(\+49 ?|0049 ?|0)\(?0?\)?[0-9 /-]{1,16}", fullmatch=True),
    st.text(alphabet="0123456789 +-/()x", max_size=20),
)
phones = st.one_of(st.just(""), phone_shapes)
websites = st.one_of(st.just(""), st.sampled_from(["https://example.de", "http://www.müller.de/a?b=c",
                                                   "example.de", "ftp://files.example.org", "https://"]),
                     st.text(max_size=20))
rows = st.tuples(cells(names), cells(names), cells(names), cells(st.text(max_size=210)), cells(postcodes),
                 cells(countries), cells(currencies), cells(st.text(max_size=50)), cells(emails), cells(emails),
                 cells(phones), cells(phones), cells(websites)).map(list)


# Google Contacts: value cells paired with type cells, several values in one cell.
TYPED = Layout(first=0, last=1, emails=[("work", 2)], phones=[("work", 3), ("mobile", 4)], kind_cells={2: 5, 3: 6})
labels = st.one_of(st.just(""), st.sampled_from(["* Mobile", "Work", "Home", "Work Fax", "Privat", "Other", "Main",
                                                 "Mobile ::: Work", "Handy", "* Home ::: Mobile"]),
                   st.text(max_size=12))


def several(strategy):
    return st.one_of(strategy, st.lists(strategy, min_size=2, max_size=3).map(" ::: ".join))


typed_rows = st.tuples(cells(names), cells(names), cells(several(emails)), cells(several(phones)), cells(phones),
                       cells(labels), cells(labels)).map(list)


def schema_result(schema, row, layout=LAYOUT):
    try:
        return schema.load(layout.raw(row))
    except ValidationError:
        return None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typed_rows, min_size=1, max_size=8))
def test_with_type_columns_the_fast_path_still_accepts_only_what_the_schema_accepts(batch):
    schema = ContactSchema()
    fast = FastPath(schema, TYPED).load_batch(batch)
    rows_fast = RowPath(schema, TYPED).rows(batch)
    for row, loaded, values in zip(batch, fast, rows_fast):
        expected = schema_result(schema, row, TYPED)
        if loaded is not None:
            assert expected is not None and loaded == expected, row
        if values is not None:
            assert expected is not None and values == as_row(row_fields(schema), expected), row


def test_type_columns_give_each_value_its_kind():
    schema = ContactSchema()
    row = ["Emily", "Smith", "emily@smith.co.uk ::: emily@example.org", "0221 1234567 ::: 0171 2345678",
           "", "* Home ::: Work", "Work ::: Mobile"]
    loaded = schema.load(TYPED.raw(row))
    assert loaded["emails"] == [{"kind": "home", "value": "emily@smith.co.uk"},
                                {"kind": "work", "value": "emily@example.org"}]
    assert loaded["phones"] == [{"kind": "work", "value": "+492211234567"},
                                {"kind": "mobile", "value": "+491712345678"}]
    # One value each: the fast path decides, with the type's kind (unknown types: the column's).
    simple = ["Emily", "Smith", "emily@smith.co.uk", "0171 2345678", "0221 7654321", "Privat", "* Mobile"]
    fast = FastPath(schema, TYPED).load_batch([simple])[0]
    assert fast == schema.load(TYPED.raw(simple))
    assert fast["emails"] == [{"kind": "home", "value": "emily@smith.co.uk"}]
    assert [phone["kind"] for phone in fast["phones"]] == ["mobile", "mobile"]
    assert FastPath(schema, TYPED).load_batch([["A", "B", "a@b.de", "", "", "Main", ""]])[0]["emails"][0]["kind"] \
        == "work"


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=8))
def test_the_fast_path_accepts_only_what_the_schema_accepts_with_the_same_values(batch):
    schema = ContactSchema()
    fast = FastPath(schema, LAYOUT).load_batch(batch)
    for row, loaded in zip(batch, fast):
        expected = schema_result(schema, row)
        if loaded is not None:
            assert expected is not None, row
            assert loaded == expected, row
        # The import's answer for the row: the fast path's, else the schema's; the same.
        assert (loaded if loaded is not None else expected) == expected


@SETTINGS
@given(st.lists(rows, min_size=1, max_size=8))
def test_the_rows_the_import_writes_are_the_schemas_values(batch):
    """``RowPath`` (what the import uses: rows for the database) against the schema too."""
    schema = ContactSchema()
    order = row_fields(schema)
    fast = RowPath(schema, LAYOUT).rows(batch)
    for row, values in zip(batch, fast):
        expected = schema_result(schema, row)
        if values is not None:
            assert expected is not None, row
            assert values == as_row(order, expected), row


@SETTINGS
@given(phone_shapes)
def test_the_phone_rule_gives_what_phonenumbers_gives(text):
    text = text.strip()
    normalised = phone_rule()(text)
    if normalised is not None:
        assert normalise_phone(text, "DE") == normalised


@SETTINGS
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(["Kunde", "VIP", " vip ", "x" * 101, "",
                                                                   "Messe  2025"])).map(",".join)))
def test_the_tag_parser_gives_what_parse_names_gives(text):
    parsed = tag_parser()(text)
    if parsed is not None:
        assert parsed == tag_service.parse_names(text)
    else:
        with pytest.raises(ValidationError):
            tag_service.parse_names(text)


@pytest.mark.parametrize("factory, values", [
    (custom_fields._text, ["", "K-1", "x" * 500, "x" * 501]),
    (custom_fields._choice, ["Handel", "handel", "", "Industrie"]),
    (custom_fields._email, ["a@example.de", "kaputt", "A@EXAMPLE.DE"]),
    (custom_fields._url, ["https://example.de", "example.de"]),
    (custom_fields._phone, ["+49 221 123", "abc"]),
])
def test_custom_text_fields_checks_agree_with_their_validators(factory, values):
    field = factory(choices=["Handel", "Handwerk"])
    test = string_test(field.validators)
    for value in values:
        try:
            for validator in field.validators:
                validator(value)
            valid = True
        except ValidationError:
            valid = False
        assert test(value) is valid, value


def test_the_fast_path_decides_the_common_rows_itself():
    """Not vacuous: the usual German and English rows never need the schema."""
    schema = ContactSchema()
    batch = [
        ["Jürgen", "Müller", "Bäckerei Süß GmbH", "Hauptstraße 5", "50667", "DE", "EUR", "", "J.Mueller@Example.de",
         "", "0221 1234567", "0151/234567-8", "https://baeckerei-suess.de"],
        ["", "", "Schreinerei Groß", "Werkstraße 1", "80331", "DE", "", "", "info@gross.de", "", "+49 89 998877",
         "", ""],
        ["Emily", "Smith", "", "1 High Street", "SW1A 1AA", "GB", "GBP", "", "emily@smith.co.uk", "", "+1 212 555 0100",
         "+43 1 234567", ""],
    ]
    fast = FastPath(schema, LAYOUT).load_batch(batch)
    assert None not in fast
    assert fast[0]["phones"] == [{"kind": "work", "value": "+492211234567"},
                                 {"kind": "mobile", "value": "+491512345678"}]
    assert fast[1]["kind"] == "company" and fast[1]["name"] == "Schreinerei Groß"
    assert [schema.load(LAYOUT.raw(row)) for row in batch] == fast
    rows_fast = RowPath(schema, LAYOUT).rows(batch)
    assert rows_fast == [as_row(row_fields(schema), loaded) for loaded in fast]


@SETTINGS
@given(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
       st.lists(st.tuples(st.sampled_from(["work", "home"]), st.text(max_size=20)), max_size=3))
def test_the_json_of_rows_is_what_json_dumps_writes(custom, items):
    import json

    from plugins.contacts.fastpath import json_items, json_texts

    assert json_texts(custom) == json.dumps(custom)
    listed = [{"kind": kind, "value": value} for kind, value in items]
    assert json_items(listed) == json.dumps(listed)
