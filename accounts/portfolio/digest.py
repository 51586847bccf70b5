"""The executives' weekly digest: the dashboard's headline figures by e-mail, once a week each.

Each send is claimed by inserting a ``DigestSend`` row (unique per executive and week) in the
same transaction as the mail goes out: a second run in the same week finds the row and skips,
and a mail that fails rolls its row back so the next run tries again.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from keyaccounts.money import format_money

from ..models import DigestSend
from ..permissions import ROLE_EXECUTIVE, holds_role_q
from .reads import portfolio_dashboard

logger = logging.getLogger(__name__)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def digest_recipients():
    return get_user_model().objects.filter(holds_role_q(ROLE_EXECUTIVE)).exclude(email="").distinct().order_by("pk")


def digest_send_weekly(*, today: date) -> int:
    """Send this week's digest to every executive who has not had it yet; returns how many were sent."""
    week = week_of(today)
    with translation.override(settings.LANGUAGE_CODE):
        board = portfolio_dashboard(params={})
        if board.as_of is None:
            logger.info("No portfolio summary yet; no weekly digest sent.")
            return 0
        context = {"board": board, "url": settings.SITE_URL + reverse("portfolio_dashboard")}
        subject = _("Key accounts, week of %(week)s: %(red)s red, %(revenue)s revenue at risk") % {
            "week": formats.date_format(week, "DATE_FORMAT"),
            "red": board.key.red,
            "revenue": format_money(board.key.revenue_at_risk),
        }
        body = render_to_string("accounts/dashboard/digest_email.txt", context)
    sent = 0
    for user in digest_recipients():
        if DigestSend.objects.filter(user=user, week=week).exists():
            continue
        try:
            with transaction.atomic():
                DigestSend.objects.create(user=user, week=week, as_of=board.as_of)
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except IntegrityError:
            # Another run claimed this executive's week meanwhile.
            continue
        sent += 1
    return sent
