import csv
import io

import pytest
from django.apps import apps
from django.db import connection

from keyaccounts.tests import factories as f

BUSINESS_APPS = ("accounts", "relationships", "complaints")


@pytest.fixture
def write(tmp_path):
    """Write a CSV file (text, encoding) and return its path."""

    def make(content: str, name: str = "data.csv", encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(content.encode(encoding))
        return str(path)

    return make


@pytest.fixture
def write_bytes(tmp_path):
    """Write raw bytes and return the path."""

    def make(content: bytes, name: str = "data.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return make


@pytest.fixture
def write_xlsx(tmp_path):
    """Write rows (header first; cells as Python values) to the first sheet of a workbook."""

    def make(rows: list[list], name: str = "data.xlsx") -> str:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return str(path)

    return make


@pytest.fixture
def admin(db):
    return f.UserFactory(username="root", email="root@example.com", is_superuser=True, is_staff=True)


def csv_text(rows: list[list], delimiter: str = ",") -> str:
    """Rows of cells as CSV text, quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def business_tables() -> list[str]:
    """Every table of the business apps: history and many-to-many tables included."""
    return sorted(
        {
            model._meta.db_table
            for label in BUSINESS_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        }
    )


def row_counts() -> dict[str, int]:
    """Rows of every business table, in one query."""
    tables = business_tables()
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))
