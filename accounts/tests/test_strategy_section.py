"""The strategy section of the customer page: account plan, product needs, incentives, and their editors."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AccountPlan, Incentive, ProductNeed
from keyaccounts.clock import business_today
from keyaccounts.editing import INVALID, STALE_EDIT_MESSAGE, edit_version
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}
TODAY = business_today()


def days_ago(n: int):
    return business_today() - timedelta(days=n)


def version_of(row) -> str:
    """The version a form opened now would carry: of the row as stored (decimals as the database keeps them)."""
    return edit_version(type(row).objects.get(pk=row.pk))


def iso(day) -> str:
    return day.isoformat()


def url(name, customer, *args):
    return reverse(name, args=[customer.pk, *args])


@pytest.fixture
def plan(customer):
    return f.AccountPlanFactory(
        customer=customer,
        customer_strategy="Move into e-axles",
        our_actions="Co-develop housings",
        reviewed_on=days_ago(100),
        next_review_on=days_ago(100) + timedelta(days=180),
    )


@pytest.fixture
def need(customer):
    return f.ProductNeedFactory(customer=customer, description="Sealed bearings", identified_on=days_ago(60))


@pytest.fixture
def incentive(customer):
    return f.IncentiveFactory(
        customer=customer,
        kind=Incentive.Kind.REBATE,
        description="Volume rebate",
        value=Decimal("5000"),
        starts_on=days_ago(30),
        ends_on=TODAY + timedelta(days=60),
    )


def plan_data(**overrides):
    data = {
        "customer_strategy": "Expand into Southeast Asia",
        "our_actions": "Open a warehouse in Penang",
        "reviewed_on": iso(TODAY),
        "next_review_on": iso(TODAY + timedelta(days=90)),
    }
    data.update(overrides)
    return data


def need_data(**overrides):
    data = {"description": "Food-grade grease", "status": "unmet", "identified_on": iso(days_ago(2)), "met_on": ""}
    data.update(overrides)
    return data


def incentive_data(**overrides):
    data = {
        "kind": "co_promotion",
        "description": "Trade fair booth",
        "value": "12000",
        "starts_on": iso(TODAY),
        "ends_on": iso(TODAY + timedelta(days=30)),
    }
    data.update(overrides)
    return data


# The section -------------------------------------------------------------------------------------


def test_the_customer_page_shows_plan_needs_and_incentives(client, alice, customer, plan, need, incentive):
    f.IncentiveFactory(
        customer=customer, description="Last year's contest", starts_on=days_ago(400), ends_on=days_ago(300)
    )
    client.force_login(alice)
    page = client.get(url("strategy_section", customer), headers=HTMX).text
    assert 'id="section-strategy"' in page
    assert "Move into e-axles" in page and "Co-develop housings" in page
    assert "Sealed bearings" in page and "Volume rebate" in page and "Last year&#x27;s contest" in page
    assert 'data-testid="review-overdue"' not in page


def test_needs_are_grouped_by_status(client, alice, customer):
    f.ProductNeedFactory(customer=customer, description="Still missing", status="unmet")
    f.ProductNeedFactory(customer=customer, description="On the roadmap", status="planned")
    f.ProductNeedFactory(customer=customer, description="Delivered", status="met", met_on=days_ago(3))
    client.force_login(alice)
    groups = client.get(url("strategy_section", customer), headers=HTMX).context["strategy"]["needs_by_status"]
    assert [(g["status"], [n.description for n in g["needs"]]) for g in groups] == [
        ("unmet", ["Still missing"]),
        ("planned", ["On the roadmap"]),
        ("met", ["Delivered"]),
    ]


def test_a_past_next_review_date_is_highlighted_as_overdue(client, alice, customer):
    f.AccountPlanFactory(customer=customer, reviewed_on=days_ago(200), next_review_on=days_ago(1))
    client.force_login(alice)
    page = client.get(url("strategy_section", customer), headers=HTMX).text
    assert 'data-testid="review-overdue"' in page and "Review overdue" in page


def test_a_plan_unreviewed_for_over_a_year_is_overdue_even_without_a_next_date(client, alice, customer):
    f.AccountPlanFactory(customer=customer, reviewed_on=days_ago(400), next_review_on=None)
    client.force_login(alice)
    assert "Not reviewed for over 365 days" in client.get(url("strategy_section", customer), headers=HTMX).text


def test_incentives_are_split_into_current_and_past(client, alice, customer, incentive):
    planned = f.IncentiveFactory(
        customer=customer, starts_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=9)
    )
    past = f.IncentiveFactory(customer=customer, starts_on=days_ago(90), ends_on=days_ago(1))
    client.force_login(alice)
    strategy = client.get(url("strategy_section", customer), headers=HTMX).context["strategy"]
    assert strategy["incentives_current"] == [planned, incentive]
    assert strategy["incentives_past"] == [past]


# Roles, for every editor -------------------------------------------------------------------------

# (url name, fixture of the row in the URL or None, valid POST data, what a successful POST writes)
EDITORS = {
    "plan": ("account_plan_edit", None, plan_data, lambda c: AccountPlan.objects.filter(customer=c).count()),
    "need-new": ("need_create", None, need_data, lambda c: ProductNeed.objects.filter(customer=c).count()),
    "need-status": (
        "need_status",
        "need",
        lambda: {"status": "planned", "met_on": "", "product": ""},
        lambda c: ProductNeed.objects.filter(customer=c, status="planned").count(),
    ),
    "incentive-new": (
        "incentive_create",
        None,
        incentive_data,
        lambda c: Incentive.objects.filter(customer=c).count(),
    ),
    "incentive-edit": (
        "incentive_edit",
        "incentive",
        lambda: incentive_data(starts_on=iso(days_ago(30))),
        lambda c: Incentive.objects.filter(customer=c, kind="co_promotion").count(),
    ),
    "incentive-end": (
        "incentive_end",
        "incentive",
        dict,
        lambda c: Incentive.objects.filter(customer=c, ends_on=business_today()).count(),
    ),
}


def _editor(name, request):
    url_name, row_fixture, data, written = EDITORS[name]
    customer = request.getfixturevalue("customer")
    args = [request.getfixturevalue(row_fixture).pk] if row_fixture else []
    payload = data()
    if row_fixture:
        payload["version"] = version_of(request.getfixturevalue(row_fixture))
    return url(url_name, customer, *args), payload, lambda: written(customer)


@pytest.mark.parametrize("editor", list(EDITORS))
@pytest.mark.parametrize("who", ["alice", "bob", "tina"])
def test_the_account_team_uses_every_editor(client, editor, who, request):
    target, payload, written = _editor(editor, request)
    before = written()
    client.force_login(request.getfixturevalue(who))
    assert client.get(target, headers=HTMX).status_code == 200
    response = client.post(target, payload, headers=HTMX)
    assert response.status_code == 200, response.text[:2000]
    assert 'id="section-strategy"' in response.text
    assert written() == before + 1


@pytest.mark.parametrize("editor", list(EDITORS))
def test_an_outsider_gets_a_404_from_every_editor_and_nothing_is_written(client, oscar, editor, request):
    target, payload, written = _editor(editor, request)
    before = written()
    client.force_login(oscar)
    assert client.get(target).status_code == 404
    assert client.post(target, payload).status_code == 404
    assert written() == before


@pytest.mark.parametrize("editor", list(EDITORS))
@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_get_a_403_from_every_editor_and_nothing_is_written(client, editor, who, request):
    target, payload, written = _editor(editor, request)
    before = written()
    client.force_login(request.getfixturevalue(who))
    assert client.get(target).status_code == 403
    assert client.post(target, payload).status_code == 403
    assert written() == before


@pytest.mark.parametrize("editor", list(EDITORS))
def test_anonymous_visitors_are_sent_to_sign_in_by_every_editor(client, editor, request):
    target, payload, written = _editor(editor, request)
    before = written()
    response = client.post(target, payload)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert written() == before


@pytest.mark.parametrize("who", ["alice", "bob", "tina", "erin", "sam"])
def test_everyone_who_sees_the_customer_sees_the_strategy_section(client, customer, plan, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url("strategy_section", customer), headers=HTMX)
    assert response.status_code == 200 and "Move into e-axles" in response.text


def test_an_outsider_gets_a_404_for_the_strategy_section(client, oscar, customer):
    client.force_login(oscar)
    assert client.get(url("strategy_section", customer)).status_code == 404


@pytest.mark.parametrize("who", ["erin", "sam"])
def test_read_only_roles_see_no_edit_buttons(client, customer, plan, need, incentive, who, request):
    client.force_login(request.getfixturevalue(who))
    page = client.get(url("strategy_section", customer), headers=HTMX).text
    for label in ("Edit or record a review", "Add a need", "Change status", "Add an incentive", "End early"):
        assert label not in page


def test_the_owner_sees_the_edit_buttons(client, alice, customer, plan, need, incentive):
    client.force_login(alice)
    page = client.get(url("strategy_section", customer), headers=HTMX).text
    for label in ("Edit or record a review", "Add a need", "Change status", "Add an incentive", "End early"):
        assert label in page


def test_another_customers_need_or_incentive_is_a_404_and_nothing_is_written(client, alice, customer, oscars_customer):
    need = f.ProductNeedFactory(customer=oscars_customer, identified_on=days_ago(10))
    incentive = f.IncentiveFactory(customer=oscars_customer, starts_on=days_ago(10), ends_on=TODAY + timedelta(days=10))
    client.force_login(alice)
    data = {"status": "planned", "version": version_of(need)}
    assert client.post(url("need_status", customer, need.pk), data).status_code == 404
    data = incentive_data(version=version_of(incentive))
    assert client.post(url("incentive_edit", customer, incentive.pk), data).status_code == 404
    assert (
        client.post(url("incentive_end", customer, incentive.pk), {"version": version_of(incentive)}).status_code == 404
    )
    need.refresh_from_db()
    incentive.refresh_from_db()
    assert need.status == "unmet" and incentive.ends_on == TODAY + timedelta(days=10) and incentive.kind == "rebate"


# Account plan ------------------------------------------------------------------------------------


def test_the_first_plan_is_written_and_shown(client, alice, customer):
    client.force_login(alice)
    response = client.post(url("account_plan_edit", customer), plan_data(version=""), headers=HTMX)
    assert response.status_code == 200 and "Open a warehouse in Penang" in response.text
    plan = AccountPlan.objects.get(customer=customer)
    assert plan.reviewed_on == TODAY and plan.history.first().history_user == alice


def test_the_same_review_date_corrects_the_plan_in_place(client, alice, customer, plan):
    client.force_login(alice)
    form = client.get(url("account_plan_edit", customer), headers=HTMX).context["form"]
    assert form["customer_strategy"].value() == "Move into e-axles"
    data = plan_data(reviewed_on=iso(plan.reviewed_on), version=form["version"].value())
    assert client.post(url("account_plan_edit", customer), data, headers=HTMX).status_code == 200
    plan.refresh_from_db()
    assert AccountPlan.objects.filter(customer=customer).count() == 1
    assert plan.customer_strategy == "Expand into Southeast Asia"


def test_a_later_review_keeps_the_earlier_plan_as_history(client, alice, customer, plan):
    client.force_login(alice)
    response = client.post(url("account_plan_edit", customer), plan_data(version=version_of(plan)), headers=HTMX)
    assert response.status_code == 200
    plans = list(AccountPlan.objects.filter(customer=customer).order_by("reviewed_on"))
    assert [(p.reviewed_on, p.customer_strategy) for p in plans] == [
        (plan.reviewed_on, "Move into e-axles"),
        (TODAY, "Expand into Southeast Asia"),
    ]
    assert "Earlier reviews" in response.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reviewed_on": iso(TODAY + timedelta(days=1))}, "reviewed_on", "in the future"),
        ({"next_review_on": iso(TODAY)}, "next_review_on", "must come after the last one"),
        ({"next_review_on": iso(days_ago(5))}, "next_review_on", "must come after the last one"),
        ({"reviewed_on": iso(days_ago(150))}, "reviewed_on", "cannot be dated before it"),
        ({"our_actions": "   "}, "our_actions", "required"),
        ({"next_review_on": "9999-12-31"}, "next_review_on", "Give a date between 1900-01-01 and"),
        ({"reviewed_on": "1899-12-31"}, "reviewed_on", "Give a date between 1900-01-01 and"),
    ],
    ids=[
        "future-review",
        "next-equals-last",
        "next-before-last",
        "before-last-review",
        "blank-actions",
        "next-review-9999",
        "reviewed-1899",
    ],
)
def test_bad_plan_input_is_refused_and_nothing_changes(client, alice, customer, plan, overrides, field, message):
    client.force_login(alice)
    data = plan_data(version=version_of(plan), **overrides)
    response = client.post(url("account_plan_edit", customer), data, headers=HTMX)
    assert response.status_code == INVALID
    assert message in " ".join(response.context["form"].errors[field])
    assert response.headers["HX-Retarget"] == "#plan-editor"
    assert 'value="' + data["reviewed_on"] + '"' in response.text  # what was typed is kept
    assert list(AccountPlan.objects.values_list("customer_strategy", flat=True)) == ["Move into e-axles"]


def test_a_stale_plan_edit_is_refused_and_shows_the_other_change(client, alice, bob, customer, plan):
    client.force_login(alice)
    version = client.get(url("account_plan_edit", customer), headers=HTMX).context["form"]["version"].value()
    plan.our_actions = "Bob's newer actions"
    plan.save()
    data = plan_data(reviewed_on=iso(plan.reviewed_on), version=version)
    response = client.post(url("account_plan_edit", customer), data, headers=HTMX)
    assert response.status_code == INVALID
    assert str(STALE_EDIT_MESSAGE) in response.text.replace("&#x27;", "'")
    assert "Bob&#x27;s newer actions" in response.text
    plan.refresh_from_db()
    assert plan.customer_strategy == "Move into e-axles" and AccountPlan.objects.count() == 1


def test_a_first_plan_written_meanwhile_by_someone_else_is_not_duplicated(client, alice, customer):
    client.force_login(alice)
    assert client.get(url("account_plan_edit", customer), headers=HTMX).context["form"]["version"].value() == ""
    f.AccountPlanFactory(customer=customer, customer_strategy="Bob's plan", reviewed_on=days_ago(1))
    response = client.post(url("account_plan_edit", customer), plan_data(version=""), headers=HTMX)
    assert response.status_code == INVALID and "Someone else changed this record" in response.text
    assert list(AccountPlan.objects.values_list("customer_strategy", flat=True)) == ["Bob's plan"]


def test_a_full_page_plan_edit_redirects_to_the_section(client, alice, customer):
    client.force_login(alice)
    response = client.post(url("account_plan_edit", customer), plan_data(version=""))
    assert response.status_code == 302
    assert response.url == reverse("customer_detail", args=[customer.pk]) + "#section-strategy"


# Product needs -----------------------------------------------------------------------------------


def test_a_need_is_added_with_its_product(client, alice, customer):
    product = f.ProductFactory(name="Grease FG-2")
    client.force_login(alice)
    response = client.post(url("need_create", customer), need_data(product=product.pk), headers=HTMX)
    assert response.status_code == 200 and "Food-grade grease" in response.text
    need = ProductNeed.objects.get(customer=customer)
    assert (need.status, need.product, need.met_on) == ("unmet", product, None)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"identified_on": iso(TODAY + timedelta(days=1))}, "identified_on", "in the future"),
        ({"status": "met"}, "met_on", "Give the date the need was met"),
        ({"status": "met", "met_on": iso(days_ago(5))}, "met_on", "cannot be met before"),
        ({"status": "met", "met_on": iso(TODAY + timedelta(days=1))}, "met_on", "in the future"),
        ({"status": "planned", "met_on": iso(TODAY)}, "met_on", "leave this empty"),
        ({"description": " "}, "description", "required"),
        ({"identified_on": "1899-12-31"}, "identified_on", "Give a date between 1900-01-01 and"),
    ],
    ids=[
        "future-identified",
        "met-without-date",
        "met-before-identified",
        "met-in-future",
        "open-with-date",
        "blank",
        "identified-1899",
    ],
)
def test_bad_need_input_is_refused_and_nothing_is_written(client, alice, customer, overrides, field, message):
    client.force_login(alice)
    response = client.post(url("need_create", customer), need_data(**overrides), headers=HTMX)
    assert response.status_code == INVALID
    assert message in " ".join(response.context["form"].errors[field])
    assert response.headers["HX-Retarget"] == "#needs-editor"
    assert not ProductNeed.objects.exists()


def test_a_need_is_marked_met_on_a_date(client, alice, customer, need):
    client.force_login(alice)
    data = {"status": "met", "met_on": iso(days_ago(1)), "product": "", "version": version_of(need)}
    response = client.post(url("need_status", customer, need.pk), data, headers=HTMX)
    assert response.status_code == 200
    need.refresh_from_db()
    assert (need.status, need.met_on) == ("met", days_ago(1))
    assert need.history.first().history_user == alice


def test_moving_a_met_need_back_to_planned_clears_its_date(client, alice, customer):
    need = f.ProductNeedFactory(customer=customer, status="met", identified_on=days_ago(9), met_on=days_ago(2))
    client.force_login(alice)
    data = {"status": "planned", "met_on": "", "version": version_of(need)}
    assert client.post(url("need_status", customer, need.pk), data, headers=HTMX).status_code == 200
    need.refresh_from_db()
    assert (need.status, need.met_on) == ("planned", None)


@pytest.mark.parametrize(
    ("met_on", "message"),
    [(61, "cannot be met before"), (-1, "in the future"), (None, "Give the date the need was met")],
    ids=["before-identified", "future", "missing"],
)
def test_a_need_cannot_be_met_on_an_impossible_date(client, alice, customer, need, met_on, message):
    client.force_login(alice)
    data = {"status": "met", "met_on": iso(days_ago(met_on)) if met_on is not None else "", "version": version_of(need)}
    response = client.post(url("need_status", customer, need.pk), data, headers=HTMX)
    assert response.status_code == INVALID and message in response.text
    need.refresh_from_db()
    assert (need.status, need.met_on) == ("unmet", None)


def test_a_stale_need_status_change_is_refused(client, alice, customer, need):
    client.force_login(alice)
    version = version_of(need)
    need.status = "planned"
    need.save()
    data = {"status": "met", "met_on": iso(TODAY), "version": version}
    response = client.post(url("need_status", customer, need.pk), data, headers=HTMX)
    assert response.status_code == INVALID and "Someone else changed this record" in response.text
    need.refresh_from_db()
    assert need.status == "planned" and need.met_on is None
    assert response.context["form"]["status"].value() == "planned"


# Incentives --------------------------------------------------------------------------------------


def test_an_incentive_is_added(client, alice, customer):
    client.force_login(alice)
    response = client.post(url("incentive_create", customer), incentive_data(), headers=HTMX)
    assert response.status_code == 200 and "Trade fair booth" in response.text
    incentive = Incentive.objects.get(customer=customer)
    assert (incentive.kind, incentive.value) == ("co_promotion", Decimal("12000"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_on": iso(days_ago(1))}, "ends_on", "cannot end before it starts"),
        ({"value": "0"}, "value", "greater than or equal to 0.01"),
        ({"value": "-5"}, "value", "greater than or equal to 0.01"),
        ({"kind": "bribe"}, "kind", "valid choice"),
        ({"ends_on": "9999-12-31"}, "ends_on", "Give a date between 1900-01-01 and"),
        ({"starts_on": "1899-12-31"}, "starts_on", "Give a date between 1900-01-01 and"),
    ],
    ids=["ends-before-starts", "zero-value", "negative-value", "bad-kind", "ends-9999", "starts-1899"],
)
def test_bad_incentive_input_is_refused_and_nothing_is_written(client, alice, customer, overrides, field, message):
    client.force_login(alice)
    response = client.post(url("incentive_create", customer), incentive_data(**overrides), headers=HTMX)
    assert response.status_code == INVALID
    assert message in " ".join(response.context["form"].errors[field])
    assert response.headers["HX-Retarget"] == "#incentives-editor"
    assert not Incentive.objects.exists()


def test_an_incentive_is_edited(client, alice, customer, incentive):
    client.force_login(alice)
    form = client.get(url("incentive_edit", customer, incentive.pk), headers=HTMX).context["form"]
    assert form["description"].value() == "Volume rebate"
    data = incentive_data(
        kind="rebate", value="7500", starts_on=iso(incentive.starts_on), version=form["version"].value()
    )
    assert client.post(url("incentive_edit", customer, incentive.pk), data, headers=HTMX).status_code == 200
    incentive.refresh_from_db()
    assert incentive.value == Decimal("7500") and incentive.history.first().history_user == alice


def test_an_incentive_edit_with_the_end_before_the_start_changes_nothing(client, alice, customer, incentive):
    client.force_login(alice)
    data = incentive_data(starts_on=iso(TODAY), ends_on=iso(days_ago(3)), version=version_of(incentive))
    response = client.post(url("incentive_edit", customer, incentive.pk), data, headers=HTMX)
    assert response.status_code == INVALID and "cannot end before it starts" in response.text
    incentive.refresh_from_db()
    assert incentive.starts_on == days_ago(30)


def test_a_stale_incentive_edit_is_refused(client, alice, customer, incentive):
    client.force_login(alice)
    version = version_of(incentive)
    incentive.value = Decimal("6000")
    incentive.save()
    data = incentive_data(value="1", version=version)
    response = client.post(url("incentive_edit", customer, incentive.pk), data, headers=HTMX)
    assert response.status_code == INVALID and "Someone else changed this record" in response.text
    incentive.refresh_from_db()
    assert incentive.value == Decimal("6000")


def test_a_running_incentive_is_ended_early_today(client, alice, customer, incentive):
    client.force_login(alice)
    data = {"version": version_of(incentive)}
    response = client.post(url("incentive_end", customer, incentive.pk), data, headers=HTMX)
    assert response.status_code == 200
    incentive.refresh_from_db()
    assert incentive.ends_on == TODAY
    assert incentive.history.first().history_change_reason == "ended early"


def test_a_planned_incentive_cannot_be_ended_early(client, alice, customer):
    planned = f.IncentiveFactory(
        customer=customer, starts_on=TODAY + timedelta(days=3), ends_on=TODAY + timedelta(days=9)
    )
    client.force_login(alice)
    response = client.post(url("incentive_end", customer, planned.pk), {"version": version_of(planned)}, headers=HTMX)
    assert response.status_code == INVALID and "has not started yet" in response.text
    planned.refresh_from_db()
    assert planned.ends_on == TODAY + timedelta(days=9)


def test_a_stale_end_early_is_refused(client, alice, customer, incentive):
    client.force_login(alice)
    version = version_of(incentive)
    incentive.ends_on = TODAY + timedelta(days=90)
    incentive.save()
    response = client.post(url("incentive_end", customer, incentive.pk), {"version": version}, headers=HTMX)
    assert response.status_code == INVALID and "Someone else changed this record" in response.text
    incentive.refresh_from_db()
    assert incentive.ends_on == TODAY + timedelta(days=90)


# Query counts ------------------------------------------------------------------------------------

# session, user, the user's roles, the customer, plans, needs (with products), incentives
SECTION_QUERIES = 7


@pytest.mark.parametrize("n", [3, 30])
def test_the_strategy_section_takes_the_same_queries_for_3_and_30_rows(
    client, alice, customer, n, django_assert_num_queries
):
    for i in range(n):
        f.AccountPlanFactory(customer=customer, reviewed_on=days_ago(10 + i))
        f.ProductNeedFactory(customer=customer, product=f.ProductFactory(), status=["unmet", "planned"][i % 2])
        f.IncentiveFactory(customer=customer, starts_on=days_ago(40 + i), ends_on=days_ago(i - 20))
    client.force_login(alice)
    with django_assert_num_queries(SECTION_QUERIES):
        response = client.get(url("strategy_section", customer), headers=HTMX)
    assert response.text.count("Change status") == n and response.text.count(">Edit</a>") == n


# session, user, roles, customer, the need, the products of the form
NEED_FORM_QUERIES = 6


@pytest.mark.parametrize("n", [3, 30])
def test_the_need_status_form_takes_the_same_queries_for_3_and_30_products(
    client, alice, customer, need, n, django_assert_num_queries
):
    f.ProductFactory.create_batch(n)
    client.force_login(alice)
    with django_assert_num_queries(NEED_FORM_QUERIES):
        response = client.get(url("need_status", customer, need.pk), headers=HTMX)
    # the products (and "none"), and the three statuses
    assert response.text.count("<option") == n + 1 + len(ProductNeed.Status.choices)
