"""The customer portal: a customer signs in and sees only their own customer's records;
staff open the portal as a customer sees it ("Log in as customer") and come back."""
from __future__ import annotations

import re

import pytest

from core import db
from core.auth.models import PortalAccount
from tests.e2e.conftest import OWNER_NAME, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with install instructions
    expect = None

pytestmark = pytest.mark.e2e

CUSTOMER_EMAIL = "anna@alpha.example"
CUSTOMER_NAME = "Anna Alpha"
CUSTOMER_PASSWORD = "Harbour-lights-42"
OWN_RECORD = "Alpha freight contract"
OTHER_RECORD = "Beta flour order"


@pytest.fixture
def customer(live_server):
    """Customers Alpha Shipping (with the portal account of Anna Alpha) and Beta Bakery,
    with a record each."""
    from tests.support.memo import MemoCustomer, MemoRecord

    with live_server.app.app_context():
        alpha, beta = MemoCustomer(name="Alpha Shipping"), MemoCustomer(name="Beta Bakery")
        db.session.add_all([alpha, beta])
        db.session.flush()
        db.session.add_all([
            MemoRecord(title=OWN_RECORD, customer_type="memo_customer", customer_id=alpha.id,
                       access_mode="public_write"),
            MemoRecord(title=OTHER_RECORD, customer_type="memo_customer", customer_id=beta.id,
                       access_mode="public_write"),
        ])
        account = PortalAccount(email=CUSTOMER_EMAIL, name=CUSTOMER_NAME, customer_type="memo_customer",
                                customer_id=alpha.id)
        account.set_password(CUSTOMER_PASSWORD)
        db.session.add(account)
        db.session.commit()


def expect_own_records_only(page) -> None:
    page.goto("/portal/memo/records")
    expect(page.get_by_text(OWN_RECORD)).to_be_visible()
    expect(page.get_by_text(OTHER_RECORD)).to_have_count(0)


def test_customer_signs_in_sees_own_records_and_signs_out(live_server, customer, page, screenshot):
    live_server.create_owner()  # a workspace in use, not a fresh install

    # A portal page asks to sign in first, on the portal's own sign-in page.
    page.goto("/portal/memo/records")
    expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal/memo/records$"))
    expect(page.get_by_role("heading", name="Sign in to the customer portal")).to_be_visible()
    expect(page.get_by_label("Email")).to_be_focused()
    expect(page.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    screenshot(page, "1-login")

    # A wrong password and an unknown address: the same message, nothing about the account.
    page.get_by_label("Email").fill(CUSTOMER_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")
    expect(page.get_by_label("Email")).to_have_value(CUSTOMER_EMAIL)
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page, "2-wrong-password")
    page.get_by_label("Email").fill("nobody@alpha.example")
    page.get_by_label("Password").fill(CUSTOMER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")

    # The right one opens the page that was asked for: the own customer's record only.
    page.get_by_label("Email").fill(CUSTOMER_EMAIL)
    page.get_by_label("Password").fill(CUSTOMER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/portal/memo/records")
    expect(page.get_by_text(OWN_RECORD)).to_be_visible()
    expect(page.get_by_text(OTHER_RECORD)).to_have_count(0)
    screenshot(page, "3-records")

    # The overview: the account's and the customer's names, the portal's menu, no staff menu.
    page.goto("/portal/")
    expect(page.get_by_role("heading", name=f"Welcome, {CUSTOMER_NAME}")).to_be_visible()
    expect(page.locator("#portal-customer")).to_have_text("Customer portal of Alpha Shipping")
    expect(page.get_by_text("Beta Bakery")).to_have_count(0)
    expect(page.locator("#portal-menu").get_by_role("link")).to_have_text(["Overview", "Memos"])
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    expect(page.locator("#impersonation-banner")).to_have_count(0)
    screenshot(page, "4-overview")

    # A portal account is no staff login.
    page.goto("/memo/")
    expect(page).to_have_url(re.compile(r"/login\?next=/memo/$"))
    expect(page.get_by_role("heading", name="Sign in to your workspace")).to_be_visible()
    page.goto("/portal/")

    # Signing out, from the menu under the account's name.
    page.get_by_role("button", name=CUSTOMER_NAME).click()
    expect(page.get_by_text(CUSTOMER_EMAIL)).to_be_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/portal/login$"))
    expect(page.get_by_role("alert")).to_have_text("You are signed out.")
    screenshot(page, "5-signed-out")
    page.goto("/portal/memo/records")
    expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal/memo/records$"))


def test_owner_logs_in_as_customer_and_back(live_server, customer, page, screenshot):
    live_server.create_owner()
    sign_in(page)

    # Administration → Portal accounts: the account with its customer.
    page.locator("#admin-menu").get_by_role("link", name="Portal accounts").click()
    expect(page).to_have_url(live_server.url + "/admin/portal-accounts/")
    expect(page.get_by_role("heading", name="Portal accounts")).to_be_visible()
    row = page.locator("#portal-accounts tbody tr").filter(has_text=CUSTOMER_NAME)
    expect(row.get_by_role("cell")).to_have_text(
        [CUSTOMER_NAME, CUSTOMER_EMAIL, "Alpha Shipping", "active", "never", re.compile("Log in as customer")])
    screenshot(page, "1-portal-accounts")

    # Log in as customer: the portal as Anna sees it, under a banner naming her and her customer.
    row.get_by_role("button", name="Log in as customer").click()
    expect(page).to_have_url(live_server.url + "/portal/")
    banner = page.locator("#impersonation-banner")
    expect(banner).to_contain_text(f"You are viewing the portal as {CUSTOMER_NAME} (Alpha Shipping).")
    expect(banner.get_by_role("button", name="Back to Kontor")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Welcome, {CUSTOMER_NAME}")).to_be_visible()
    expect(page.locator("#portal-customer")).to_have_text("Customer portal of Alpha Shipping")
    expect(page.get_by_role("button", name=CUSTOMER_NAME)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)
    screenshot(page, "2-as-customer")
    expect_own_records_only(page)
    screenshot(page, "3-customer-records")

    # Back to Kontor: the staff page again, still signed in as the owner.
    page.goto("/portal/")
    page.get_by_role("button", name="Back to Kontor").click()
    expect(page).to_have_url(live_server.url + "/admin/portal-accounts/")
    expect(page.get_by_role("heading", name="Portal accounts")).to_be_visible()
    expect(page.get_by_role("button", name=OWNER_NAME)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    screenshot(page, "4-back")

    # The customer's view is closed again.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal/$"))
    page.goto("/admin/portal-accounts/")
    expect(page.get_by_role("heading", name="Portal accounts")).to_be_visible()

    # The audit log has both, newest first, with the owner and the account.
    page.locator("#admin-menu").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = page.locator("#audit-log tbody tr")
    impersonation = rows.filter(has_text=re.compile("Login as customer"))
    expect(impersonation).to_have_count(2)
    expect(impersonation.nth(0)).to_contain_text("Login as customer ended")
    expect(impersonation.nth(1)).to_contain_text("Login as customer started")
    for entry in (impersonation.nth(0), impersonation.nth(1)):
        expect(entry).to_contain_text(OWNER_NAME)
        expect(entry).to_contain_text(f"Portal: {CUSTOMER_NAME}")
        expect(entry).to_contain_text(CUSTOMER_EMAIL)
    screenshot(page, "5-audit-log")
