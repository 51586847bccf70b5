"""Benchmark the SLA escalation task and the complaint analytics page on a large ticket table.

    manage.py seed_demo --customers 100000           # ~250,000 tickets
    manage.py bench_escalation --tickets 500000      # top up to 500,000, then time

Tickets are added set-based (one INSERT … SELECT over generate_series): most of them closed over
the last three years, ``--open`` of them opened in the last ten days and still running, so many
are near or past their SLA deadlines. Then the escalation run is timed three times: with everything
due at once, again at the same moment (nothing new), and five minutes later (a normal run's load),
each with its queries counted; the notification emails are timed apart, and the analytics page for
an executive (every customer) and an account manager. Writes to the database: run it on a database
of its own (PostgreSQL).
"""

import statistics
import time
from datetime import timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer
from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_EXECUTIVE, ROLE_SERVICE_DESK
from complaints import tasks
from complaints.analytics import complaint_analytics, filters_from
from complaints.escalation import tickets_escalate
from complaints.models import DepartmentHead, Notification, Ticket, TicketEscalation, TicketEvent
from complaints.notifications import emails_send
from keyaccounts.clock import business_today

# One statement adds the tickets. Windows are drawn from the demo SLA policies' range; open tickets
# are spread over the last ten days, so the ladder finds them at every step.
TOP_UP = """
WITH customers AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM accounts_customer),
drawn AS (
    SELECT g,
           c.ids[1 + floor(random() * c.n)::int] AS customer_id,
           g <= %(open)s AS running,
           (ARRAY[2, 4, 8, 12, 24, 48, 72])[1 + floor(random() * 7)::int] AS response_hours,
           (ARRAY[4, 6, 8, 12])[1 + floor(random() * 4)::int] AS resolution_factor,
           (ARRAY['product_quality', 'product_quality', 'delivery', 'service', 'price', 'other'])
               [1 + floor(random() * 6)::int] AS category,
           (ARRAY['low', 'medium', 'medium', 'high', 'critical'])[1 + floor(random() * 5)::int] AS severity,
           (ARRAY['new', 'acknowledged', 'in_progress', 'in_progress', 'waiting_customer'])
               [1 + floor(random() * 5)::int] AS open_status,
           random() AS r1, random() AS r2, random() AS r3
    FROM generate_series(1, %(count)s) AS g CROSS JOIN customers c
),
timed AS (
    SELECT *,
           CASE WHEN running THEN %(now)s::timestamptz - r1 * interval '10 days'
                ELSE %(now)s::timestamptz - interval '20 days' - r1 * interval '3 years' END AS opened
    FROM drawn
)
INSERT INTO complaints_ticket (
    customer_id, contact_id, kind, category, severity, channel, subject, description, status, department,
    assigned_to_id, opened_at, response_due_at, resolution_due_at, first_response_at, escalated_at,
    escalation_level, resolved_at, closed_at, onsite_requested, onsite_done_at, root_cause, satisfaction
)
SELECT customer_id, NULL, CASE WHEN r3 < 0.8 THEN 'complaint' ELSE 'service_request' END, category, severity,
       'hotline', 'Benchmark ticket ' || g, '',
       CASE WHEN running THEN open_status ELSE 'closed' END,
       CASE category WHEN 'product_quality' THEN 'production' WHEN 'delivery' THEN 'logistics'
                     WHEN 'price' THEN 'sales' ELSE 'service' END,
       NULL, opened,
       opened + response_hours * interval '1 hour',
       opened + response_hours * resolution_factor * interval '1 hour',
       CASE WHEN running AND (open_status = 'new' OR r2 < 0.3) THEN NULL
            ELSE LEAST(opened + r2 * 1.3 * response_hours * interval '1 hour', %(now)s::timestamptz) END,
       NULL, 0,
       CASE WHEN running THEN NULL
            ELSE opened + r2 * 1.3 * response_hours * resolution_factor * interval '1 hour' END,
       CASE WHEN running THEN NULL
            ELSE opened + r2 * 1.3 * response_hours * resolution_factor * interval '1 hour' + interval '1 day' END,
       false, NULL, '',
       CASE WHEN running THEN NULL ELSE 1 + floor(r3 * 5)::int END
FROM timed
"""


class Command(BaseCommand):
    help = "Time the SLA escalation task (first and repeated run) and the complaint analytics page (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=500_000, help="top the ticket table up to this many")
        parser.add_argument("--open", type=int, default=15_000, help="how many of the added tickets are running")
        parser.add_argument("--repeat", type=int, default=5, help="timed requests per analytics page")
        parser.add_argument("--keep", action="store_true", help="keep earlier benchmark escalations (default: clear)")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
        if not Customer.objects.exists():
            raise CommandError("No customers: seed first, e.g. manage.py seed_demo --customers 100000")
        now = timezone.now()
        self._top_up(options["tickets"], options["open"], now)
        self._department_heads()
        if not options["keep"]:
            self._clear()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE complaints_ticket; ANALYZE complaints_ticketescalation")
        self._time_escalation(now)
        self._time_analytics(options["repeat"])

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _top_up(self, target: int, running: int, now) -> None:
        have = Ticket.objects.count()
        missing = max(0, target - have)
        if missing:
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(TOP_UP, {"count": missing, "open": min(running, missing), "now": now})
            elapsed = time.perf_counter() - started
            self._say(f"added {missing:,} tickets ({min(running, missing):,} running) in {elapsed:.1f} s")
        total = Ticket.objects.count()
        running_now = Ticket.objects.filter(status__in=["new", "acknowledged", "in_progress"]).count()
        waiting = Ticket.objects.filter(status="waiting_customer").count()
        self._say(f"tickets: {total:,}; running: {running_now:,}; waiting for the customer: {waiting:,}")

    def _department_heads(self) -> None:
        """One head per department if none are set: the first service desk users in turn."""
        if DepartmentHead.objects.exists():
            return
        desk = list(get_user_model().objects.filter(groups__name=ROLE_SERVICE_DESK).order_by("pk")[:5])
        if not desk:
            return
        DepartmentHead.objects.bulk_create(
            DepartmentHead(department=d, user=desk[i % len(desk)]) for i, d in enumerate(Ticket.Department.values)
        )

    def _clear(self) -> None:
        with transaction.atomic():
            # The history events the escalation task wrote: at the moment of one of its steps.
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.ESCALATION, by__isnull=True, ticket__escalations__at=F("at")
            ).delete()
            Notification.objects.filter(kind=Notification.Kind.ESCALATION).delete()
            TicketEscalation.objects.all().delete()

    def _time_escalation(self, now) -> None:
        queued: list[list[int]] = []
        # The emails go to the worker after commit; here they are collected and timed apart.
        with mock.patch.object(tasks.send_notification_emails, "delay", side_effect=queued.append):
            runs = [
                ("first run", now),
                ("second run (same moment)", now),
                ("next run (five minutes later)", now + timedelta(minutes=5)),
            ]
            for label, moment in runs:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    result = tickets_escalate(now=moment)
                    elapsed = time.perf_counter() - started
                self._say(
                    f"escalation {label}: {elapsed:.2f} s, {len(queries)} queries, {result.tickets:,} tickets, "
                    f"{result.steps:,} steps, {result.notifications:,} notifications"
                )
                slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
                for q in slowest:
                    self._say(f"    {float(q['time']):.3f} s  {' '.join(q['sql'].split())[:110]}")
        ids = [pk for batch in queued for pk in batch]
        if ids:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                started = time.perf_counter()
                sent = emails_send(notification_ids=ids)
                self._say(
                    f"notification emails (rendered, locmem backend): {sent:,} in {time.perf_counter() - started:.2f} s"
                )

    def _time_analytics(self, repeat: int) -> None:
        User = get_user_model()
        executive = User.objects.filter(groups__name=ROLE_EXECUTIVE).order_by("pk").first()
        manager = User.objects.filter(groups__name=ROLE_ACCOUNT_MANAGER).order_by("pk").first()
        url = reverse("complaint_analytics")
        for user in (executive, manager):
            if user is None:
                continue
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            client.get(url)  # warm up
            times, counts = [], []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append(time.perf_counter() - started)
                counts.append(len(queries))
            assert response.status_code == 200, response.status_code
            filters, _form = filters_from(QueryDict(), today=business_today())
            tickets = complaint_analytics(user=user, filters=filters).summary["tickets"]
            self._say(
                f"analytics page as {user.username} ({tickets:,} tickets in the last 12 months): "
                f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
                f"{counts[0]} queries"
            )
