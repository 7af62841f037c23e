"""The CSV import's fast path: ``ContactSchema.load`` for a batch of rows, column by column.

A marshmallow load of a ten-field row runs at ~23,000 rows/s and a ``phonenumbers`` parse at
30,000-40,000: too slow for an import of 100,000 rows at 50,000 rows/s. ``ContactSchema``
stays the one rule of what a valid contact is; this module *derives* checks from it once per
import and runs them over whole columns of a batch:

* a plain ``String`` field: its own validators, read as cheap tests (``Length`` as bounds,
  ``Regexp`` as its compiled pattern, ``OneOf`` as a set; any other validator is called as
  it is, with a plain error text so that it does not format a translated message first);
* the nested lists (emails, phones, websites): the same for the nested schema's fields, then
  the nested schema's ``post_load`` hooks;
* the ``Phone`` field: a cheap exact rule for the common German shapes ("0221 1234567",
  "0221/123456-7", "+49 221 1234567"), read from phonenumbers' own metadata for DE;
* then, per row, the schema's own ``validates_schema`` and ``post_load`` hooks.

The fast path only ever *accepts*. A row it cannot decide (a value one of the tests refuses,
an international phone number, a field type it does not know, a row the schema-level rule
refuses) comes back as ``None`` and the import loads it through the full schema, which
accepts it or says what is wrong, in the user's language. So what the import accepts is what
the schema accepts, by construction; ``tests/plugins/contacts/test_fastpath.py`` checks with
hypothesis that whatever the fast path accepts, the schema accepts with the same values.

The cells reach both paths the same way: ``Layout.raw`` turns a row's cells into the
schema's input, and the fast path reads the same cells through the same layout.

Type columns: Google Contacts writes each email and phone as a pair of columns, "Phone 1 -
Type" ("* Mobile", "Work", "Home Fax", ...; "Label" in newer exports) and "Phone 1 - Value",
and several values of one pair into one cell, split by " ::: ". ``Layout.kind_cells`` pairs
a value cell with its type cell: the kind then comes from the type, row by row
(``label_kind``; the column's mapped kind where the type says nothing we know), and every
value of the cell becomes an item. The fast path leaves cells with several values to the
schema.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field

import phonenumbers
from marshmallow import ValidationError, fields, validate
from marshmallow.utils import missing

from plugins.contacts.models import COMPANY, PERSON
from plugins.contacts.schemas import DEFAULT_REGION, EMAIL_KINDS, PHONE_KINDS, Phone

# Where a column can go: a plain field of ContactSchema, or one of these.
FIRST_NAME, LAST_NAME, COMPANY_NAME = "first_name", "last_name", "company"
LISTS = ("emails", "phones", "websites")
KINDS = {"emails": EMAIL_KINDS, "phones": PHONE_KINDS, "websites": ("website",)}
SEPARATOR = ":::"  # several values in one cell (Google Contacts)

# Words of type cells (Google Contacts, English and German) and the kind each names, in
# the order they are looked for: "Work Fax" is a fax, "Mobile" not a home phone.
LABEL_WORDS = (("fax", "fax"), ("mobil", "mobile"), ("handy", "mobile"), ("cell", "mobile"), ("work", "work"),
               ("arbeit", "work"), ("geschäft", "work"), ("business", "work"), ("büro", "work"), ("home", "home"),
               ("privat", "home"), ("personal", "home"), ("other", "other"), ("sonstig", "other"))


def label_kind(label: str, kinds, default: str) -> str:
    """The kind of ``kinds`` a type cell names ("* Mobile", "Work Fax", "Privat"), else ``default``."""
    text = label.lower()
    for word, kind in LABEL_WORDS:
        if word in text:
            return kind if kind in kinds else default
    return default


@dataclass
class Layout:
    """Which cell of a row feeds which part of ``ContactSchema``'s input. ``strings`` are
    plain string fields; ``emails``/``phones``/``websites`` hold ``(kind, cell index)`` in
    column order. A row with a company name and no person name is a company; a person's
    company name is not part of the contact (the import links the company)."""

    first: int | None = None
    last: int | None = None
    company: int | None = None
    strings: list[tuple[str, int]] = field(default_factory=list)
    emails: list[tuple[str, int]] = field(default_factory=list)
    phones: list[tuple[str, int]] = field(default_factory=list)
    websites: list[tuple[str, int]] = field(default_factory=list)
    kind_cells: dict[int, int] = field(default_factory=dict)  # value cell -> its type cell

    def cell(self, cells, index):
        return cells[index] if index is not None else ""

    def is_company(self, cells) -> bool:
        return bool(self.cell(cells, self.company)) and not (self.cell(cells, self.first) or self.cell(cells, self.last))

    def company_name(self, cells) -> str:
        """The name of the company a person belongs to ("" for a company row)."""
        return "" if self.is_company(cells) else self.cell(cells, self.company)

    def raw(self, cells) -> dict:
        """The row as ``ContactSchema`` input: the non-empty cells (empty ones are absent)."""
        data = {}
        if self.is_company(cells):
            data["kind"] = COMPANY
            data["name"] = cells[self.company]
        else:
            data["kind"] = PERSON
        for key, index in (("first_name", self.first), ("last_name", self.last)):
            if index is not None and cells[index]:
                data[key] = cells[index]
        for key, index in self.strings:
            if cells[index]:
                data[key] = cells[index]
        for key in LISTS:
            items = [{"kind": kind, "value": value} for kind, value, _index in self.items(key, cells)]
            if items:
                data[key] = items
        return data

    def items(self, key: str, cells) -> list[tuple[str, str, int]]:
        """``(kind, value, cell index)`` of every item of list ``key`` in this row."""
        result = []
        for kind, index in getattr(self, key):
            value = cells[index]
            if not value:
                continue
            kind_index = self.kind_cells.get(index)
            if kind_index is None:
                result.append((kind, value, index))
                continue
            labels = [label.strip() for label in cells[kind_index].split(SEPARATOR)]
            for number, part in enumerate(part.strip() for part in value.split(SEPARATOR)):
                if part:
                    label = labels[min(number, len(labels) - 1)]
                    result.append((label_kind(label, KINDS[key], kind), part, index))
        return result

    def list_column(self, key: str, cells, position: int) -> int | None:
        """The cell index of the ``position``-th item of list ``key`` in this row's input."""
        present = self.items(key, cells)
        return present[position][2] if position < len(present) else None


def _quiet(validator):
    """``validator`` with a plain text error: the fast path only asks pass or fail, and
    marshmallow's ``Email`` and ``URL`` format their (lazy, translated) message before they
    check anything, which costs more than the check itself."""
    validator = copy.copy(validator)
    if hasattr(validator, "error"):
        validator.error = "invalid"
    return validator


def _passes(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def string_test(validators):
    """``value -> bool``: the validators of a string field, read as cheap tests."""
    tests = []
    for validator in validators:
        if type(validator) is validate.Length and validator.equal is None:
            low, high = validator.min, validator.max
            tests.append(lambda value, low=low, high=high:
                         (low is None or len(value) >= low) and (high is None or len(value) <= high))
        elif type(validator) is validate.Regexp:
            tests.append(lambda value, regex=validator.regex: regex.match(value) is not None)
        elif type(validator) is validate.OneOf:
            tests.append(lambda value, choices=frozenset(validator.choices): value in choices)
        else:
            tests.append(lambda value, quiet=_quiet(validator): _passes(quiet, value))
    if not tests:
        return lambda value: True
    if len(tests) == 1:
        return tests[0]
    return lambda value: all(test(value) for test in tests)


def phone_rule(region: str = DEFAULT_REGION):
    """``value -> E.164 or None`` for numbers written the common way, with the answer
    ``Phone`` gives. Two shapes, digit groups split by single spaces, "/" or "-":

    * national in ``region`` (DE): the national prefix "0", then a digit 1-9;
    * international: "+", the country code, then a digit 1-9 (any country whose national
      prefix is plain digits and does not start the number).

    What ``phonenumbers`` does with such a number, read from its own metadata: the country
    code is the shortest known code the digits start with; a national prefix is stripped
    where the rest fits the region's general number pattern; the number is possible where
    its length is one of the region's possible (or local-only) lengths. ``None``: anything
    else, ``phonenumbers`` decides."""
    home = phonenumbers.PhoneMetadata.metadata_for_region(region)
    home_prefix = home.national_prefix_for_parsing or ""
    if not home_prefix.isdigit():
        home_prefix = ""
    home_general = re.compile(home.general_desc.national_number_pattern)
    national_shape = re.compile(re.escape(home_prefix) + r"[1-9][0-9]*(?:[ /-][0-9]+)*") if home_prefix else None
    international_shape = re.compile(r"\+[1-9][0-9]*(?:[ /-][0-9]+)*")
    drop = str.maketrans("", "", " /-")
    regions = {}  # country code -> (possible lengths, national prefix) or None

    def region_of(code: str):
        if code not in regions:
            found = None
            codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(code))
            if codes and codes[0] != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
                metadata = phonenumbers.PhoneMetadata.metadata_for_region(codes[0])
                prefix = metadata.national_prefix_for_parsing if metadata else None
                if metadata is not None and (prefix is None or prefix.isdigit()) \
                        and metadata.general_desc.possible_length and metadata.general_desc.possible_length[0] != -1:
                    found = (frozenset(metadata.general_desc.possible_length)
                             | frozenset(metadata.general_desc.possible_length_local_only or ()), prefix or "")
            regions[code] = found
        return regions[code]

    def normalise(value: str):
        if value[:1] == "+":
            if international_shape.fullmatch(value) is None:
                return None
            digits = value[1:].translate(drop)
            for size in (1, 2, 3):
                if int(digits[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
                    code, number = digits[:size], digits[size:]
                    break
            else:
                return None
            found = region_of(code)
            if found is None or not number or number[0] == "0":
                return None
            lengths, prefix = found
            if (prefix and number.startswith(prefix)) or len(number) not in lengths or not 2 <= len(number) <= 17:
                return None
            return "+" + code + number
        if national_shape is None or national_shape.fullmatch(value) is None:
            return None
        number = value[len(home_prefix):].translate(drop)
        if home_general.fullmatch(number) is None:
            return None
        found = region_of(str(home.country_code))
        if found is None or len(number) not in found[0] or not 2 <= len(number) <= 17:
            return None
        return "+" + str(home.country_code) + number

    return normalise


class _Nested:
    """One item of emails/phones/websites: ``{"kind", "value"}`` through the nested schema's
    field tests and ``post_load`` hooks."""

    def __init__(self, schema):
        if set(schema.fields) != {"kind", "value"} or schema._hooks.get("validates_schema") \
                or schema._hooks.get("pre_load"):
            raise TypeError("the fast path knows nested schemas of kind and value only; extend it")
        self.kind_test = string_test(schema.fields["kind"].validators)
        value_field = schema.fields["value"]
        self.phone = None
        if isinstance(value_field, Phone):
            if type(value_field)._deserialize is not Phone._deserialize:
                raise TypeError("the fast path knows the Phone field as it is; extend it")
            self.phone = phone_rule(DEFAULT_REGION)
        elif type(value_field) is not fields.String:
            raise TypeError("the fast path knows string and phone values only; extend it")
        self.value_test = string_test(value_field.validators)
        self.post_loads = [getattr(schema, name) for name, _many, _options in schema._hooks.get("post_load", ())]

    def value(self, value: str):
        """The loaded value, or ``None``."""
        if self.phone is not None:
            value = self.phone(value.strip())
            if value is None:
                return None
        return value if self.value_test(value) else None

    def item(self, kind: str, value) -> dict:
        data = {"kind": kind, "value": value}
        for processor in self.post_loads:
            data = processor(data, many=False, partial=None)
        return data


class FastPath:
    """``FastPath(ContactSchema(), layout).load_batch(rows)``: per row what
    ``schema.load(layout.raw(row))`` gives, or ``None`` where the row needs the schema."""

    def __init__(self, schema, layout: Layout):
        self.schema, self.layout = schema, layout
        hooks = schema._hooks
        if hooks.get("pre_load") or hooks.get("validates") or any(
                options.get("pass_original") for key in ("validates_schema", "post_load")
                for _name, _many, options in hooks.get(key, ())):
            raise TypeError("the fast path does not know this schema's hooks; extend it")
        self.validators = [getattr(schema, name) for name, _many, _options in hooks.get("validates_schema", ())]
        self.post_loads = [getattr(schema, name) for name, _many, _options in hooks.get("post_load", ())]
        self.defaults, self.factories = {}, {}
        for name, item in schema.fields.items():
            if item.load_default is missing:
                continue
            if callable(item.load_default):
                self.factories[name] = item.load_default
            else:
                self.defaults[name] = item.load_default
        # (cell index, test) for every plain string cell; the company cell is the
        # company's name where the row is a company, so "name"'s test applies to it.
        self.tests = []
        for key, index in [("first_name", layout.first), ("last_name", layout.last), ("name", layout.company),
                           *layout.strings]:
            if index is None:
                continue
            declared = schema.fields[key]
            if type(declared) is not fields.String:
                self.tests.append((index, lambda value: False))
            else:
                self.tests.append((index, string_test(declared.validators)))
        self.nested = {key: _Nested(schema.fields[key].inner.schema) for key in LISTS if getattr(layout, key)}

    def _column_checks(self, rows):
        """Column by column: which rows pass every cell test, the loaded list values and,
        for value cells with a type cell, each row's kind."""
        count = len(rows)
        good = [True] * count
        for index, test in self.tests:
            for position, row in enumerate(rows):
                value = row[index]
                if value and not test(value):
                    good[position] = False
        loaded_lists = {}  # cell index -> [loaded value or None] per row
        row_kinds = {}  # cell index with a type cell -> [kind] per row
        for key, nested in self.nested.items():
            for kind, index in getattr(self.layout, key):
                if not nested.kind_test(kind):
                    good = [False] * count
                kind_index = self.layout.kind_cells.get(index)
                values = []
                for position, row in enumerate(rows):
                    value = row[index]
                    if value:
                        if kind_index is not None and (SEPARATOR in value or SEPARATOR in row[kind_index]):
                            good[position] = False  # several values or types: the schema's
                            value = None
                        else:
                            value = nested.value(value)
                            if value is None:
                                good[position] = False
                    values.append(value)
                loaded_lists[index] = values
                if kind_index is not None:
                    row_kinds[index] = [label_kind(row[kind_index].strip(), KINDS[key], kind) for row in rows]
        return good, loaded_lists, row_kinds

    @staticmethod
    def _items(nested, columns, loaded_lists, row_kinds, row, position) -> list[dict]:
        """The loaded items of one list of one row."""
        return [nested.item(row_kinds[index][position] if index in row_kinds else kind, loaded_lists[index][position])
                for kind, index in columns if row[index]]

    def load_batch(self, rows: list[list[str]]) -> list[dict | None]:
        good, loaded_lists, row_kinds = self._column_checks(rows)
        layout, defaults, factories = self.layout, self.defaults, self.factories
        first, last, company, strings = layout.first, layout.last, layout.company, layout.strings
        lists = [(key, self.nested[key], getattr(layout, key)) for key in self.nested]
        validators, post_loads = self.validators, self.post_loads
        result = []
        for position, row in enumerate(rows):
            if not good[position]:
                result.append(None)
                continue
            data = dict(defaults)
            for name, factory in factories.items():
                data[name] = factory()
            person_first = row[first] if first is not None else ""
            person_last = row[last] if last is not None else ""
            if company is not None and row[company] and not (person_first or person_last):
                data["kind"] = COMPANY
                data["name"] = row[company]
            if person_first:
                data["first_name"] = person_first
            if person_last:
                data["last_name"] = person_last
            for key, index in strings:
                value = row[index]
                if value:
                    data[key] = value
            for key, nested, columns in lists:
                data[key] = self._items(nested, columns, loaded_lists, row_kinds, row, position)
            try:
                for validator in validators:
                    validator(data, many=False, partial=None)
            except ValidationError:
                result.append(None)
                continue
            for processor in post_loads:
                data = processor(data, many=False, partial=None)
            result.append(data)
        return result


def tag_parser():
    """``text -> names or None``: ``core.records.tags.parse_names`` for the common case, with
    the test of its own schema; ``None`` where a name fails it (``parse_names`` says why)."""
    from core.records.tags import TagNamesSchema

    test = string_test(TagNamesSchema().fields["names"].inner.validators)

    def parse(text: str):
        names, seen = [], set()
        for part in text.split(","):
            name = " ".join(part.split())
            if name and name.lower() not in seen:
                if not test(name):
                    return None
                seen.add(name.lower())
                names.append(name)
        return names

    return parse


# Rows ready for the database: what ``load_batch`` gives, as lists in ``row_fields`` order
# with the lists already JSON text. The import works on these (no dict per row; cheap to
# send between processes).

def row_fields(schema) -> tuple[str, ...]:
    """The order of a row's values: the schema's fields, then the derived email and phone."""
    return (*schema.fields, "email", "phone")


def as_row(fields_order, data: dict) -> list:
    """A loaded contact (``schema.load``'s result) as a row."""
    return [json.dumps(data[name]) if name in LISTS else data[name] for name in fields_order]


_text = json.encoder.encode_basestring_ascii


def json_items(items: list[dict]) -> str:
    """``json.dumps(items)`` for a list of ``{"kind", "value"}`` with text values, without the
    encoder's machinery (most of its cost for such small lists)."""
    if all(len(item) == 2 and type(item["value"]) is str for item in items):
        return "[" + ", ".join('{"kind": %s, "value": %s}' % (_text(item["kind"]), _text(item["value"]))
                               for item in items) + "]"
    return json.dumps(items)


def json_texts(values: dict) -> str:
    """``json.dumps(values)`` for a dict of texts, the same way."""
    if all(type(value) is str for value in values.values()):
        return "{" + ", ".join(f"{_text(key)}: {_text(value)}" for key, value in values.items()) + "}"
    return json.dumps(values)


class RowPath(FastPath):
    """``FastPath`` giving rows: ``rows(batch)[i] == as_row(schema.load(layout.raw(batch[i])))``
    or ``None``. The schema's two hooks are replayed inline here: ``check_contact`` (a person
    needs first and last name, a company its name) and ``derived`` (the display name, the
    first email and phone); a schema with other hooks is refused, and the property test holds
    this class to the schema."""

    KNOWN_HOOKS = (["check_contact"], ["derived"])

    def __init__(self, schema, layout: Layout):
        super().__init__(schema, layout)
        hooks = schema._hooks
        if ([name for name, _many, _options in hooks.get("validates_schema", ())],
                [name for name, _many, _options in hooks.get("post_load", ())]) != self.KNOWN_HOOKS:
            raise TypeError("ContactSchema's hooks changed: extend RowPath (the fast path) to match")
        self.order = row_fields(schema)
        at = {name: position for position, name in enumerate(self.order)}
        self.at = at
        defaults = {**self.defaults, **{name: factory() for name, factory in self.factories.items()},
                    "email": "", "phone": ""}
        self.template = as_row(self.order, defaults)
        self.string_positions = [(at[key], index) for key, index in layout.strings]
        self.list_positions = [(at[key], self.nested[key], getattr(layout, key),
                                at.get({"emails": "email", "phones": "phone"}.get(key, ""), None))
                               for key in self.nested]

    def rows(self, batch: list[list[str]]) -> list[list | None]:
        good, loaded_lists, row_kinds = self._column_checks(batch)
        layout, at, template = self.layout, self.at, self.template
        first, last, company = layout.first, layout.last, layout.company
        kind_at, name_at, first_at, last_at = at["kind"], at["name"], at["first_name"], at["last_name"]
        string_positions, list_positions = self.string_positions, self.list_positions
        result = []
        for position, row in enumerate(batch):
            if not good[position]:
                result.append(None)
                continue
            values = template.copy()
            person_first = row[first] if first is not None else ""
            person_last = row[last] if last is not None else ""
            if company is not None and row[company] and not (person_first or person_last):
                values[kind_at] = COMPANY
                values[name_at] = row[company]
            elif person_first and person_last:
                values[first_at], values[last_at] = person_first, person_last
                values[name_at] = f"{person_first} {person_last}"
            else:  # the schema says which name is missing
                result.append(None)
                continue
            for value_at, index in string_positions:
                value = row[index]
                if value:
                    values[value_at] = value
            for value_at, nested, columns, first_value_at in list_positions:
                items = self._items(nested, columns, loaded_lists, row_kinds, row, position)
                if items:
                    values[value_at] = json_items(items)
                    if first_value_at is not None:
                        values[first_value_at] = items[0]["value"]
            result.append(values)
        return result
