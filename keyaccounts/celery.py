"""The Celery application. Configuration comes from Django settings (namespace CELERY)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

app = Celery("keyaccounts")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
