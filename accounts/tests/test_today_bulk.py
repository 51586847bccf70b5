"""Today customer by customer: the order, the rest on demand, acknowledging alerts in bulk, and the
band badges with their reasons."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Alert, RiskBand
from accounts.services import AlertCandidate, alerts_raise
from accounts.workspace.today import TODAY_PAGE_SIZE
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f

TODAY_URL = reverse("today")
BULK_URL = reverse("alerts_close")
HTMX = {"HX-Request": "true"}


def raise_alert(customer, kind="score_jump") -> Alert:
    alerts_raise(as_of=business_today(), candidates=[AlertCandidate(customer.pk, kind, {"score": 50, "change": 20})])
    return Alert.objects.get(customer=customer, kind=kind, closed_at__isnull=True)


def scored(customer, band, score, **kwargs):
    return f.RiskSnapshotFactory(
        customer=customer, as_of=business_today(), score=score, band=band, computed_band=band, **kwargs
    )


def open_ids() -> set[int]:
    return set(Alert.objects.open().values_list("pk", flat=True))


@pytest.fixture
def two_alerts(alice, customer):
    other = f.CustomerFactory(name="Ningbo Bearings", owner=alice)
    return [raise_alert(customer), raise_alert(other)]


# --- order and pages ---------------------------------------------------------------------------


def test_customers_come_red_then_amber_then_green_late_work_first_then_by_score(client, alice):
    today, now = business_today(), timezone.now()
    names = {}
    for name, band, score in [
        ("Green big", RiskBand.GREEN, 10),
        ("Red low score", RiskBand.RED, 40),
        ("Amber", RiskBand.AMBER, 30),
        ("Red high score", RiskBand.RED, 80),
        ("Red with late ticket", RiskBand.RED, 39),
    ]:
        names[name] = f.CustomerFactory(name=name, owner=alice)
        scored(names[name], band, score)
        f.ProductNeedFactory(customer=names[name], identified_on=today - timedelta(days=3))
    f.TicketFactory(customer=names["Red with late ticket"], response_due_at=now - timedelta(hours=2))
    f.CustomerFactory(name="Nothing to do", owner=alice)
    client.force_login(alice)
    response = client.get(TODAY_URL)
    shown = [card.customer.name for card in response.context["listing"].customers]
    assert shown == ["Red with late ticket", "Red high score", "Red low score", "Amber", "Green big"]
    page = response.text
    assert page.index("Red with late ticket") < page.index("Red high score") < page.index("Green big")
    assert 'data-testid="late"' in page


def test_the_rest_comes_on_demand_a_page_at_a_time(client, alice):
    for n in range(TODAY_PAGE_SIZE + 2):
        f.ProductNeedFactory(customer=f.CustomerFactory(name=f"Customer {n:02}", owner=alice))
    client.force_login(alice)
    first = client.get(TODAY_URL)
    assert len(first.context["listing"].customers) == TODAY_PAGE_SIZE
    assert "Show the rest (2 more customers)" in first.text
    assert f'href="{TODAY_URL}?page=2"' in first.text and f'hx-get="{TODAY_URL}?page=2"' in first.text
    # htmx: the next customers alone, to put where the button was; no page around them.
    rest = client.get(f"{TODAY_URL}?page=2", headers=HTMX)
    assert [c.customer.name for c in rest.context["listing"].customers] == ["Customer 10", "Customer 11"]
    assert "<html" not in rest.text and "Show the rest" not in rest.text
    # Without JavaScript: a page of its own, with the way back.
    plain = client.get(f"{TODAY_URL}?page=2")
    assert "<html" in plain.text and "Back to the most urgent customers" in plain.text
    assert client.get(f"{TODAY_URL}?page=nonsense").context["listing"].page == 1


def test_another_managers_customers_never_show_on_today(client, alice, oscar, customer):
    raise_alert(f.CustomerFactory(name="Oscar's Own", owner=oscar))
    f.ProductNeedFactory(customer=customer)
    client.force_login(alice)
    response = client.get(TODAY_URL)
    assert "Oscar's Own" not in response.text and response.context["listing"].total == 1


# --- acknowledging in bulk -----------------------------------------------------------------------


def test_today_offers_one_click_and_bulk_acknowledge(client, alice, two_alerts):
    client.force_login(alice)
    page = client.get(TODAY_URL).text
    assert "<details" not in page
    assert page.count('data-testid="close-alert"') == 2 and page.count('data-testid="pick-alert"') == 2
    assert 'form="today-bulk"' in page and 'data-testid="tick-customer"' in page
    assert "Mark selected as dealt with" in page and 'data-ka-tick-all="#today-body input[name=alerts]"' in page


def test_bulk_acknowledge_closes_every_selected_alert_with_the_note_and_audits_each(client, alice, two_alerts):
    client.force_login(alice)
    ids = [a.pk for a in two_alerts]
    response = client.post(BULK_URL, {"alerts": ids, "note": " Called both buyers ", "next": TODAY_URL})
    assert response.status_code == 302 and response["Location"] == TODAY_URL
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 alerts marked as dealt with."]
    for alert in two_alerts:
        alert.refresh_from_db()
        assert (alert.closed_by, alert.close_note) == (alice, "Called both buyers")
        latest = alert.history.first()
        assert (latest.history_type, latest.history_user, latest.close_note) == ("~", alice, "Called both buyers")
    assert open_ids() == set()


def test_bulk_acknowledge_with_htmx_shows_today_again_with_the_report(client, alice, two_alerts):
    client.force_login(alice)
    response = client.post(BULK_URL, {"alerts": [two_alerts[0].pk]}, headers=HTMX)
    assert response.status_code == 200
    assert "alert-closed" in response["HX-Trigger"]
    assert 'data-testid="today-notice"' in response.text and "1 alert marked as dealt with." in response.text
    assert f'id="alert-{two_alerts[0].pk}"' not in response.text
    assert f'id="alert-{two_alerts[1].pk}"' in response.text
    assert open_ids() == {two_alerts[1].pk}


@pytest.mark.parametrize("htmx", [False, True])
def test_another_managers_alert_refuses_the_whole_batch(client, alice, oscar, two_alerts, htmx):
    foreign = raise_alert(f.CustomerFactory(owner=oscar))
    client.force_login(alice)
    data = {"alerts": [two_alerts[0].pk, foreign.pk], "note": "mine now"}
    response = client.post(BULK_URL, data, headers=HTMX if htmx else {})
    text = "1 of the selected alerts is not one of yours: nothing was marked."
    if htmx:
        assert response.status_code == 422 and text in response.text and "HX-Trigger" not in response
    else:
        assert response.status_code == 302
        assert [str(m) for m in get_messages(response.wsgi_request)] == [text]
    assert open_ids() == {two_alerts[0].pk, two_alerts[1].pk, foreign.pk}
    assert not Alert.objects.exclude(close_note="").exists()


def test_an_alert_closed_meanwhile_refuses_the_batch_and_changes_nothing(client, alice, bob, customer, two_alerts):
    client.force_login(bob)
    client.post(reverse("alert_close", args=[two_alerts[0].pk]), {"note": "bob did it"})
    client.force_login(alice)
    response = client.post(BULK_URL, {"alerts": [a.pk for a in two_alerts], "note": "me too"}, headers=HTMX)
    assert response.status_code == 422 and "dealt with meanwhile" in response.text
    first, second = (Alert.objects.get(pk=a.pk) for a in two_alerts)
    assert (first.closed_by, first.close_note) == (bob, "bob did it")
    assert second.closed_at is None


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_may_not_acknowledge_in_bulk(client, two_alerts, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.post(BULK_URL, {"alerts": [a.pk for a in two_alerts]}).status_code == 403
    assert open_ids() == {a.pk for a in two_alerts}
    assert "Mark selected as dealt with" not in client.get(TODAY_URL).text


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ({}, "Tick the alerts you dealt with first."),
        ({"alerts": ["1; drop"]}, "The selection is not valid: reload Today."),
        ({"alerts": ["1"], "note": "x" * 2001}, "The note is too long: at most 2,000 characters."),
    ],
)
def test_bulk_acknowledge_refuses_bad_input(client, alice, two_alerts, data, text):
    client.force_login(alice)
    response = client.post(BULK_URL, data, headers=HTMX)
    assert response.status_code == 422 and text in response.text
    assert open_ids() == {a.pk for a in two_alerts}


def test_anonymous_bulk_acknowledge_is_sent_to_login(client, two_alerts):
    response = client.post(BULK_URL, {"alerts": [two_alerts[0].pk]})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert open_ids() == {a.pk for a in two_alerts}


# --- icons and band reasons ----------------------------------------------------------------------


def test_empty_today_shows_an_icon_and_what_to_do_next(client, alice):
    client.force_login(alice)
    page = client.get(TODAY_URL).text
    assert "bi-check2-circle" in page and "✓" not in page
    assert "Nothing needs doing for your customers today." in page and f'href="{reverse("home")}"' in page


def test_manual_band_shows_who_set_it_until_when_and_why_in_lists(client, alice, customer):
    scored(customer, RiskBand.GREEN, 15)
    f.RiskOverrideFactory(
        customer=customer,
        set_by=alice,
        band=RiskBand.RED,
        reason="Buyer is moving to a competitor",
        starts_on=business_today(),
        expires_on=business_today() + timedelta(days=10),
    )
    client.force_login(alice)
    why = (
        f"Set by hand by alice until {date_format(business_today() + timedelta(days=10), 'DATE_FORMAT')}: "
        "Buyer is moving to a competitor"
    )
    for url in (reverse("home"), TODAY_URL):
        page = client.get(url).text
        assert "bi-x-octagon-fill" in page and "bi-hand-index-thumb" in page and "✋" not in page
        assert f'title="{why}"' in page and f'<span class="visually-hidden">: {why}</span>' in page


def test_band_raised_by_a_trip_wire_says_so_in_lists(client, alice, customer):
    scored(customer, RiskBand.RED, 15, tripwires=["decision_maker_gone"])
    calm = f.CustomerFactory(owner=alice, name="Calm")
    scored(calm, RiskBand.RED, 70, tripwires=["decision_maker_gone"])
    client.force_login(alice)
    page = client.get(reverse("home")).text
    why = "Red because of a trip-wire: Decision maker left without a replacement"
    # Only the customer the score alone would not make red carries the marker.
    assert page.count('data-testid="tripwire-marker"') == 1 and f'title="{why}"' in page
    assert "bi-lightning-charge-fill" in page


def test_the_lists_trip_wire_marker_reads_the_thresholds_of_the_model_that_scored(client, alice, customer):
    # A model red from 60: a score of 45 is red only by its trip-wire there, though the default
    # thresholds (red from 38) would make it red by itself; a model red from 30 makes 35 red alone.
    strict = f.RiskModelVersionFactory(parameters={"bands": {"amber": 40, "red": 60}})
    lenient = f.RiskModelVersionFactory(parameters={"bands": {"amber": 20, "red": 30}})
    scored(customer, RiskBand.RED, 45, tripwires=["decision_maker_gone"], model_version=strict)
    other = f.CustomerFactory(owner=alice, name="Other")
    scored(other, RiskBand.RED, 35, tripwires=["decision_maker_gone"], model_version=lenient)
    client.force_login(alice)
    for url in (reverse("home"), reverse("home") + "?sort=-score&band=red"):
        page = client.get(url).text
        marked = page.split('data-testid="tripwire-marker"')
        assert len(marked) == 2, url
        # The marker follows its customer's name in the row.
        assert customer.name in marked[0] and customer.name not in marked[1].split("</tr>")[0], url


# --- the navigation badge --------------------------------------------------------------------------

BADGE_QUERIES = 4  # session, user, roles, the count


def test_badge_counts_customers_with_something_urgent_in_one_query(client, alice, django_assert_num_queries):
    today = business_today()
    client.force_login(alice)
    client.get(reverse("today_badge"))
    urgent = f.CustomerFactory(owner=alice)
    raise_alert(urgent)
    raise_alert(urgent, kind="new_red")
    f.TicketFactory(customer=f.CustomerFactory(owner=alice), response_due_at=timezone.now() - timedelta(hours=1))
    # Slower work waits on the page: not in the badge.
    f.ProductNeedFactory(customer=f.CustomerFactory(owner=alice))
    f.ContactFactory(customer=f.CustomerFactory(owner=alice), name="Never met")
    f.CadenceFactory(customer=f.CustomerFactory(owner=alice), starts_on=today - timedelta(days=200))
    with django_assert_num_queries(BADGE_QUERIES):
        response = client.get(reverse("today_badge"), headers=HTMX)
    assert ">2<span" in response.text
    for _n in range(5):
        raise_alert(f.CustomerFactory(owner=alice))
    with django_assert_num_queries(BADGE_QUERIES):
        assert ">7<span" in client.get(reverse("today_badge"), headers=HTMX).text


def test_badge_stops_counting_at_its_cap(client, alice, monkeypatch):
    monkeypatch.setattr("accounts.workspace.today.BADGE_CAP", 2)
    for _n in range(3):
        raise_alert(f.CustomerFactory(owner=alice))
    client.force_login(alice)
    assert ">2+<span" in client.get(reverse("today_badge"), headers=HTMX).text
