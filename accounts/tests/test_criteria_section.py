"""The purchase-criteria section of the customer page: the matrix and its "new assessment" editor."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import PurchaseCriterion
from accounts.workspace.customer import customer_criteria
from keyaccounts.clock import business_today
from keyaccounts.editing import INVALID
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}


def days_ago(n: int):
    return business_today() - timedelta(days=n)


def section_url(customer):
    return reverse("criteria_section", args=[customer.pk])


def assess_url(customer, criterion=None):
    url = reverse("criterion_assess", args=[customer.pk])
    return f"{url}?criterion={criterion.pk}" if criterion is not None else url


@pytest.fixture
def rival(db):
    return f.CompetitorFactory(name="Rival Motors")


def form_data(**overrides):
    data = {
        "criterion": "Lead time under 2 weeks",
        "importance": "4",
        "we_meet": "on",
        "assessed_on": business_today().isoformat(),
        "notes": "Asked by the plant manager",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# The colour rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("we_meet", "competitor_meets", "situation", "colour"),
    [
        (True, False, "safe", "green"),
        (True, True, "caution", "amber"),
        (False, False, "gap", "amber"),
        (False, True, "alarm", "red"),
    ],
    ids=["only-we-safe", "both-caution", "nobody-gap", "only-competitor-alarm"],
)
def test_each_criterion_gets_the_colour_of_its_situation(customer, rival, we_meet, competitor_meets, situation, colour):
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Price stability",
        we_meet=we_meet,
        competitor_meets=competitor_meets,
        competitor=rival if competitor_meets else None,
        assessed_on=days_ago(10),
    )
    (row,) = customer_criteria(customer=customer)["rows"]
    assert (row.situation, row.colour) == (situation, colour)


def test_the_latest_assessment_of_a_criterion_wins(customer, rival):
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Lead time",
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        assessed_on=days_ago(200),
    )
    f.PurchaseCriterionFactory(customer=customer, criterion="Lead time", we_meet=True, assessed_on=days_ago(20))
    (row,) = customer_criteria(customer=customer)["rows"]
    assert row.situation == "safe" and row.assessed_on == days_ago(20) and row.assessments == 2


def test_an_assessment_dated_in_the_future_is_not_yet_in_force(customer, rival):
    f.PurchaseCriterionFactory(customer=customer, criterion="Lead time", we_meet=True, assessed_on=days_ago(5))
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Lead time",
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        assessed_on=business_today() + timedelta(days=3),
    )
    f.PurchaseCriterionFactory(
        customer=customer, criterion="Only later", assessed_on=business_today() + timedelta(days=1)
    )
    rows = customer_criteria(customer=customer)["rows"]
    assert [(r.criterion, r.situation) for r in rows] == [("Lead time", "safe")]


def test_an_important_alarm_is_marked_as_making_the_account_red(client, alice, customer, rival):
    for name, importance in (("Certified plant", 4), ("Nice packaging", 2)):
        f.PurchaseCriterionFactory(
            customer=customer,
            criterion=name,
            importance=importance,
            we_meet=False,
            competitor_meets=True,
            competitor=rival,
            assessed_on=days_ago(3),
        )
    rows = {r.criterion: r for r in customer_criteria(customer=customer)["rows"]}
    assert rows["Certified plant"].trips_wire and not rows["Nice packaging"].trips_wire
    client.force_login(alice)
    page = client.get(section_url(customer)).text
    assert page.count("makes the account red") == 1
    assert "Only a competitor meets it." in page  # the legend


def test_an_assessment_older_than_a_year_asks_to_be_redone(client, alice, customer):
    f.PurchaseCriterionFactory(customer=customer, criterion="Old news", assessed_on=days_ago(400))
    f.PurchaseCriterionFactory(customer=customer, criterion="Fresh", assessed_on=days_ago(30))
    rows = {r.criterion: r for r in customer_criteria(customer=customer)["rows"]}
    assert rows["Old news"].stale and not rows["Fresh"].stale
    assert rows["Old news"].situation == "safe"


def test_the_customer_page_shows_the_matrix_with_situations_and_competitors(client, alice, customer, rival):
    f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Local technical support",
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        assessed_on=days_ago(3),
    )
    client.force_login(alice)
    page = client.get(section_url(customer), headers=HTMX).text
    assert 'id="section-criteria"' in page
    assert 'data-situation="alarm"' in page and "Rival Motors" in page and "Local technical support" in page
    assert "Close the gap on this criterion" in page


# Who may see and who may assess ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "erin", "sam"])
def test_everyone_who_sees_the_customer_sees_the_criteria_section(client, customer, who, request):
    f.PurchaseCriterionFactory(customer=customer, criterion="Delivery in full", assessed_on=days_ago(1))
    client.force_login(request.getfixturevalue(who))
    response = client.get(section_url(customer), headers=HTMX)
    assert response.status_code == 200 and "Delivery in full" in response.text


def test_an_outsider_gets_a_404_for_the_criteria_section(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(section_url(customer)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, customer):
    for response in (client.get(section_url(customer)), client.post(assess_url(customer), form_data())):
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not PurchaseCriterion.objects.exists()


@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_the_account_team_records_an_assessment(client, customer, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(assess_url(customer), form_data(), headers=HTMX)
    assert response.status_code == 200
    assert 'id="section-criteria"' in response.text and "Lead time under 2 weeks" in response.text
    criterion = PurchaseCriterion.objects.get(customer=customer)
    assert (criterion.importance, criterion.we_meet, criterion.competitor_meets) == (4, True, False)
    assert criterion.history.first().history_user == request.getfixturevalue(who)


def test_an_outsider_cannot_assess_and_nothing_is_written(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(assess_url(customer)).status_code == 404
    assert client.post(assess_url(customer), form_data()).status_code == 404
    assert not PurchaseCriterion.objects.exists()


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_cannot_assess_and_see_no_edit_buttons(client, customer, who, request):
    f.PurchaseCriterionFactory(customer=customer, criterion="Delivery in full", assessed_on=days_ago(1))
    client.force_login(request.getfixturevalue(who))
    assert client.get(assess_url(customer)).status_code == 403
    assert client.post(assess_url(customer), form_data()).status_code == 403
    assert PurchaseCriterion.objects.count() == 1
    page = client.get(section_url(customer), headers=HTMX).text
    assert "New assessment" not in page and "Re-assess" not in page


def test_the_owner_sees_the_edit_buttons(client, alice, customer):
    f.PurchaseCriterionFactory(customer=customer, criterion="Delivery in full", assessed_on=days_ago(1))
    client.force_login(alice)
    page = client.get(section_url(customer), headers=HTMX).text
    assert "New assessment" in page and "Re-assess" in page


# The editor --------------------------------------------------------------------------------------


def test_a_full_page_request_gets_the_form_on_a_page_and_returns_to_the_section(client, alice, customer):
    client.force_login(alice)
    page = client.get(assess_url(customer))
    assert page.status_code == 200 and "<html" in page.text and 'name="criterion"' in page.text
    response = client.post(assess_url(customer), form_data())
    assert response.status_code == 302
    assert response.url == reverse("customer_detail", args=[customer.pk]) + "#section-criteria"
    assert PurchaseCriterion.objects.filter(customer=customer).count() == 1


def test_reassessing_prefills_the_form_with_the_latest_assessment(client, alice, customer, rival):
    latest = f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Lead time",
        importance=5,
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        assessed_on=days_ago(30),
        notes="They quote 10 days",
    )
    client.force_login(alice)
    response = client.get(assess_url(customer, latest), headers=HTMX)
    form = response.context["form"]
    assert form["criterion"].value() == "Lead time" and form.fields["criterion"].disabled
    assert form["importance"].value() == 5 and form["competitor"].value() == rival.pk
    assert form["assessed_on"].value() == business_today()
    assert "They quote 10 days" in response.text


def test_a_reassessment_adds_a_row_and_keeps_the_earlier_one(client, alice, customer, rival):
    earlier = f.PurchaseCriterionFactory(
        customer=customer,
        criterion="Lead time",
        we_meet=False,
        competitor_meets=True,
        competitor=rival,
        assessed_on=days_ago(30),
    )
    client.force_login(alice)
    # The posted name is ignored: a re-assessment is of the criterion it was opened on.
    response = client.post(assess_url(customer, earlier), form_data(criterion="Renamed"), headers=HTMX)
    assert response.status_code == 200
    rows = list(PurchaseCriterion.objects.filter(customer=customer).order_by("assessed_on"))
    assert [(r.criterion, r.assessed_on, r.we_meet) for r in rows] == [
        ("Lead time", days_ago(30), False),
        ("Lead time", business_today(), True),
    ]
    assert 'data-situation="safe"' in response.text and 'data-situation="alarm"' not in response.text


def test_a_new_criterion_typed_like_an_existing_one_is_a_reassessment_of_it(client, alice, customer):
    f.PurchaseCriterionFactory(customer=customer, criterion="Lead time", assessed_on=days_ago(30))
    client.force_login(alice)
    client.post(assess_url(customer), form_data(criterion="  LEAD   TIME "), headers=HTMX)
    assert set(PurchaseCriterion.objects.values_list("criterion", flat=True)) == {"Lead time"}
    assert PurchaseCriterion.objects.count() == 2


def test_reassessing_another_customers_criterion_is_a_404(client, alice, customer, oscars_customer):
    foreign = f.PurchaseCriterionFactory(customer=oscars_customer, criterion="Secret", assessed_on=days_ago(3))
    client.force_login(alice)
    assert client.get(assess_url(customer, foreign)).status_code == 404
    assert client.post(assess_url(customer, foreign), form_data()).status_code == 404
    assert client.get(assess_url(customer) + "?criterion=abc").status_code == 404
    assert PurchaseCriterion.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"assessed_on": (business_today() + timedelta(days=1)).isoformat()}, "assessed_on", "in the future"),
        ({"competitor_meets": "on"}, "competitor", "Say which competitor meets the criterion."),
        ({"criterion": "   "}, "criterion", "required"),
        ({"importance": "9"}, "importance", "valid choice"),
        ({"assessed_on": "yesterday"}, "assessed_on", "valid date"),
    ],
    ids=["future-date", "competitor-missing", "blank-criterion", "importance-out-of-range", "bad-date"],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(client, alice, customer, overrides, field, message):
    client.force_login(alice)
    response = client.post(assess_url(customer), form_data(**overrides), headers=HTMX)
    assert response.status_code == INVALID
    assert message in " ".join(response.context["form"].errors[field])
    assert not PurchaseCriterion.objects.exists()


def test_a_refused_form_goes_back_into_the_editor_with_what_was_typed(client, alice, customer):
    client.force_login(alice)
    data = form_data(criterion="Packaging recyclable", competitor_meets="on", notes="Kept text")
    response = client.post(assess_url(customer), data, headers=HTMX)
    assert response.status_code == INVALID
    assert response.headers["HX-Retarget"] == "#criteria-editor"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert 'value="Packaging recyclable"' in response.text and "Kept text" in response.text


def test_a_full_page_request_with_bad_input_gets_the_page_back_with_a_422(client, alice, customer):
    client.force_login(alice)
    response = client.post(assess_url(customer), form_data(competitor_meets="on"))
    assert response.status_code == INVALID and "<html" in response.text
    assert "Say which competitor meets the criterion." in response.text


def test_an_assessment_dated_on_or_before_the_latest_one_is_refused(client, alice, customer):
    latest = f.PurchaseCriterionFactory(customer=customer, criterion="Lead time", assessed_on=days_ago(2))
    client.force_login(alice)
    for day in (days_ago(2), days_ago(9)):
        response = client.post(assess_url(customer, latest), form_data(assessed_on=day.isoformat()), headers=HTMX)
        assert response.status_code == INVALID
        assert "Assessments are kept as history" in response.text
    assert PurchaseCriterion.objects.count() == 1


def test_a_competitor_is_dropped_when_no_competitor_meets_the_criterion(client, alice, customer, rival):
    client.force_login(alice)
    client.post(assess_url(customer), form_data(competitor=rival.pk), headers=HTMX)
    assert PurchaseCriterion.objects.get().competitor is None


def test_a_named_competitor_is_stored_with_the_alarm(client, alice, customer, rival):
    client.force_login(alice)
    response = client.post(
        assess_url(customer), form_data(we_meet=None, competitor_meets="on", competitor=rival.pk), headers=HTMX
    )
    assert response.status_code == 200 and 'data-situation="alarm"' in response.text
    assert PurchaseCriterion.objects.get().competitor == rival


# Query counts ------------------------------------------------------------------------------------


def _criteria(customer, rival, n):
    for i in range(n):
        for days in (40, 4):  # two assessments each: history must not add queries either
            f.PurchaseCriterionFactory(
                customer=customer,
                criterion=f"Criterion {i}",
                we_meet=i % 2 == 0,
                competitor_meets=i % 3 == 0,
                competitor=rival if i % 3 == 0 else None,
                assessed_on=days_ago(days),
            )


# session, user, the user's roles, the customer, the active risk model, the matrix
SECTION_QUERIES = 6


@pytest.mark.parametrize("n", [3, 30])
def test_the_criteria_section_takes_the_same_queries_for_3_and_30_criteria(
    client, alice, customer, rival, n, django_assert_num_queries
):
    _criteria(customer, rival, n)
    client.force_login(alice)
    with django_assert_num_queries(SECTION_QUERIES):
        response = client.get(section_url(customer), headers=HTMX)
    assert response.text.count('data-testid="criterion-row"') == n


# session, user, roles, customer, the competitors of the form (the criterion's own competitor comes
# with it)
FORM_QUERIES = 6


@pytest.mark.parametrize("n", [3, 30])
def test_the_reassessment_form_takes_the_same_queries_for_3_and_30_competitors(
    client, alice, customer, n, django_assert_num_queries
):
    rivals = f.CompetitorFactory.create_batch(n)
    latest = f.PurchaseCriterionFactory(
        customer=customer, criterion="Lead time", competitor_meets=True, competitor=rivals[0], assessed_on=days_ago(3)
    )
    client.force_login(alice)
    with django_assert_num_queries(FORM_QUERIES):
        client.get(assess_url(customer, latest), headers=HTMX)
