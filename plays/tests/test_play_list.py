"""My plays at any size: a person's plays are those they own and those with an open step of theirs,
on customers they see; open soonest due first, closed latest first; one page costs the same
queries however many plays there are."""

from datetime import timedelta

import pytest
from django.urls import reverse

from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from plays.models import Play
from plays.selectors import SHOW_ALL, STATUS_CLOSED, STATUS_OPEN, STATUS_OVERDUE, plays_for

TODAY = business_today()


def test_mine_is_what_i_own_and_what_has_an_open_step_of_mine(alice, bob, customer):
    owned = f.PlayFactory(customer=customer, owner=alice, due_on=TODAY + timedelta(days=9))
    stepped = f.PlayFactory(customer=customer, owner=bob, due_on=TODAY + timedelta(days=3))
    f.PlayStepFactory(play=stepped, assignee=alice)
    step_done = f.PlayFactory(customer=customer, owner=bob)
    f.PlayStepFactory(play=step_done, assignee=alice, done_on=TODAY)
    f.PlayFactory(customer=customer, owner=bob)  # bob's alone
    closed = f.PlayFactory(customer=customer, owner=alice, status=Play.Status.DONE, closed_on=TODAY, outcome="ok")
    mine = list(plays_for(alice, today=TODAY))
    assert mine == [stepped, owned]
    assert mine[0].steps_total == 1 and mine[0].steps_done == 0
    assert list(plays_for(alice, status=STATUS_CLOSED, today=TODAY)) == [closed]
    # Owned on a customer alice no longer sees: not listed.
    elsewhere = f.PlayFactory(customer=f.CustomerFactory(owner=bob), owner=alice)
    assert elsewhere not in plays_for(alice, today=TODAY)


def test_an_executive_sees_every_open_play_and_the_overdue_ones(erin, alice, customer):
    late = f.PlayFactory(
        customer=customer, owner=alice, opened_on=TODAY - timedelta(days=20), due_on=TODAY - timedelta(days=1)
    )
    soon = f.PlayFactory(customer=customer, owner=alice)
    assert list(plays_for(erin, show=SHOW_ALL, status=STATUS_OPEN, today=TODAY)) == [late, soon]
    assert list(plays_for(erin, show=SHOW_ALL, status=STATUS_OVERDUE, today=TODAY)) == [late]


@pytest.mark.parametrize("n", [3, 30])
def test_my_plays_costs_the_same_queries_for_3_and_30_plays(client, alice, customer, n, django_assert_num_queries):
    for i in range(n):
        play = f.PlayFactory(customer=customer, owner=alice, due_on=TODAY + timedelta(days=1 + i % 20))
        f.PlayStepFactory(play=play, assignee=alice, done_on=TODAY if i % 2 else None)
    client.force_login(alice)
    with django_assert_num_queries(MY_PLAYS_QUERIES):
        response = client.get(reverse("my_plays"))
    assert response.status_code == 200 and response.content.decode().count("1 of 1") == n // 2


MY_PLAYS_QUERIES = 5


def test_all_i_can_see_is_every_play_at_the_customers_an_account_manager_sees(client, alice, tina, oscar):
    """Tina is on the team of alice's customer: "mine" lists what is hers, "all I can see" alice's
    plays there too; oscar, on neither, sees none of them either way."""
    customer = f.CustomerFactory(owner=alice, team=[tina])
    alices = f.PlayFactory(customer=customer, owner=alice)
    tinas = f.PlayFactory(customer=customer, owner=tina, due_on=TODAY + timedelta(days=30))
    elsewhere = f.PlayFactory(customer=f.CustomerFactory(owner=oscar), owner=oscar)
    assert list(plays_for(tina, today=TODAY)) == [tinas]
    assert list(plays_for(tina, show=SHOW_ALL, today=TODAY)) == [alices, tinas]
    assert list(plays_for(oscar, show=SHOW_ALL, today=TODAY)) == [elsewhere]
    client.force_login(tina)
    html = client.get(reverse("my_plays"), {"show": SHOW_ALL}).text
    assert f'href="{reverse("play_detail", args=[alices.pk])}"' in html
    assert f'href="{reverse("play_detail", args=[elsewhere.pk])}"' not in html
