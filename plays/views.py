"""Pages of plays: My plays, a play, a customer's plays section, opening one by hand, moving it,
marking its steps, closing it, and each person's calendar feed.

Every view reaches a play through its customer's visibility (404 otherwise); writes need the right
to change customer data (account managers and admins); executives and the service desk read.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.signing import BadSignature, Signer
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Alert
from accounts.permissions import CHANGE, customer_for, may_change_customer_data
from keyaccounts.clock import business_today
from keyaccounts.editing import (
    INVALID,
    Editor,
    edit_version,
    editor_form,
    fragment_or_page,
    posted,
    refused,
    saved,
    wants_fragment,
)

from . import selectors, services
from .calendar import calendar_text
from .effect import risk_after
from .forms import PlayCloseForm, PlayEditForm, PlayForm
from .models import Play, PlayStep

get_or_post = require_http_methods(["GET", "POST"])
CALENDAR_SALT = "plays.calendar"


def _closed(request, play: Play):
    """A write on a closed play: htmx hears why (422); a plain request is told so on the play's page."""
    message = _("This play is closed; reopen nothing, open a new play instead.")
    if wants_fragment(request):
        return HttpResponse(message, status=INVALID)
    messages.error(request, message)
    return redirect("play_detail", play.pk)


def _play(request, pk, *, action: str = "view") -> Play:
    try:
        play = (
            Play.objects.visible_to(request.user)
            .select_related("customer", "owner", "playbook", "alert", "ticket")
            .get(pk=pk)
        )
    except (Play.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if action == CHANGE and not may_change_customer_data(request.user):
        raise PermissionDenied
    return play


@login_required
@require_GET
def my_plays(request):
    today = business_today()
    show = request.GET.get("show") if request.GET.get("show") in (selectors.SHOW_MINE, selectors.SHOW_ALL) else None
    show = show or (selectors.SHOW_MINE if may_change_customer_data(request.user) else selectors.SHOW_ALL)
    status = request.GET.get("status")
    if status not in (selectors.STATUS_OPEN, selectors.STATUS_OVERDUE, selectors.STATUS_CLOSED):
        status = selectors.STATUS_OPEN
    plays = selectors.plays_for(request.user, show=show, status=status, today=today)
    page = Paginator(plays, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "show": show,
        "status": status,
        "today": today,
        "week_end": today.toordinal() + 7,
        "calendar_url": request.build_absolute_uri(reverse("plays_calendar", args=[calendar_token(request.user)])),
    }
    return fragment_or_page(request, "plays/_play_list.html", context, page="plays/my_plays.html")


@login_required
@require_GET
def plays_due(request):
    """Today's card: the person's open plays due within a week, overdue first (loaded after Today)."""
    today = business_today()
    plays = selectors.plays_for(request.user, show=selectors.SHOW_MINE, status=selectors.STATUS_OPEN, today=today)
    due = list(plays.filter(due_on__lte=today.fromordinal(today.toordinal() + 7))[:10])
    return fragment_or_page(request, "plays/_today_plays.html", {"plays": due, "today": today}, title=_("Plays due"))


@login_required
@require_GET
def plays_badge(request):
    count = selectors.due_count(request.user, today=business_today())
    return HttpResponse(f'<span class="badge text-bg-warning ms-1">{count}</span>' if count else "")


@login_required
@require_GET
def play_detail(request, pk: int):
    play = _play(request, pk)
    steps = list(play.steps.select_related("assignee", "done_by"))
    today = business_today()
    context = {
        "play": play,
        "steps": steps,
        "risk_after": risk_after(play, today=today),
        "today": today,
        "can_edit": may_change_customer_data(request.user),
    }
    return fragment_or_page(request, "plays/_play.html", context, page="plays/play_detail.html")


@login_required
@require_GET
def customer_plays(request, pk: int):
    customer = customer_for(request, pk)
    open_plays, closed = selectors.customer_plays(customer)
    context = {
        "customer": customer,
        "open_plays": open_plays,
        "closed_plays": closed,
        "today": business_today(),
        "can_edit": may_change_customer_data(request.user),
    }
    return fragment_or_page(request, "plays/_section_plays.html", context, title=_("Plays"))


def _back_to_customer(customer) -> str:
    return reverse("customer_detail", args=[customer.pk]) + "#section-plays"


@login_required
@get_or_post
def play_create(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    owners = services.owner_choices(customer)
    alert = None
    if request.GET.get("alert", "").isdigit():
        alert = Alert.objects.filter(customer=customer, pk=request.GET["alert"]).first()
    form = PlayForm(
        posted(request),
        owners=owners,
        initial={"owner": request.user if owners.filter(pk=request.user.pk).exists() else customer.owner},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            play = services.play_create(
                customer=customer,
                by=request.user,
                title=data["title"],
                owner=data["owner"],
                due_on=data["due_on"],
                countermeasure=data["countermeasure"],
                priority=data["priority"],
                steps=data["steps"],
                alert=alert,
                playbook=data["playbook"],
            )
        except ValidationError as error:
            form = refused(form, error)
        else:
            return saved(request, _("Play opened."), back=reverse("play_detail", args=[play.pk]), reload=True)
    editor = Editor(_("New play"), _("Open the play"), section="section-plays", slot="plays-editor")
    return editor_form(request, editor, form, back=_back_to_customer(customer), customer=customer)


@login_required
@get_or_post
def play_edit(request, pk: int):
    play = _play(request, pk, action=CHANGE)
    if not play.is_open and not wants_fragment(request):
        return _closed(request, play)
    owners = services.owner_choices(play.customer)

    def stored():
        return PlayEditForm(
            owners=owners,
            initial={
                "owner": play.owner,
                "due_on": play.due_on,
                "priority": play.priority,
                "version": edit_version(play),
            },
        )

    form = PlayEditForm(posted(request), owners=owners) if request.method == "POST" else stored()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.play_update(
                play=play,
                by=request.user,
                version=data["version"],
                owner=data["owner"],
                due_on=data["due_on"],
                priority=data["priority"],
            )
        except ValidationError as error:
            play.refresh_from_db()
            form = refused(form, error, stored=stored)
        else:
            return saved(request, _("Play updated."), back=reverse("play_detail", args=[play.pk]), reload=True)
    editor = Editor(_("Change the play"), _("Save"), section="play", slot="play-editor")
    return editor_form(request, editor, form, back=reverse("play_detail", args=[play.pk]), customer=play.customer)


@login_required
@get_or_post
def play_close(request, pk: int):
    play = _play(request, pk, action=CHANGE)
    if not play.is_open and not wants_fragment(request):
        return _closed(request, play)

    def stored():
        return PlayCloseForm(initial={"status": Play.Status.DONE, "version": edit_version(play)})

    form = PlayCloseForm(posted(request)) if request.method == "POST" else stored()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.play_close(
                play=play, by=request.user, version=data["version"], status=data["status"], outcome=data["outcome"]
            )
        except ValidationError as error:
            play.refresh_from_db()
            form = refused(form, error, stored=stored)
        else:
            return saved(request, _("Play closed."), back=reverse("play_detail", args=[play.pk]), reload=True)
    editor = Editor(_("Close the play"), _("Close"), section="play", slot="play-editor")
    return editor_form(request, editor, form, back=reverse("play_detail", args=[play.pk]), customer=play.customer)


@login_required
@require_POST
def play_start(request, pk: int):
    play = _play(request, pk, action=CHANGE)
    try:
        services.play_start(play=play, by=request.user)
    except ValidationError:
        return _closed(request, play)
    return saved(request, _("Play started."), back=reverse("play_detail", args=[play.pk]), reload=True)


@login_required
@require_POST
def step_mark(request, pk: int, step_pk: int):
    play = _play(request, pk, action=CHANGE)
    step = get_object_or_404(PlayStep, play=play, pk=step_pk)
    done = request.POST.get("done") == "1"
    try:
        services.step_mark(step=step, by=request.user, done=done)
    except ValidationError:
        return _closed(request, play)
    message = _("Step done.") if done else _("Step reopened.")
    return saved(request, message, back=reverse("play_detail", args=[play.pk]), reload=True)


def _calendar_signer(user) -> Signer:
    # The password's hash is part of the key: a new password gives a new address and stops the
    # old one (as a password reset link expires); changing SECRET_KEY stops them all.
    return Signer(salt=f"{CALENDAR_SALT}:{user.password}")


def calendar_token(user) -> str:
    """The secret part of a person's calendar address: their id, signed."""
    return _calendar_signer(user).sign(str(user.pk)).replace(":", "-")


@require_GET
def plays_calendar(request, token: str):
    """A person's plays and steps as an ICS calendar, for the calendar they already use. The
    address is the credential (calendar apps cannot log in): a wrong or revoked token is a 404."""
    from django.contrib.auth import get_user_model

    user_id, _sep, signature = token.partition("-")
    try:
        user = get_user_model().objects.get(pk=int(user_id), is_active=True)
        if _calendar_signer(user).unsign(f"{user_id}:{signature}") != user_id:
            raise BadSignature
    except (BadSignature, ValueError, get_user_model().DoesNotExist):
        raise Http404 from None
    plays, steps, cadences = selectors.calendar_items(user, today=business_today())
    response = HttpResponse(
        calendar_text(plays, steps, cadences, base=request.build_absolute_uri("/")),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="plays.ics"'
    return response
