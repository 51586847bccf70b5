"""Import jobs end to end: through a real Celery worker, progress while running, an interrupted
import that wrote nothing and runs again, an unexpected error shown on the job's page."""

import io
import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Customer, DeliveryLine, Order
from exchange import jobs
from exchange.kinds.sales import OrdersHandler
from exchange.models import ImportJob
from keyaccounts.tests import factories as f
from keyaccounts.tests import workers

ORDERS = (
    "order_number,customer_code,ordered_on,amount,line_no,sku,quantity_ordered,promised_on\n"
    "SO-1,C1,2026-01-05,1000,1,P-1,10,2026-01-20\n"
    "SO-1,C1,2026-01-05,1000,2,P-2,5,2026-01-25\n"
    "SO-2,C1,2026-02-05,300,1,P-1,3,2026-02-20\n"
)


def post_file(client, kind, content):
    file = io.BytesIO(content.encode())
    file.name = f"{kind}.csv"
    return client.post(reverse("import_index"), {"kind": kind, "file": file})


@pytest.fixture
def book(alice):
    return f.CustomerFactory(code="C1", owner=alice)


def counts():
    return Order.objects.count(), DeliveryLine.objects.count(), Order.history.count(), DeliveryLine.history.count()


@pytest.mark.django_db
def test_an_import_killed_half_way_wrote_nothing_and_runs_again(client, admin, book, monkeypatch):
    client.force_login(admin)
    post_file(client, "orders", ORDERS)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.CHECKED
    before = counts()

    real_apply = OrdersHandler.apply

    def killed_after_the_orders(self, *, user_id, reason):
        self.stages["orders"].apply(user_id=user_id, reason=reason)
        raise SystemExit("worker lost")  # not an error the import handles: the process is gone

    monkeypatch.setattr(OrdersHandler, "apply", killed_after_the_orders)
    with pytest.raises(SystemExit):
        client.post(reverse("import_apply", args=[job.pk]))
    assert counts() == before  # the orders written before the "kill" were rolled back
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLYING

    # While its progress is fresh the page shows a progress bar and polls; once silent, it was interrupted.
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'data-testid="job-progress"' in page and "every 1s" in page
    cache.delete(f"keyaccounts:import:{job.pk}")
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "was interrupted" in page and "Run again" in page

    monkeypatch.setattr(OrdersHandler, "apply", real_apply)
    client.post(reverse("import_apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    assert (Order.objects.count(), DeliveryLine.objects.count()) == (2, 3)


@pytest.mark.django_db
def test_an_unexpected_error_fails_the_job_with_a_message_and_writes_nothing(client, admin, book, monkeypatch):
    client.force_login(admin)
    post_file(client, "orders", ORDERS)
    job = ImportJob.objects.get()

    def broken(self, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(OrdersHandler, "apply", broken)
    with pytest.raises(RuntimeError):
        client.post(reverse("import_apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Order.objects.count() == 0
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "unexpected error and wrote nothing" in page


@pytest.mark.django_db
def test_the_progress_fragment_asks_for_a_reload_once_the_job_is_done(client, admin, book):
    client.force_login(admin)
    post_file(client, "orders", ORDERS)
    job = ImportJob.objects.get()
    response = client.get(reverse("import_progress", args=[job.pk]) + "?was=running", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    jobs.set_progress(job.pk, 0.42)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING)
    response = client.get(reverse("import_progress", args=[job.pk]) + "?was=running", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in response and "42%" in response.content.decode()


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_check_and_import_run_on_a_real_worker(real_worker, client, admin, book):
    client.force_login(admin)
    response = post_file(client, "orders", ORDERS)
    job = ImportJob.objects.get()
    assert response.url == reverse("import_job", args=[job.pk])
    deadline = time.monotonic() + 60
    while ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKING:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED
    assert Order.objects.count() == 0
    client.post(reverse("import_apply", args=[job.pk]))
    while ImportJob.objects.get(pk=job.pk).status in ImportJob.RUNNING + (ImportJob.Status.CHECKED,):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED, job.result
    assert Order.objects.filter(customer=Customer.objects.get(code="C1")).count() == 2


def order_rows():
    return sorted(Order.objects.values_list("customer__code", "number", "ordered_on", "amount").order_by()), sorted(
        DeliveryLine.objects.values_list("order__number", "line_no", "product__sku", "quantity_ordered").order_by()
    )


@pytest.mark.needs_redis
@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_process_is_killed_mid_write_is_applied_once_by_the_redelivered_task(
    postgres_only, redis_url, broker, client, admin, book, tmp_path
):
    client.force_login(admin)
    table = Order._meta.db_table
    with workers.worker_processes(broker, redis_url, log_dir=tmp_path) as [worker]:
        post_file(client, "orders", ORDERS)
        job = ImportJob.objects.get()
        workers.wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CHECKED, timeout=90, what="the check"
        )
        with workers.table_locked(table) as release:
            client.post(reverse("import_apply", args=[job.pk]))
            # Writing the orders, inside the import's transaction, and held there.
            workers.wait_until(lambda: workers.waiting_on(table), timeout=90, what="the import to write orders")
            [pool_process] = workers.pool_processes(worker)
            workers.kill(pool_process)
            release()
        workers.wait_until(
            lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.APPLIED, timeout=90, what="the rerun"
        )
    job.refresh_from_db()
    assert job.result["applied"] and job.result["counts"]["orders"]["created"] == 2
    assert order_rows() == (
        [("C1", "SO-1", date(2026, 1, 5), Decimal("1000.00")), ("C1", "SO-2", date(2026, 2, 5), Decimal("300.00"))],
        [("SO-1", 1, "P-1", 10), ("SO-1", 2, "P-2", 5), ("SO-2", 1, "P-1", 3)],
    )
    assert Order.history.count() == 2  # one creation each: nothing of the killed attempt remains
