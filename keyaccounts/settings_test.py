"""Test settings: the regular settings with a test-only key and a fast password hasher."""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "keyaccounts-test-only-insecure-key")

from .settings import *  # noqa: E402,F403

# Tests run with DEBUG off (the production settings) but over plain http: no redirect to https.
SECURE_SSL_REDIRECT = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tasks run in-process in tests; the tests that need a real worker start one against Redis.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# Tests read English messages unless they switch language themselves; the product default stays
# zh-hans (settings.LANGUAGE_CODE), and the language tests check the Chinese pages explicitly.
LANGUAGE_CODE = "en"

# Uploaded import files go to a directory of the test run's own (shared with the worker processes
# a test starts, which inherit the environment).
IMPORT_DIR = os.environ.setdefault(
    "KEYACCOUNTS_TEST_IMPORT_DIR", __import__("tempfile").mkdtemp(prefix="keyaccounts-imports-")
)
EXPORT_DIR = os.environ.setdefault(
    "KEYACCOUNTS_TEST_EXPORT_DIR", __import__("tempfile").mkdtemp(prefix="keyaccounts-exports-")
)

# Connections close after each request and task, so no worker thread keeps the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# One name per test run: its Celery queue (conftest's real_worker) and its cache keys, so two runs
# sharing a Redis (two clones, or a developer's run beside CI) never take each other's tasks or
# read each other's cached progress and locks.
RUN_ID = os.environ.setdefault("KEYACCOUNTS_TEST_RUN_ID", uuid.uuid4().hex[:12])
for _cache in CACHES.values():  # noqa: F405
    _cache["KEY_PREFIX"] = f"test-{RUN_ID}"
