"""Which tickets still have an SLA clock running, as filters: the queue reads those first
(`complaints.selectors.QueueIds`); and the ticket table's indexes the queue reads by."""

from django.db import models
from django.db.models import Q

# A ticket with an SLA clock still running: a first response or a resolution due and not given
# yet. The others have no deadline left (``next_due`` is empty) and end the queue, oldest first.
CLOCK_RUNNING = Q(first_response_at__isnull=True, response_due_at__isnull=False) | Q(
    resolved_at__isnull=True, resolution_due_at__isnull=False
)
# Every other ticket (an IS NULL test is never unknown, so the negation is exact).
CLOCK_STOPPED = ~CLOCK_RUNNING

QUEUE_INDEXES = [
    # The desk's queue: open tickets by their next deadline.
    models.Index(
        fields=["resolution_due_at"], name="ticket_open_resolution_due", condition=Q(resolved_at__isnull=True)
    ),
    # The queue of every status: the few tickets with a clock still running come first.
    models.Index(fields=["opened_at"], name="ticket_clock_running", condition=CLOCK_RUNNING),
]
