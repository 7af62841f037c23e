"""``kontor demo``: a few German companies and persons, with types, temperatures and tags,
so a new installation has something to click through."""
from __future__ import annotations

from sqlalchemy import select

from core import access, db
from core.auth.models import User
from core.records import tags
from plugins.contacts.models import COMPANY, PERSON, Contact, ContactType, Temperature, display_name
from plugins.contacts.schemas import normalise_phone

TYPES = ("Kunde", "Lieferant", "Partner", "Wettbewerber")
TEMPERATURES = (("Kalt", "#0d6efd"), ("Warm", "#fd7e14"), ("Heiß", "#dc3545"))
COMPANIES = (
    ("Müller Bau GmbH", "Hauptstraße 12", "50667", "Köln", "50.937500", "6.960300", "Kunde", "Heiß",
     (("Anna", "Müller", "anna.mueller@mueller-bau.example", "0221 1234567"),
      ("Bernd", "Schulz", "b.schulz@mueller-bau.example", "0171 2345678"))),
    ("Schreinerei Weber", "Lindenallee 3", "80331", "München", "48.137200", "11.575500", "Lieferant", "Warm",
     (("Jörg", "Weber", "joerg@weber-holz.example", "089 765432"),)),
    ("Agentur Sonnenschein", "Am Markt 7", "20095", "Hamburg", None, None, "Partner", "Kalt",
     (("Svenja", "Köhler", "svenja@sonnenschein.example", "+49 40 9876543"),)),
)


def load() -> None:
    if db.session.execute(select(Contact.id).limit(1)).first() is not None:
        return  # demo data only goes into an empty contacts table
    owner = db.session.execute(select(User).where(User.role == "owner").order_by(User.id)).scalars().first()
    types = {name: ContactType(name=name, position=n) for n, name in enumerate(TYPES, start=1)}
    temperatures = {name: Temperature(name=name, color=color, position=n)
                    for n, (name, color) in enumerate(TEMPERATURES, start=1)}
    db.session.add_all([*types.values(), *temperatures.values()])
    db.session.flush()
    for name, street, postcode, city, lat, lon, type_name, temperature, persons in COMPANIES:
        company = Contact(kind=COMPANY, name=name, billing_street=street, billing_postcode=postcode,
                          billing_city=city, billing_country="DE", currency="EUR", latitude=lat, longitude=lon,
                          type_id=types[type_name].id, temperature_id=temperatures[temperature].id,
                          access_mode=access.PUBLIC_READ)
        db.session.add(company)
        db.session.flush()
        tags.set_tags("contact", company.id, ["Demo"])
        for first, last, email, phone in persons:
            e164 = normalise_phone(phone, "DE")
            person = Contact(kind=PERSON, first_name=first, last_name=last,
                             name=display_name(PERSON, "", first, last), company_id=company.id,
                             email=email, emails=[{"kind": "work", "value": email}],
                             phone=e164, phones=[{"kind": "work", "value": e164}], access_mode=access.PUBLIC_READ)
            db.session.add(person)
            db.session.flush()
            if owner is not None:
                access.set_members("contact", person, [owner.id])
        if owner is not None:
            access.set_members("contact", company, [owner.id])
    db.session.commit()
