"""Dates are bounded everywhere a user can set one, and an odd date already stored (before the
bounds, or written by SQL) never breaks a page or an export."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.forms import BaseForm, DateField, DateTimeField
from django.urls import reverse
from openpyxl import load_workbook

from keyaccounts import clock
from keyaccounts.clock import EARLIEST_DATE, business_today, latest_date
from keyaccounts.editing import BoundedDates, validate_day
from keyaccounts.tests import factories as f
from keyaccounts.tests.xlsx_export import records_download, xlsx_download
from relationships.models import Cadence, InteractionKind

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
FAR_FUTURE = date(9999, 12, 31)
TOO_EARLY = date(1899, 12, 31)


# --- the arithmetic ------------------------------------------------------------------------------


def test_adding_days_clamps_instead_of_overflowing():
    assert clock.add_days(date(2026, 1, 1), 30) == date(2026, 1, 31)
    assert clock.add_days(FAR_FUTURE, 90) == date.max
    assert clock.add_days(date.min, -1) == date.min


def test_the_bounds_are_1900_and_a_few_years_ahead():
    assert EARLIEST_DATE == date(1900, 1, 1)
    assert business_today() < latest_date() < business_today() + timedelta(days=6 * 366)


# --- odd dates already stored -------------------------------------------------------------------


@pytest.fixture
def odd_rows(customer, alice):
    """Rows written past the forms: a cadence from the year 9999, an interaction in 1899."""
    f.CadenceFactory(customer=customer, owner=alice, starts_on=FAR_FUTURE, interval_days=90)
    f.CadenceFactory(
        customer=customer,
        owner=alice,
        starts_on=date(2020, 1, 1),
        interaction_kind=InteractionKind.CALL,
        interval_days=30,
    )
    f.InteractionFactory(customer=customer, occurred_on=FAR_FUTURE, kind=InteractionKind.CALL)
    f.InteractionFactory(customer=customer, occurred_on=TOO_EARLY, kind=InteractionKind.VISIT)
    return customer


@pytest.mark.parametrize("who", ["alice", "erin"])
def test_the_customer_page_shows_a_stored_far_future_cadence(client, odd_rows, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("customer_detail", args=[odd_rows.pk]))
    assert response.status_code == 200
    assert odd_rows.name in response.text
    # The sections that load after the page, the cadences' and interactions' ones among them.
    for name in ("relationship_section", "customer_timeline", "supply_section", "strategy_section"):
        assert client.get(reverse(name, args=[odd_rows.pk]), headers={"HX-Request": "true"}).status_code == 200


def test_today_survives_odd_stored_dates(client, alice, odd_rows):
    client.force_login(alice)
    assert client.get(reverse("today")).status_code == 200
    assert client.get(reverse("today_badge")).status_code == 200


def test_the_csv_export_is_complete_with_odd_stored_dates(client, alice, odd_rows):
    client.force_login(alice)
    response = client.get(reverse("export_csv"))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert odd_rows.name in rows[1]


def test_the_xlsx_export_is_complete_with_odd_stored_dates(client, alice, odd_rows):
    client.force_login(alice)
    response = xlsx_download(client)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.max_row == 2
    assert odd_rows.name in [c.value for c in sheet[2]]


@pytest.mark.parametrize("kind", ["interactions", "customers", "contacts"])
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_the_record_exports_are_complete_with_odd_stored_dates(client, alice, odd_rows, kind, extension):
    client.force_login(alice)
    response = records_download(client, kind, extension)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content


def test_the_portfolio_dashboard_and_its_export_survive_odd_stored_dates(client, erin, odd_rows):
    client.force_login(erin)
    assert client.get(reverse("portfolio_dashboard")).status_code == 200
    response = client.get(reverse("portfolio_dashboard_xlsx"))
    assert response.status_code == 200


@pytest.mark.parametrize("start", ["9999-01-01", "1899-12-31", "0001-01-01"])
def test_ticket_analytics_with_an_odd_period_is_a_clear_page(client, erin, start):
    client.force_login(erin)
    response = client.get(reverse("complaint_analytics"), {"start": start, "end": "9999-12-31"})
    assert response.status_code in (200, 400)
    assert "Give a date between" in response.text


# --- every form follows the one rule ------------------------------------------------------------


def _form_classes(cls=BaseForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _form_classes(sub)


def test_every_form_of_the_site_with_a_date_field_bounds_its_dates():
    import relationships.forms  # noqa: F401

    ours = ("accounts.", "relationships.", "complaints.", "exchange.", "keyaccounts.")
    dated = {
        cls
        for cls in _form_classes()
        if cls.__module__.startswith(ours)
        and ".admin" not in cls.__module__
        and ".tests" not in cls.__module__
        and any(isinstance(fld, DateField | DateTimeField) for fld in cls.base_fields.values())
    }
    assert dated, "no dated form found: the search is broken"
    assert [cls.__qualname__ for cls in dated if not issubclass(cls, BoundedDates)] == []


@pytest.mark.parametrize("value", ["9999-12-31", "1899-12-31", "0001-01-01"])
def test_a_bounded_form_refuses_an_odd_date_with_the_message(value):
    from complaints.analytics import AnalyticsFilterForm

    form = AnalyticsFilterForm({"start": value, "end": business_today().isoformat()})
    assert not form.is_valid()
    assert "Give a date between 1900-01-01 and" in form.errors["start"][0]


def test_a_date_picker_offers_only_dates_in_range():
    from relationships.forms import ContactLeftForm

    contact = f.ContactFactory.build(joined_on=date(2020, 1, 1))
    html = str(ContactLeftForm(contact=contact)["left_on"])
    assert f'min="{EARLIEST_DATE.isoformat()}"' in html and f'max="{latest_date().isoformat()}"' in html


def test_an_htmx_cadence_of_the_year_9999_is_refused_and_nothing_is_saved(client, alice, customer):
    client.force_login(alice)
    data = {
        "name": "Yearly dinner",
        "interaction_kind": InteractionKind.EXECUTIVE_MEETING,
        "interval_days": "365",
        "starts_on": "9999-12-31",
        "ends_on": "",
        "owner": str(alice.pk),
    }
    response = client.post(reverse("cadence_create", args=[customer.pk]), data, headers=HTMX)
    assert response.status_code == 422
    assert "Give a date between 1900-01-01 and" in response.text
    assert not Cadence.objects.exists()
    assert client.get(reverse("customer_detail", args=[customer.pk])).status_code == 200


# --- admin -----------------------------------------------------------------------------------------


def test_every_admin_form_bounds_its_dates(rf, superuser):
    from django.contrib import admin

    request = rf.get("/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(("accounts.", "relationships.", "complaints.", "exchange.")):
            continue
        for owner in [model_admin, *model_admin.get_inline_instances(request)]:
            form = owner.get_formset(request).form if owner is not model_admin else owner.get_form(request)
            for name, field in form.base_fields.items():
                if isinstance(field, DateField | DateTimeField):
                    assert validate_day in field.validators, f"{model.__name__}: {name}"
                    checked += 1
    assert checked > 10


def test_an_order_of_the_year_9999_is_refused_in_admin_and_nothing_is_saved(client, superuser, customer):
    from accounts.models import Order

    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_order_add"),
        {
            "customer": customer.pk,
            "number": "SO-9999",
            "ordered_on": "9999-12-31",
            "amount": "100",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Give a date between 1900-01-01 and" in response.content.decode()
    assert not Order.objects.exists()
