"""The notification centre: each person reads, counts and clears their own notifications only."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from complaints.models import Notification
from complaints.notifications import BADGE_LIMIT, emails_send, notify, unread_count
from keyaccounts.tests import factories as f


@pytest.fixture
def ticket(customer):
    return f.TicketFactory(customer=customer, subject="Scratched gear covers")


def note(user, text="Call the customer back", **kwargs):
    return notify(recipients=[user], text=text, **kwargs)[0]


def test_notify_writes_one_notification_per_recipient_even_when_named_twice(alice, bob, oscar, ticket):
    created = notify(recipients=[alice, bob, alice.pk, None], text="Quality review at 3 pm", ticket=ticket, link="/x/")
    assert sorted(n.recipient.username for n in created) == ["alice", "bob"]
    assert not Notification.objects.filter(recipient=oscar).exists()
    stored = Notification.objects.get(recipient=alice)
    assert (stored.params["text"], stored.ticket_id, stored.link, stored.read_at) == (
        "Quality review at 3 pm",
        ticket.pk,
        "/x/",
        None,
    )


def test_notify_with_nobody_to_tell_writes_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify(recipients=[], text="Nobody hears this") == []


def test_notify_emails_after_commit_to_recipients_with_an_address_only(alice, bob, django_capture_on_commit_callbacks):
    bob.email = ""
    bob.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[alice, bob], text="The customer called twice about the late rotors")
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject.startswith("[KeyAccounts] ")
    assert "The customer called twice about the late rotors" in email.body
    assert "/notifications/" in email.body
    assert Notification.objects.get(recipient=alice).emailed_at is not None
    assert Notification.objects.get(recipient=bob).emailed_at is None


def test_an_email_is_not_sent_twice_when_the_task_is_retried(alice):
    notification = note(alice)
    assert emails_send(notification_ids=[notification.pk]) == 1
    assert emails_send(notification_ids=[notification.pk]) == 0
    assert len(mail.outbox) == 1


def test_a_line_break_in_a_name_does_not_stop_the_batch(alice, bob):
    # A customer named with a line break (imported, or typed before names were checked) lands in
    # the subject; a header cannot hold one, and it must not stop the other e-mails.
    broken = notify(
        recipients=[alice],
        kind=Notification.Kind.ASSIGNED,
        params={"number": 7, "subject": "Seal", "customer": "Ningbo\nBearings", "by": "Sam"},
    )[0]
    plain = note(bob, text="Quality review at 3 pm")

    assert emails_send(notification_ids=[broken.pk, plain.pk]) == 2

    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_inactive_people_get_no_email(alice):
    alice.is_active = False
    alice.save()
    assert emails_send(notification_ids=[note(alice).pk]) == 0 and mail.outbox == []


def test_the_centre_lists_only_the_users_own_notifications_newest_first(client, alice, bob):
    older = note(alice, "First thing", at=timezone.now() - timedelta(hours=2))
    newer = note(alice, "Second thing")
    note(bob, "Bob's private matter")
    client.force_login(alice)
    response = client.get(reverse("notification_list"))
    assert response.status_code == 200
    assert [i["notification"].pk for i in response.context["items"]] == [newer.pk, older.pk]
    page = response.content.decode()
    assert "Second thing" in page and "First thing" in page and "Bob&#x27;s private matter" not in page
    assert response.context["unread"] == 2


def test_the_unread_filter_hides_read_notifications(client, alice):
    read = note(alice, "Already seen")
    note(alice, "Not seen yet")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client.force_login(alice)
    page = client.get(reverse("notification_list"), {"unread": "1"}).content.decode()
    assert "Not seen yet" in page and "Already seen" not in page


def test_the_badge_counts_unread_notifications_and_caps_the_number(client, alice, bob):
    client.force_login(alice)
    assert client.get(reverse("notification_badge")).content.decode().strip() == ""
    note(alice)
    note(alice)
    note(bob)
    badge = client.get(reverse("notification_badge")).content.decode()
    assert 'data-testid="notification-count">2<' in badge
    notify(recipients=[alice], text="x")  # a third
    Notification.objects.bulk_create(
        [Notification(recipient=alice, kind="message", params={"text": "x"}, created_at=timezone.now())] * BADGE_LIMIT
    )
    assert unread_count(user=alice) == (BADGE_LIMIT, True)
    assert f">{BADGE_LIMIT}+<" in client.get(reverse("notification_badge")).content.decode()


def test_every_page_loads_the_badge_after_the_page(client, alice):
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("notification_badge")}"' in page
    assert reverse("notification_list") in page


def test_marking_one_read_clears_it_from_the_count_and_tells_the_badge(client, alice):
    first, second = note(alice, "One"), note(alice, "Two")
    client.force_login(alice)
    response = client.post(reverse("notification_read", args=[first.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "notifications-read" in response["HX-Trigger"]
    assert "Mark read" not in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert unread_count(user=alice) == (1, False)
    # Marking it again keeps the first time it was read.
    read_at = first.read_at
    client.post(reverse("notification_read", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == read_at


def test_mark_all_read_clears_only_the_users_own(client, alice, bob):
    note(alice)
    note(alice)
    bobs = note(bob)
    client.force_login(alice)
    response = client.post(reverse("notification_read_all"))
    assert response.status_code == 302 and response["Location"] == reverse("notification_list")
    assert unread_count(user=alice) == (0, False)
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, alice, ticket):
    notification = note(alice, ticket=ticket, link=f"/customers/{ticket.customer_id}/#section-timeline")
    client.force_login(alice)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{ticket.customer_id}/#section-timeline"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_link_to_another_site_is_not_followed(client, alice):
    notification = note(alice, link="https://evil.example.com/")
    client.force_login(alice)
    response = client.post(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("notification_list")


@pytest.mark.parametrize("who", ["bob", "tina", "oscar", "erin", "sam"])
@pytest.mark.parametrize("action", ["notification_read", "notification_open"])
def test_nobody_reads_or_opens_someone_elses_notification(client, request, alice, who, action):
    alices = note(alice, "For alice only")
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse(action, args=[alices.pk])).status_code == 404
    alices.refresh_from_db()
    assert alices.read_at is None


def test_a_missing_notification_is_a_404_too(client, alice):
    client.force_login(alice)
    assert client.post(reverse("notification_read", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["notification_read", "notification_open", "notification_read_all"])
def test_changes_need_a_post(client, alice, name):
    notification = note(alice)
    client.force_login(alice)
    args = [] if name == "notification_read_all" else [notification.pk]
    assert client.get(reverse(name, args=args)).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.parametrize("name", ["notification_list", "notification_badge"])
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("count", [3, 40])
def test_the_centre_and_the_badge_cost_the_same_queries_for_few_and_many(
    client, alice, count, django_assert_num_queries
):
    for i in range(count):
        note(alice, f"Message {i}")
    client.force_login(alice)
    # session, user, roles (navigation), unread count, paginator count, the page
    with django_assert_num_queries(6):
        assert client.get(reverse("notification_list")).status_code == 200
    with django_assert_num_queries(4):  # session, user, roles (context processor), unread count
        assert client.get(reverse("notification_badge")).status_code == 200


def test_admin_staff_who_are_not_admins_see_only_their_own_notifications(client, alice, bob):
    from django.contrib.auth.models import Permission

    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(Permission.objects.get(codename="view_notification"))
    mine, bobs = note(alice, "mine"), note(bob, "bob's")
    client.force_login(alice)
    changelist = client.get(reverse("admin:complaints_notification_changelist"))
    assert list(changelist.context["cl"].result_list) == [mine]
    assert client.get(reverse("admin:complaints_notification_change", args=[bobs.pk])).status_code == 302


def test_an_escalation_reads_in_chinese_for_a_chinese_reader(client, alice, ticket):
    notify(
        recipients=[alice],
        kind="escalation",
        params={"number": ticket.pk, "subject": "划痕", "customer": "宁波轴承", "step": 3, "reason": "resolution_late"},
        ticket=ticket,
    )
    client.force_login(alice)
    page = client.get(reverse("notification_list"), headers={"accept-language": "zh-hans"}).content.decode()
    assert "解决已逾期" in page and "升级第 3 级：客户负责人和备份负责人" in page


def test_many_notifications_are_emailed_in_batches_of_one_task_each(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from complaints import notifications, tasks

    monkeypatch.setattr(notifications, "EMAIL_BATCH", 3)
    people = [f.UserFactory() for _ in range(7)]
    batches = []
    real_delay = tasks.send_notification_emails.delay
    monkeypatch.setattr(tasks.send_notification_emails, "delay", lambda ids: batches.append(ids) or real_delay(ids))
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=people, text="Plant visit moved to Thursday")
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_notifications_left_unmailed_are_caught_up_later(db, alice, bob, tina):
    """Their task could not be queued (the broker was down): the periodic catch-up mails them once."""
    from complaints import tasks

    now = timezone.now()
    due = notify(recipients=[alice, bob], text="Plant visit moved", at=now - timedelta(minutes=30))
    notify(recipients=[tina], text="Too fresh: its own task may still run", at=now - timedelta(minutes=2))
    notify(recipients=[tina], text="Too old to send now", at=now - timedelta(days=3))
    Notification.objects.update(emailed_at=None)
    mail.outbox.clear()
    assert tasks.send_unsent_notification_emails.delay().get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert set(Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True)) == {
        n.pk for n in due
    }
    mail.outbox.clear()
    assert tasks.send_unsent_notification_emails.delay().get() == 0 and mail.outbox == []
