"""Test settings: the regular settings with a test-only key and a fast password hasher."""

import os

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

# Uploaded import files go to a directory of the test run's own.
IMPORT_DIR = __import__("tempfile").mkdtemp(prefix="keyaccounts-imports-")

# Connections close after each request and task, so no worker thread keeps the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
