"""The Celery app of another test run sharing this machine's Redis, for ``test_shared_redis``.

It listens where Celery sends tasks by default and answers our task's name with its own answer, so
any task of ours it took would show. It runs as a process of its own, started by the test.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

app = Celery("another-test-run", broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])


@app.task(name="accounts.tasks.weekly_digest")
def digest_of_another_run(*args):
    return {"sent": "another run"}


@worker_ready.connect
def say_ready(**kwargs):
    Path(os.environ["STRANGER_READY_FILE"]).touch()
