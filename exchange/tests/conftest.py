import pytest

from keyaccounts.tests import factories as f


@pytest.fixture
def write(tmp_path):
    """Write a CSV file (text, encoding) and return its path."""

    def make(content: str, name: str = "data.csv", encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(content.encode(encoding))
        return str(path)

    return make


@pytest.fixture
def admin(db):
    return f.UserFactory(username="root", email="root@example.com", is_superuser=True, is_staff=True)
