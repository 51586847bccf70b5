"""The XLSX export of My accounts as a background job: asked for by a POST, written by a worker
with its progress on the job, shown on a page polled by htmx, downloaded by its owner only (anyone
else gets 404), read with the owner's permissions when it runs, removed a day later."""

import io
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts import tasks
from accounts.models import ExportJob
from accounts.permissions import ROLE_ADMIN
from accounts.views import exports as export_views
from accounts.workspace import export_jobs, exports
from keyaccounts.celery import app
from keyaccounts.tests import factories as f
from keyaccounts.tests.xlsx_export import xlsx_job_url

XLSX_URL = reverse("export_xlsx")


def names_in(response) -> list:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    index = list(rows[0]).index("Customer")
    return [row[index] for row in rows[1:]]


def job_of(url: str) -> ExportJob:
    return ExportJob.objects.get(pk=resolve(url).kwargs["pk"])


def adam():
    """An admin: staff, in the admins group."""
    return f.UserFactory(username="adam", is_staff=True, role=ROLE_ADMIN)


@pytest.fixture
def book(alice, customer, oscars_customer):
    """alice's three customers (two key accounts) beside oscar's one."""
    key = f.CustomerFactory(owner=alice, name="Wuxi Pumps", tier="key")
    other = f.CustomerFactory(owner=alice, name="Dalian Valves", tier="key")
    return [customer, key, other]


def test_the_export_runs_and_its_page_offers_the_download(client, alice, book):
    client.force_login(alice)
    url = xlsx_job_url(client)
    job = job_of(url)
    assert job.owner == alice and job.status == ExportJob.Status.DONE
    assert (job.rows_total, job.rows_written, job.progress) == (3, 3, 1.0)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="export-ready"' in html and "100%" in html
    assert reverse("export_job_status", args=[job.pk]) not in html  # done: no more polling
    download = reverse("export_job_download", args=[job.pk])
    assert download in html
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == export_views.CONTENT_TYPES["xlsx"]
    assert 'filename="customers-' in response["Content-Disposition"]
    assert sorted(names_in(response)) == sorted(c.name for c in book)


def test_the_workbook_holds_the_customers_the_owner_sees_and_no_other(client, oscar, book, oscars_customer):
    client.force_login(oscar)
    assert names_in(client.get(reverse("export_job_download", args=[job_of(xlsx_job_url(client)).pk]))) == [
        oscars_customer.name
    ]


def test_the_filters_and_sort_apply_and_paging_is_dropped(client, alice, book):
    client.force_login(alice)
    job = job_of(xlsx_job_url(client, {"tier": "key", "sort": "name", "page": 2, "per_page": 1}))
    assert job.query == "tier=key&sort=name"
    assert names_in(client.get(reverse("export_job_download", args=[job.pk]))) == ["Dalian Valves", "Wuxi Pumps"]


def test_the_export_reads_the_owners_permissions_when_it_runs(alice, oscar, book):
    from django.http import QueryDict

    job = export_jobs.export_ask(user=alice, params=QueryDict(""), language="en")
    book[1].owner = oscar  # handed over while the job waited in the queue
    book[1].save()
    export_jobs.export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_written == 2
    sheet = load_workbook(export_jobs.file_of(job)).active
    assert sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        [book[0].name, book[2].name]
    )


@pytest.mark.parametrize("name", ["export_job", "export_job_status", "export_job_download"])
def test_another_user_gets_404_for_the_job_its_status_and_its_file(client, alice, oscar, erin, book, name):
    client.force_login(alice)
    job = job_of(xlsx_job_url(client))
    assert client.get(reverse(name, args=[job.pk])).status_code == 200
    for other in (oscar, erin, adam()):
        client.force_login(other)
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


@pytest.mark.parametrize("name", ["export_job", "export_job_status", "export_job_download"])
def test_an_unknown_job_is_404(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(name, args=[987654])).status_code == 404


def test_asking_needs_a_post_and_a_signed_in_user(client, alice):
    assert client.post(XLSX_URL)["Location"].startswith(reverse("login"))
    client.force_login(alice)
    assert client.get(XLSX_URL).status_code == 405
    assert ExportJob.objects.count() == 0


def test_progress_is_recorded_on_the_job_as_rows_are_written(alice, book, monkeypatch):
    from django.http import QueryDict

    monkeypatch.setattr(exports, "XLSX_PROGRESS_EVERY", 1)
    seen = []
    record = export_jobs.set_fields

    def spy(job, **fields):
        record(job, **fields)
        if "rows_written" in fields:
            stored = ExportJob.objects.get(pk=job.pk)
            seen.append((stored.rows_written, stored.rows_total, stored.status))

    monkeypatch.setattr(export_jobs, "set_fields", spy)
    job = export_jobs.export_ask(user=alice, params=QueryDict(""), language="en")
    export_jobs.export_run(job.pk)
    assert seen == [(0, None, "running"), (1, 3, "running"), (2, 3, "running"), (3, 3, "running"), (3, 3, "done")]


def test_the_status_fragment_polls_with_a_progress_bar_while_the_job_runs(client, alice):
    job = ExportJob.objects.create(owner=alice, language="en", status="running", rows_total=200, rows_written=50)
    client.force_login(alice)
    html = client.get(reverse("export_job_status", args=[job.pk])).content.decode()
    status_url = reverse("export_job_status", args=[job.pk])
    assert f'hx-get="{status_url}"' in html and 'hx-trigger="every 1s"' in html
    assert "ka-pct-25" in html and "25%" in html and "50 of 200 customers" in html
    assert "export_job_download" not in html and "customers.xlsx" not in html


def test_too_long_a_list_is_refused_with_a_reason(client, alice, book, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    client.force_login(alice)
    url = xlsx_job_url(client)
    job = job_of(url)
    assert job.status == ExportJob.Status.FAILED and not job.stored_as
    assert "3 customers are too many for an Excel file (at most 2)" in client.get(url).content.decode()
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    assert list(export_jobs.export_dir().glob("*.part")) == []


def test_the_broker_down_fails_the_job_and_says_so(client, alice, book, monkeypatch):
    monkeypatch.setattr(export_views, "enqueue", lambda task, *args: False)
    client.force_login(alice)
    response = client.post(XLSX_URL, follow=True)
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED and job.error
    assert "The background service is unavailable" in response.content.decode()


def test_a_job_delivered_twice_is_written_once(alice, book):
    from django.http import QueryDict

    job = export_jobs.export_ask(user=alice, params=QueryDict(""), language="en")
    export_jobs.export_run(job.pk)
    first = ExportJob.objects.get(pk=job.pk)
    export_jobs.export_run(job.pk)
    assert ExportJob.objects.get(pk=job.pk).stored_as == first.stored_as
    assert len(list(export_jobs.export_dir().glob(f"{first.stored_as}"))) == 1


def test_a_file_is_removed_after_a_day(client, alice, book, settings):
    client.force_login(alice)
    job = job_of(xlsx_job_url(client))
    path = export_jobs.file_of(job)
    assert path.is_file()
    assert tasks.remove_old_exports() == {"removed": 0}
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=settings.EXPORT_KEEP_HOURS))
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404  # refused on access
    assert not path.exists()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED
    assert 'data-testid="export-expired"' in client.get(reverse("export_job", args=[job.pk])).content.decode()


def test_the_hourly_cleanup_removes_old_files(client, alice, book, settings):
    client.force_login(alice)
    old, new = job_of(xlsx_job_url(client)), job_of(xlsx_job_url(client))
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert tasks.remove_old_exports() == {"removed": 1}
    assert not export_jobs.file_of(old).exists() and export_jobs.file_of(new).is_file()
    assert "remove-old-exports" in app.conf.beat_schedule


def test_the_admin_lists_export_jobs_read_only(client, alice, book):
    client.force_login(alice)
    job = job_of(xlsx_job_url(client))
    client.force_login(adam())
    assert client.get(reverse("admin:accounts_exportjob_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_exportjob_change", args=[job.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_exportjob_add")).status_code == 403
    assert client.post(reverse("admin:accounts_exportjob_delete", args=[job.pk]), {"post": "yes"}).status_code == 403
    assert ExportJob.objects.filter(pk=job.pk).exists()


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_the_export_runs_on_a_real_worker_and_downloads(real_worker, client, alice, book):
    client.force_login(alice)
    url = xlsx_job_url(client, {"tier": "key"})
    job = job_of(url)
    deadline = time.monotonic() + 60
    while ExportJob.objects.get(pk=job.pk).is_running:
        assert time.monotonic() < deadline, "the worker did not write the export within a minute"
        time.sleep(0.2)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.progress == 1.0 and job.rows_written == job.rows_total == 2
    assert export_jobs.file_of(job).is_file()
    assert sorted(names_in(client.get(reverse("export_job_download", args=[job.pk])))) == [
        "Dalian Valves",
        "Wuxi Pumps",
    ]


def test_the_list_asks_for_the_workbook_with_a_post_carrying_its_filters(client, alice, book):
    client.force_login(alice)
    html = client.get(reverse("home"), {"tier": "key", "page": 1}).content.decode()
    assert f'<form method="post" action="{XLSX_URL}?tier=key"' in html
    assert 'data-testid="export-xlsx"' in html


def test_a_job_whose_worker_was_lost_stops_being_polled_and_says_so(client, alice):
    started = timezone.now() - export_jobs.LOST_AFTER - timedelta(minutes=1)
    job = ExportJob.objects.create(owner=alice, language="en", status="running", started_at=started, rows_total=9)
    client.force_login(alice)
    html = client.get(reverse("export_job_status", args=[job.pk])).content.decode()
    assert 'data-testid="export-lost"' in html and "hx-get" not in html
    ExportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    html = client.get(reverse("export_job_status", args=[job.pk])).content.decode()
    assert 'data-testid="export-lost"' not in html and "hx-get" in html


def test_the_job_page_and_its_status_cost_the_same_queries_for_3_and_60_customers(client, alice, book):
    client.force_login(alice)
    small = job_of(xlsx_job_url(client))
    f.CustomerFactory.create_batch(57, owner=alice)
    large = job_of(xlsx_job_url(client))
    assert (small.rows_total, large.rows_total) == (3, 60)
    counts = []
    for job in (small, large):
        for name in ("export_job", "export_job_status"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse(name, args=[job.pk])).status_code == 200
            counts.append(len(captured))
    assert counts[:2] == counts[2:], counts
    assert max(counts) <= 6, counts
