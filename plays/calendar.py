"""Plays and steps as an iCalendar (RFC 5545) feed: one all-day event per due date."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded (RFC 5545 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


def _event(uid: str, day, summary: str, url: str, stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_escape(summary)}",
        f"URL:{url}",
        "END:VEVENT",
    ]


def calendar_text(plays, steps, cadences=(), *, base: str) -> str:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//KeyAccounts//Plays//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:KeyAccounts",
    ]
    root = base.rstrip("/")
    for play in plays:
        url = root + reverse("play_detail", args=[play.pk])
        lines += _event(
            f"play-{play.pk}@keyaccounts", play.due_on, f"{play.customer.name}: {play.display_title}", url, stamp
        )
    for step in steps:
        url = root + reverse("play_detail", args=[step.play_id])
        summary = f"{step.play.customer.name}: {step.display_title}"
        lines += _event(f"step-{step.pk}@keyaccounts", step.due_on, summary, url, stamp)
    for cadence in cadences:
        url = root + reverse("customer_detail", args=[cadence.customer_id]) + "#section-relationships"
        summary = f"{cadence.customer.name}: {cadence.name}"
        lines += _event(f"cadence-{cadence.pk}@keyaccounts", cadence.due_on, summary, url, stamp)
    lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
