"""The audit trail of customers: who changed what, and when, through the ORM and through the admin."""

from django.urls import reverse

from accounts.models import Customer, RelationshipLevel
from keyaccounts.tests import factories as f


def latest_change(customer: Customer):
    """The newest historical row of the customer and what it changed against the one before."""
    latest, previous = customer.history.all()[:2]
    return latest, latest.diff_against(previous)


def team_members(historical_customer) -> set[int]:
    return set(historical_customer.account_team.values_list("user_id", flat=True))


def admin_change_form_data(response) -> dict:
    """What a browser would post back, unchanged, from an admin change page.

    Readonly fields are not in the forms; inline formsets post their management form and the
    rows they already show.
    """

    def fields_of(form) -> dict:
        data = {}
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is None:
                data[key] = ""
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)
        return data

    data = fields_of(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        existing = formset.initial_forms
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(existing))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(len(existing))
        for form in existing:
            data.update(fields_of(form))
    return data


def post_admin_change(client, customer, **changes):
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = admin_change_form_data(page) | changes
    response = client.post(url, data)
    errors = response.context and response.context["adminform"].form.errors
    assert response.status_code == 302, f"the admin refused the change: {errors}"
    return response


# Through the ORM --------------------------------------------------------------------------------


def test_editing_a_customer_records_the_changed_field_with_old_and_new_value(customer):
    customer.name = "Shanghai Precision Motors Group"
    customer.save()

    latest, delta = latest_change(customer)
    assert latest.history_type == "~"
    assert delta.changed_fields == ["name"]
    assert (delta.changes[0].old, delta.changes[0].new) == (
        "Shanghai Precision Motors",
        "Shanghai Precision Motors Group",
    )


def test_earlier_versions_stay_readable_after_an_edit(customer):
    customer.relationship_level = RelationshipLevel.STRATEGIC
    customer.save()

    levels = list(customer.history.values_list("relationship_level", flat=True))
    assert levels[0] == RelationshipLevel.STRATEGIC
    assert levels[-1] == RelationshipLevel.SERVICE_NETWORK


def test_adding_a_teammate_is_recorded(customer, tina, oscar):
    customer.account_team.add(oscar)

    latest, delta = latest_change(customer)
    assert delta.changed_fields == ["account_team"]
    assert team_members(latest) == {tina.pk, oscar.pk}


def test_removing_a_teammate_is_recorded(customer, tina):
    customer.account_team.remove(tina)

    latest, delta = latest_change(customer)
    assert delta.changed_fields == ["account_team"]
    assert team_members(latest) == set()


def test_deleting_a_customer_leaves_its_history(db):
    customer = f.CustomerFactory(name="Gone Ltd")
    pk = customer.pk
    customer.delete()

    deleted = Customer.history.filter(id=pk).first()
    assert deleted.history_type == "-"
    assert deleted.name == "Gone Ltd"


# Through an HTTP request ------------------------------------------------------------------------


def test_change_in_the_admin_records_who_made_it(client, superuser, customer):
    client.force_login(superuser)
    post_admin_change(client, customer, name="Shanghai Precision Motors Group")

    latest, delta = latest_change(customer)
    assert latest.history_user == superuser
    assert "name" in delta.changed_fields
    assert latest.name == "Shanghai Precision Motors Group"


def test_team_change_in_the_admin_records_who_made_it(client, superuser, customer, tina, oscar):
    client.force_login(superuser)
    post_admin_change(client, customer, account_team=[str(tina.pk), str(oscar.pk)])

    latest = customer.history.first()
    assert latest.history_user == superuser
    assert team_members(latest) == {tina.pk, oscar.pk}
