"""Large record exports are written in the background: a workbook of any size, and a CSV of more
rows than a request streams. The job's page shows the progress and then the download link; the
file holds what its owner may see, exactly as the streamed CSV would."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from openpyxl import load_workbook

from accounts.models import ExportJob
from exchange import export_jobs, export_views
from keyaccounts.tests import factories as f


@pytest.fixture
def contacts(customer, oscars_customer):
    """Three contacts of alice's customer, two of oscar's."""
    mine = [f.ContactFactory(customer=customer, name=f"Mine {n}") for n in range(3)]
    f.ContactFactory.create_batch(2, customer=oscars_customer)
    return mine


def start(client, kind, extension):
    """Press the import page's export button; the job's page address and the job."""
    response = client.post(reverse("export_records", args=[kind, extension]))
    assert response.status_code == 302, response.status_code
    return response["Location"], ExportJob.objects.get(pk=resolve(response["Location"]).kwargs["pk"])


def test_a_workbook_of_records_is_written_by_a_job_and_downloaded_from_its_page(client, alice, contacts):
    client.force_login(alice)
    page_url, job = start(client, "contacts", "xlsx")
    page = client.get(page_url).content.decode()
    assert "Excel export · Contacts" in page and 'data-testid="export-download"' in page
    assert "The file is ready: 3 rows." in page
    assert (job.kind, job.extension, job.status, job.rows_total, job.rows_written) == ("contacts", "xlsx", "done", 3, 3)
    response = client.get(reverse("export_job_download", args=[job.pk]))
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["Mine 0", "Mine 1", "Mine 2"]


def test_a_csv_too_large_to_stream_asks_first_then_is_written_like_the_streamed_one(
    client, alice, contacts, monkeypatch
):
    client.force_login(alice)
    url = reverse("export_records", args=["contacts", "csv"])
    streamed = b"".join(client.get(url).streaming_content)
    monkeypatch.setattr(export_views, "STREAM_MAX_ROWS", 2)
    page = client.get(url)
    assert page.status_code == 200 and not page.streaming
    assert "You may see 3 rows of this kind." in page.content.decode()
    assert 'data-testid="export-start-button"' in page.content.decode()
    assert not ExportJob.objects.exists()
    _page_url, job = start(client, "contacts", "csv")
    response = client.get(reverse("export_job_download", args=[job.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    written = b"".join(response.streaming_content)
    assert written == streamed
    assert len(list(csv.reader(io.StringIO(written.decode("utf-8-sig"))))) == 4


def test_more_rows_than_a_worksheet_holds_are_refused_with_the_way_out(client, alice, contacts, monkeypatch):
    monkeypatch.setattr(export_jobs, "XLSX_MAX_ROWS", 2)
    client.force_login(alice)
    page_url, job = start(client, "contacts", "xlsx")
    assert job.status == "failed" and not job.stored_as
    assert (
        "3 rows are too many for an Excel file (at most 2). Export them as CSV."
        in client.get(page_url).content.decode()
    )


def test_a_record_export_is_its_owners_alone(client, alice, bob, contacts):
    client.force_login(alice)
    page_url, job = start(client, "contacts", "xlsx")
    client.force_login(bob)
    assert client.get(page_url).status_code == 404
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404


def test_the_progress_of_a_record_export_counts_rows(client, alice):
    job = ExportJob.objects.create(
        owner=alice, kind="orders", extension="csv", language="en", status="running", rows_total=200, rows_written=50
    )
    client.force_login(alice)
    html = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert "CSV export · Orders" in html and "50 of 200 rows" in html and "25%" in html


def test_the_progress_is_recorded_while_the_rows_are_written(alice, contacts, monkeypatch):
    monkeypatch.setattr(export_jobs, "PROGRESS_EVERY", 1)
    seen = []
    record = export_jobs.set_fields

    def spy(job, **fields):
        record(job, **fields)
        stored = ExportJob.objects.get(pk=job.pk)
        seen.append((stored.rows_written, stored.rows_total, stored.status))

    monkeypatch.setattr(export_jobs, "set_fields", spy)
    job = export_jobs.records_export_ask(user=alice, kind="contacts", extension="csv", language="en")
    export_jobs.records_export_run(job.pk)
    assert seen == [(0, 3, "running"), (1, 3, "running"), (2, 3, "running"), (3, 3, "running")]
    assert ExportJob.objects.get(pk=job.pk).status == "done"


def test_the_command_writes_the_same_file_as_the_streamed_export(client, alice, contacts, tmp_path, monkeypatch):
    client.force_login(alice)
    streamed = b"".join(client.get(reverse("export_records", args=["contacts", "csv"])).streaming_content)
    out = io.StringIO()
    call_command("export_records", "contacts", str(tmp_path / "contacts.csv"), user="alice", stdout=out)
    assert (tmp_path / "contacts.csv").read_bytes() == streamed
    assert "3 rows of contacts written" in out.getvalue()
    monkeypatch.setattr("exchange.management.commands.export_records.XLSX_MAX_ROWS", 2)
    with pytest.raises(CommandError, match="3 rows are too many for an XLSX file"):
        call_command("export_records", "contacts", str(tmp_path / "contacts.xlsx"), user="alice")
    assert not list(tmp_path.glob("contacts.xlsx*"))


def test_the_import_page_exports_through_buttons_that_post(client, alice):
    client.force_login(alice)
    html = client.get(reverse("import_index")).content.decode()
    for extension in ("csv", "xlsx"):
        action = reverse("export_records", args=["contacts", extension])
        assert f'<form method="post" action="{action}"' in html
        assert f'href="{action}"' not in html


def test_the_count_page_counts_only_what_its_user_sees_in_the_same_queries_at_any_size(
    client, alice, oscar, customer, contacts, monkeypatch
):
    monkeypatch.setattr(export_views, "STREAM_MAX_ROWS", 0)
    url = reverse("export_records", args=["contacts", "csv"])
    client.force_login(oscar)
    assert "You may see 2 rows of this kind." in client.get(url).content.decode()
    client.force_login(alice)
    with CaptureQueriesContext(connection) as few:
        assert "You may see 3 rows of this kind." in client.get(url).content.decode()
    f.ContactFactory.create_batch(20, customer=customer)
    with CaptureQueriesContext(connection) as many:
        assert "You may see 23 rows of this kind." in client.get(url).content.decode()
    assert len(many) == len(few)
