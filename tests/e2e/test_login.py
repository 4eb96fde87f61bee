"""Signing in through the real form: password, wrong password, second factor, phone screen."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from liman.core.choices import Role
from tests.e2e.conftest import E2E, sign_in_with_form
from tests.factories import staff

pytestmark = E2E


def test_caseworker_signs_in_and_lands_on_home_with_their_figures(page, url, caseworker):
    sign_in_with_form(page, url, caseworker.username)

    expect(page).to_have_url(url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {caseworker.display_name}")
    expect(page.locator('[data-figure="offices"] .figure-value')).to_have_text("1")
    expect(page.locator('[data-figure="provinces"] .figure-value')).to_have_text("1")
    expect(page.get_by_role("link", name="Istanbul Sub-Office")).to_be_visible()


def test_wrong_password_shows_the_error_and_stays_on_the_login_page(page, url, caseworker):
    sign_in_with_form(page, url, caseworker.username, password="wrong-horse-battery")

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("alert")).to_have_text("Your user name and password did not match. Please try again.")
    expect(page.get_by_label("User name")).to_have_value(caseworker.username)


def test_administrator_enters_the_totp_code_after_the_password(page, url, istanbul):
    admin = staff(Role.ADMINISTRATOR, istanbul)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)

    sign_in_with_form(page, url, admin.username)
    expect(page).to_have_url(re.compile(r"/account/second-factor/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")

    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {admin.display_name}")


@pytest.fixture
def phone(browser, browser_context_args):
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 390, "height": 844}})
    yield context.new_page()
    context.close()


def test_on_a_phone_the_menu_opens_with_its_toggle_and_the_login_form_fits(phone, url, caseworker):
    phone.goto(url("/login/"))
    form = phone.locator("main form")
    expect(form).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    box = form.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390

    sign_in_with_form(phone, url, caseworker.username)
    menu = phone.get_by_role("navigation", name="Main")
    toggle = phone.locator("label.nav-toggle-label")
    expect(toggle).to_have_text("☰")
    expect(menu).to_be_hidden()
    toggle.click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Map")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
