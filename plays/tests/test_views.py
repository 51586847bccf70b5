"""The pages of plays, for every member of the cast: who reads, who writes, what a refused write
says, and what each page costs in queries whatever the number of plays."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.permissions import ROLE_ADMIN
from keyaccounts.clock import business_today
from keyaccounts.editing import STALE_EDIT_MESSAGE, edit_version
from keyaccounts.tests import factories as f
from plays.models import Play, PlayStep

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
CLOSED = "This play is closed; reopen nothing, open a new play instead."


def days(n: int):
    return business_today() + timedelta(days=n)


@pytest.fixture
def admin(db):
    return f.UserFactory(username="ada", role=ROLE_ADMIN)


@pytest.fixture
def play(customer, alice):
    play = f.PlayFactory(customer=customer, owner=alice, title="Win back the gearbox line", due_on=days(3))
    f.PlayStepFactory(play=play, position=1, title="Call the buyer", assignee=alice, due_on=days(1))
    f.PlayStepFactory(play=play, position=2, title="Visit the plant", assignee=alice, due_on=days(2))
    return play


@pytest.fixture
def oscars_play(oscars_customer, oscar):
    return f.PlayFactory(customer=oscars_customer, owner=oscar, title="Oscar's secret play", due_on=days(0))


def urls(play):
    step = play.steps.first()
    return {
        "detail": reverse("play_detail", args=[play.pk]),
        "edit": reverse("play_edit", args=[play.pk]),
        "close": reverse("play_close", args=[play.pk]),
        "start": reverse("play_start", args=[play.pk]),
        "step": reverse("play_step_mark", args=[play.pk, step.pk]),
        "section": reverse("customer_plays", args=[play.customer_id]),
        "create": reverse("play_create", args=[play.customer_id]),
    }


def close_data(play, **kwargs):
    return {"status": "done", "outcome": "Price agreed for 2027", "version": edit_version(play), **kwargs}


def edit_data(play, **kwargs):
    return {
        "owner": play.owner_id,
        "due_on": play.due_on.isoformat(),
        "priority": play.priority,
        "version": edit_version(play),
        **kwargs,
    }


def unchanged(play) -> bool:
    fresh = Play.objects.get(pk=play.pk)
    return edit_version(fresh) == edit_version(play) and not fresh.steps.filter(done_on__isnull=False).exists()


# --- the cast ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_another_managers_play_is_not_found_for_reading_and_for_writing(client, play, oscar, headers):
    client.force_login(oscar)
    u = urls(play)
    for name in ("detail", "edit", "close", "section", "create"):
        assert client.get(u[name], headers=headers).status_code == 404, name
    posts = {
        "edit": edit_data(play, owner=oscar.pk),
        "close": close_data(play),
        "start": {},
        "step": {"done": "1"},
        "create": {
            "title": "Steal it",
            "owner": oscar.pk,
            "due_on": days(5).isoformat(),
            "countermeasure": 1,
            "priority": 2,
        },
    }
    for name, data in posts.items():
        assert client.post(u[name], data, headers=headers).status_code == 404, name
    assert unchanged(play) and Play.objects.count() == 1


def test_another_managers_play_never_shows_in_his_lists_today_or_badge(client, play, oscar, oscars_play):
    client.force_login(oscar)
    for url in (reverse("my_plays"), reverse("my_plays") + "?show=all", reverse("plays_due")):
        page = client.get(url).text
        assert "Oscar&#x27;s secret play" in page and "Win back the gearbox line" not in page, url
    assert ">1<" in client.get(reverse("plays_badge")).text


@pytest.mark.parametrize("reader", ["erin", "sam"])
def test_executives_and_the_service_desk_read_plays_but_change_nothing(client, play, reader, request):
    client.force_login(request.getfixturevalue(reader))
    u = urls(play)
    detail = client.get(u["detail"])
    assert detail.status_code == 200 and "Win back the gearbox line" in detail.text
    assert 'data-testid="play-close"' not in detail.text and 'data-testid="step-toggle"' not in detail.text
    section = client.get(u["section"], headers=HTMX)
    assert section.status_code == 200 and "Win back the gearbox line" in section.text
    assert 'data-testid="play-new"' not in section.text
    # Every play they can see, in their list of all plays.
    assert "Win back the gearbox line" in client.get(reverse("my_plays")).text
    for name in ("edit", "close", "create"):
        assert client.get(u[name]).status_code == 403, name
    for name, data in {
        "edit": edit_data(play),
        "close": close_data(play),
        "start": {},
        "step": {"done": "1"},
        "create": {
            "title": "x",
            "owner": play.owner_id,
            "due_on": days(5).isoformat(),
            "countermeasure": 1,
            "priority": 2,
        },
    }.items():
        for headers in ({}, HTMX):
            assert client.post(u[name], data, headers=headers).status_code == 403, name
    assert unchanged(play) and Play.objects.count() == 1


@pytest.mark.parametrize("worker", ["alice", "tina", "ada"])
def test_the_owner_a_team_member_and_an_admin_work_the_play(client, play, worker, request, admin):
    user = request.getfixturevalue(worker) if worker != "ada" else admin
    client.force_login(user)
    u = urls(play)
    detail = client.get(u["detail"])
    assert detail.status_code == 200 and 'data-testid="play-close"' in detail.text
    assert client.get(u["edit"], headers=HTMX).status_code == 200
    assert client.post(u["start"]).status_code == 302
    assert Play.objects.get(pk=play.pk).status == Play.Status.IN_PROGRESS
    assert Play.objects.get(pk=play.pk).history.first().history_user == user


def test_anonymous_visitors_are_sent_to_sign_in(client, play):
    u = urls(play)
    gets = [reverse("my_plays"), reverse("plays_due"), reverse("plays_badge"), u["detail"], u["edit"], u["close"]]
    for url in [*gets, u["section"], u["create"]]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    for url in (u["start"], u["step"], u["close"]):
        response = client.post(url, {"done": "1"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert unchanged(play)


def test_my_plays_today_and_badge_show_the_owners_plays_due(client, play, alice):
    f.PlayFactory(customer=play.customer, owner=alice, title="Later play", due_on=days(30))
    overdue = f.PlayFactory(customer=play.customer, owner=alice, title="Overdue play", due_on=days(5))
    Play.objects.filter(pk=overdue.pk).update(opened_on=days(-10), due_on=days(-1))
    client.force_login(alice)
    mine = client.get(reverse("my_plays")).text
    assert mine.index("Overdue play") < mine.index("Win back the gearbox line") < mine.index("Later play")
    today = client.get(reverse("plays_due"), headers=HTMX).text
    assert "Win back the gearbox line" in today and "Overdue play" in today and "Later play" not in today
    assert "0 of 2 steps" in today
    assert client.get(reverse("plays_badge")).text == '<span class="badge text-bg-warning ms-1">1</span>'
    overdue_only = client.get(reverse("my_plays"), {"status": "overdue"}).text
    assert "Overdue play" in overdue_only and "Later play" not in overdue_only


# --- writes through the pages -------------------------------------------------------------------------


def test_the_play_page_forms_are_not_nested_in_another_form(client, play, alice):
    client.force_login(alice)
    for name in ("close", "edit", "create"):
        editor = client.get(urls(play)[name], headers=HTMX).text
        assert editor.count("<form") == 1, name


def test_closing_through_the_page_records_the_outcome_and_shows_it(client, play, alice):
    client.force_login(alice)
    response = client.post(urls(play)["close"], close_data(play), headers=HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == urls(play)["detail"]
    page = client.get(urls(play)["detail"]).text
    assert "Play closed." in page and "Price agreed for 2027" in page and 'data-testid="play-close"' not in page
    assert Play.objects.get(pk=play.pk).history.first().history_user == alice


def test_an_invalid_close_answers_422_inline_and_changes_nothing(client, play, alice):
    client.force_login(alice)
    response = client.post(urls(play)["close"], close_data(play, outcome=""), headers=HTMX)
    assert response.status_code == 422 and response["HX-Retarget"] == "#play-editor"
    assert "This field is required." in response.text and 'name="outcome"' in response.text
    assert unchanged(play)


def test_closing_an_already_closed_play_is_refused(client, play, alice, bob):
    client.force_login(alice)
    stale = close_data(play)
    client.post(urls(play)["close"], stale)
    # A second close (another tab, the back button) through htmx: the form says the play is closed.
    again = client.post(urls(play)["close"], {**stale, "outcome": "Again"}, headers=HTMX)
    assert again.status_code == 422 and CLOSED in again.text
    assert Play.objects.get(pk=play.pk).outcome == "Price agreed for 2027"


@pytest.mark.parametrize("name", ["close", "edit", "start", "step"])
def test_a_plain_post_on_a_closed_play_flashes_why_and_goes_back_to_it(client, play, alice, name):
    client.force_login(alice)
    client.post(urls(play)["close"], close_data(play))
    play.refresh_from_db()
    data = {"close": close_data(play), "edit": edit_data(play), "start": {}, "step": {"done": "1"}}[name]
    response = client.post(urls(play)[name], data)
    assert response.status_code == 302 and response["Location"] == urls(play)["detail"]
    # The last word is why this one was refused (the close before it flashed its own).
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == CLOSED
    assert unchanged(play)


def test_a_stale_edit_is_refused_with_nothing_changed(client, play, alice, bob):
    client.force_login(alice)
    data = edit_data(play, owner=bob.pk)
    Play.objects.filter(pk=play.pk).update(priority=1)
    play.refresh_from_db()
    response = client.post(urls(play)["edit"], data, headers=HTMX)
    assert response.status_code == 422 and str(STALE_EDIT_MESSAGE) in response.text.replace("&#x27;", "'")
    assert unchanged(play) and Play.objects.get(pk=play.pk).owner == alice


def test_a_play_cannot_be_given_to_someone_who_may_not_see_the_customer(client, play, alice, oscar, erin):
    client.force_login(alice)
    for outsider in (oscar, erin):
        response = client.post(urls(play)["edit"], edit_data(play, owner=outsider.pk), headers=HTMX)
        assert response.status_code == 422 and "Select a valid choice" in response.text
        created = client.post(
            urls(play)["create"],
            {
                "title": "For him",
                "owner": outsider.pk,
                "due_on": days(5).isoformat(),
                "countermeasure": 1,
                "priority": 2,
            },
            headers=HTMX,
        )
        assert created.status_code == 422 and "Select a valid choice" in created.text
    assert unchanged(play) and Play.objects.count() == 1


@pytest.mark.parametrize(("due", "message"), [(-1, "cannot be in the past"), (400, "more than a year ahead")])
def test_a_bad_due_date_is_refused_inline_when_moving_or_opening(client, play, alice, due, message):
    client.force_login(alice)
    moved = client.post(urls(play)["edit"], edit_data(play, due_on=days(due).isoformat()), headers=HTMX)
    assert moved.status_code == 422 and message in moved.text
    playbook = f.PlaybookFactory()
    f.PlaybookStepFactory(playbook=playbook, day_offset=5)
    for extra in ({}, {"playbook": playbook.pk}):
        data = {
            "title": "New play",
            "owner": alice.pk,
            "due_on": days(due).isoformat(),
            "countermeasure": 1,
            "priority": 2,
        }
        opened = client.post(urls(play)["create"], {**data, **extra}, headers=HTMX)
        assert opened.status_code == 422 and message in opened.text, extra
    assert unchanged(play) and Play.objects.count() == 1


def test_a_step_error_is_shown_on_the_step_it_names(client, play, alice):
    client.force_login(alice)
    data = {
        "title": "Answer the price gap",
        "owner": alice.pk,
        "due_on": days(10).isoformat(),
        "countermeasure": 10,
        "priority": 2,
        "step_1": "Collect offers",
        "step_1_due": days(2).isoformat(),
        "step_2": "Present to the buyer",
        "step_2_due": days(20).isoformat(),
    }
    response = client.post(urls(play)["create"], data, headers=HTMX)
    assert response.status_code == 422
    assert "Step 2 (Present to the buyer): A step cannot be due after its play." in response.text
    assert Play.objects.count() == 1


def test_opening_a_play_on_the_customer_page_with_steps(client, customer, alice, tina):
    client.force_login(alice)
    data = {
        "title": "Answer the price gap",
        "owner": tina.pk,
        "due_on": days(10).isoformat(),
        "countermeasure": 10,
        "priority": 1,
        "step_1": "Collect offers",
        "step_1_due": days(2).isoformat(),
    }
    response = client.post(reverse("play_create", args=[customer.pk]), data, headers=HTMX)
    play = Play.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("play_detail", args=[play.pk])
    assert (play.owner, play.opened_by, play.priority, play.due_on) == (tina, alice, 1, days(10))
    assert list(play.steps.values_list("title", "assignee__username")) == [("Collect offers", "tina")]
    assert play.history.get().history_user == alice


def test_marking_a_step_done_and_undoing_it(client, play, alice):
    client.force_login(alice)
    step = play.steps.get(position=1)
    url = reverse("play_step_mark", args=[play.pk, step.pk])
    response = client.post(url, {"done": "1"})
    assert response.status_code == 302 and response["Location"] == urls(play)["detail"]
    step.refresh_from_db()
    assert (step.done_on, step.done_by) == (days(0), alice)
    page = client.get(urls(play)["detail"]).text
    assert "Step done." in page and "<s>Call the buyer</s>" in page
    client.post(url, {"done": "0"})
    assert PlayStep.objects.get(pk=step.pk).done_on is None


def test_a_step_of_another_play_is_not_found_through_this_one(client, play, alice, customer):
    other = f.PlayFactory(customer=customer, owner=alice)
    foreign = f.PlayStepFactory(play=other)
    client.force_login(alice)
    assert client.post(reverse("play_step_mark", args=[play.pk, foreign.pk]), {"done": "1"}).status_code == 404
    assert PlayStep.objects.get(pk=foreign.pk).done_on is None


# --- queries, whatever the number of plays ------------------------------------------------------------


def _plays(customers, owner, n: int, *, closed: bool = False):
    for i in range(n):
        play = f.PlayFactory(customer=customers[i % len(customers)], owner=owner, title=f"Play {i}", due_on=days(5))
        f.PlayStepFactory(play=play, position=1, assignee=owner, due_on=days(1))
        f.PlayStepFactory(play=play, position=2, assignee=owner, due_on=days(2))
        if closed:
            Play.objects.filter(pk=play.pk).update(status="done", closed_on=days(0), closed_by=owner, outcome="ok")


# Session, user, roles; the count for the pager; the page of plays with their step counts.
MY_PLAYS_QUERIES = 5


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize("status", ["open", "closed"])
def test_my_plays_costs_the_same_queries_for_3_and_30_plays(client, alice, n, status, django_assert_num_queries):
    customers = [f.CustomerFactory(owner=alice) for _ in range(3)]
    _plays(customers, alice, n, closed=status == "closed")
    client.force_login(alice)
    url = reverse("my_plays") + f"?status={status}"
    client.get(url)
    with django_assert_num_queries(MY_PLAYS_QUERIES):
        response = client.get(url)
    assert response.text.count('data-testid="play-row"') == n


# Session, user, roles; the customer; its open plays, their steps with assignees; the closed ones.
SECTION_QUERIES = 7


@pytest.mark.parametrize("n", [3, 30])
def test_the_customer_plays_section_costs_the_same_queries_for_3_and_30_plays(
    client, alice, customer, n, django_assert_num_queries
):
    _plays([customer], alice, n)
    _plays([customer], alice, 2, closed=True)
    client.force_login(alice)
    url = reverse("customer_plays", args=[customer.pk])
    client.get(url, headers=HTMX)
    with django_assert_num_queries(SECTION_QUERIES):
        response = client.get(url, headers=HTMX)
    assert response.text.count('data-testid="customer-play"') == n


# Session, user, roles; the play with its customer, owner, playbook and alert; its steps with their people.
PLAY_PAGE_QUERIES = 5


@pytest.mark.parametrize("n", [3, 30])
def test_the_play_page_costs_the_same_queries_for_3_and_30_steps(
    client, alice, bob, customer, n, django_assert_num_queries
):
    play = f.PlayFactory(customer=customer, owner=alice, due_on=days(40))
    for i in range(n):
        step = f.PlayStepFactory(play=play, position=i, assignee=alice if i % 2 else bob, due_on=days(1 + i))
        if i % 3 == 0:
            PlayStep.objects.filter(pk=step.pk).update(done_on=days(0), done_by=alice)
    client.force_login(alice)
    url = reverse("play_detail", args=[play.pk])
    client.get(url)
    with django_assert_num_queries(PLAY_PAGE_QUERIES):
        response = client.get(url)
    assert response.text.count('data-testid="play-step"') == n


def test_a_play_opened_from_a_today_alert_is_linked_to_it_but_never_to_another_customers(
    client, customer, alice, oscars_customer
):
    mine = f.AlertFactory(customer=customer, as_of=days(0))
    theirs = f.AlertFactory(customer=oscars_customer, as_of=days(0))
    client.force_login(alice)
    data = {"title": "Rescue", "owner": alice.pk, "due_on": days(7).isoformat(), "countermeasure": 7, "priority": 1}
    for alert in (mine, theirs):
        url = reverse("play_create", args=[customer.pk]) + f"?alert={alert.pk}"
        assert client.post(url, data).status_code == 302
    assert sorted(Play.objects.values_list("alert_id", flat=True), key=str) == sorted([mine.pk, None], key=str)


def test_an_htmx_step_or_start_on_a_closed_play_answers_422_with_the_reason(client, play, alice):
    client.force_login(alice)
    client.post(urls(play)["close"], close_data(play))
    play.refresh_from_db()
    for name in ("start", "step"):
        response = client.post(urls(play)[name], {"done": "1"}, headers=HTMX)
        assert response.status_code == 422 and response.text == CLOSED, name
    assert unchanged(play)


def test_a_playbook_play_reads_in_chinese_on_a_chinese_page(client, customer, alice):
    playbook = f.PlaybookFactory()
    play = f.PlayFactory(
        customer=customer, owner=alice, playbook=playbook, title=playbook.name, title_zh=playbook.name_zh
    )
    f.PlayStepFactory(play=play, title="Call the customer's general manager", title_zh="致电客户总经理")
    client.force_login(alice)
    chinese = client.get(urls(play)["detail"], HTTP_ACCEPT_LANGUAGE="zh-hans").text
    assert "挽救新转红的客户" in chinese and "致电客户总经理" in chinese
    english = client.get(urls(play)["detail"], HTTP_ACCEPT_LANGUAGE="en").text
    assert "Rescue a newly red account" in english and "致电客户总经理" not in english
