"""The import pages as people use them: upload, preview with errors, confirm, result; templates."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Customer, Order
from exchange.formats import FORMATS
from exchange.models import ImportJob
from relationships.models import Contact

CUSTOMERS = (
    "code,name,industry,region,owner,customer_since\n"
    "C100,Acme Motors,manufacturing,east,alice,2020-01-01\n"
    "C101,华南电子,电子,华南,alice,2021-05-06\n"
)


def upload(client, kind, content, name="data.csv"):
    file = io.BytesIO(content.encode("utf-8"))
    file.name = name
    return client.post(reverse("import_index"), {"kind": kind, "file": file})


@pytest.mark.django_db
def test_admin_uploads_sees_the_preview_then_imports(client, admin, alice):
    client.force_login(admin)
    response = upload(client, "customers", CUSTOMERS)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("import_job", args=[job.pk])
    assert job.status == ImportJob.Status.CHECKED
    assert Customer.objects.count() == 0
    page = client.get(response.url).content.decode()
    assert "Import now" in page and "2 rows checked" in page

    applied = client.post(reverse("import_apply", args=[job.pk]))
    assert applied.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert set(Customer.objects.values_list("code", "name")) == {("C100", "Acme Motors"), ("C101", "华南电子")}
    assert Customer.history.filter(history_change_reason__startswith=f"import #{job.pk}").count() == 2
    # Applying twice does nothing more.
    again = client.post(reverse("import_apply", args=[job.pk]))
    assert again.status_code == 409 and Customer.objects.count() == 2


@pytest.mark.django_db
def test_errors_are_listed_by_row_and_column_and_nothing_can_be_applied(client, admin, alice):
    client.force_login(admin)
    upload(client, "customers", CUSTOMERS + "C102,Bad,manufacturing,east,nobody,2031-13-01\n")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "Import now" not in page
    assert "no active user has this username or e-mail" in page and "is not a date" in page
    rows = {(e["row"], e["column"]) for e in job.preview["errors"]}
    assert rows == {(4, "owner"), (4, "customer_since")}
    assert client.post(reverse("import_apply", args=[job.pk])).status_code == 409
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_account_manager_may_not_import_customers_and_sees_only_own_jobs(client, admin, alice, oscar):
    client.force_login(alice)
    response = upload(client, "customers", CUSTOMERS)
    assert response.status_code == 422 and ImportJob.objects.count() == 0
    client.force_login(admin)
    upload(client, "customers", CUSTOMERS)
    job = ImportJob.objects.get()
    client.force_login(alice)
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("import_apply", args=[job.pk])).status_code == 404
    assert reverse("import_job", args=[job.pk]) not in client.get(reverse("import_index")).content.decode()


@pytest.mark.django_db
def test_executive_and_service_desk_have_no_import_page(client, erin, sam):
    for user in (erin, sam):
        client.force_login(user)
        assert client.get(reverse("import_index")).status_code == 403


@pytest.mark.django_db
def test_too_large_a_request_is_refused_before_it_is_read(client, admin, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(admin)
    response = upload(client, "customers", CUSTOMERS + "x" * 200_000)
    assert response.status_code == 422
    assert "files up to" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_templates_have_every_column_in_english_and_chinese(client, alice, kind):
    client.force_login(alice)
    fmt = FORMATS[kind]
    csv_text = client.get(reverse("import_template", args=[kind, "csv"])).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].split(",") == [c.key for c in fmt.columns]
    client.cookies["django_language"] = "zh-hans"
    xlsx = client.get(reverse("import_template", args=[kind, "xlsx"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [c.zh for c in fmt.columns]


@pytest.mark.django_db
def test_the_template_itself_imports(client, admin, alice, tmp_path):
    """The example rows of the templates form a consistent little company."""
    client.force_login(admin)
    from keyaccounts.tests import factories as f

    f.UserFactory(username="am01")
    f.UserFactory(username="am02")
    f.UserFactory(username="am03")
    f.UserFactory(username="am04")
    f.UserFactory(username="service")
    from complaints.models import SlaPolicy  # noqa: F401

    for kind in ("customers", "contacts", "interactions", "orders", "price_benchmarks", "criteria", "tickets"):
        response = client.get(reverse("import_template", args=[kind, "csv"]))
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(response.content)
        call_command("import_records", kind, str(path), "--user", "root")
    assert Contact.objects.get().external_id == "P-1001"
    assert Order.objects.get().lines.count() == 1


@pytest.mark.django_db
def test_command_exits_non_zero_on_errors_and_writes_nothing(admin, tmp_path, capsys):
    path = tmp_path / "customers.csv"
    path.write_text("code,name,industry,region,owner,customer_since\nC1,X,nowhere,east,root,2020-01-01\n")
    with pytest.raises(SystemExit) as exit_:
        call_command("import_records", "customers", str(path))
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "row 2, column industry" in err
    assert out.strip().splitlines()[-1].endswith("1 errors (nothing written)")
    assert Customer.objects.count() == 0
