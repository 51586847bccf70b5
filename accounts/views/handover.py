"""Handovers: an admin or executive hands a leaving salesperson's book to successors (the
customers ticked or the whole book, each to the default successor or its own), and the list of
handovers recorded."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from keyaccounts.editing import INVALID

from .. import services
from ..account_forms import HandoverForm, possible_leavers
from ..models import Handover, HandoverItem
from ..permissions import may_hand_over


def _door(request) -> None:
    if not may_hand_over(request.user):
        raise PermissionDenied


@login_required
@require_GET
def handover_list(request):
    """Every handover: who left, from when, to whom, how many customers, by whom, applied or pending."""
    _door(request)
    handovers = (
        Handover.objects.select_related("leaver", "created_by")
        .annotate(customers=Count("items"))
        .order_by("-effective_on", "-pk")[:200]
    )
    handovers = list(handovers)
    successors: dict[int, set] = {}
    pairs = HandoverItem.objects.filter(handover__in=handovers).values_list("handover_id", "successor").distinct()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={s for _h, s in pairs})}
    for handover_id, successor_id in pairs:
        successors.setdefault(handover_id, set()).add(users[successor_id])
    for handover in handovers:
        handover.successors = sorted(successors.get(handover.pk, ()), key=lambda u: u.username)
    return render(request, "accounts/handover/list.html", {"handovers": handovers})


@login_required
@require_http_methods(["GET", "POST"])
def handover_new(request):
    """Pick the leaver (``?leaver=``), then the customers and successors and the date."""
    _door(request)
    leaver = None
    leaver_id = request.GET.get("leaver") or request.POST.get("leaver")
    if leaver_id and str(leaver_id).isdigit():
        leaver = get_user_model().objects.filter(pk=leaver_id).first()
    book = list(services.book_of(leaver).select_related("owner", "backup_owner").order_by("name")) if leaver else []
    form = HandoverForm(request.POST if request.method == "POST" else None, book=book, initial={"leaver": leaver})
    status = 200
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            names = form.per_customer_names()
            users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
            try:
                handover = services.handover_create(
                    leaver=form.cleaned_data["leaver"],
                    effective_on=form.cleaned_data["effective_on"],
                    successors=form.successors(users),
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if handover.status == Handover.Status.APPLIED:
                    messages.success(request, _("Handover applied."))
                else:
                    messages.success(request, _("Handover recorded; it is applied on its date."))
                return redirect("handover_list")
    context = {
        "form": form,
        "leaver": leaver,
        "book": book,
        "leavers": possible_leavers(),
        "successors": form.offered,
        "successor_names": form.offered_names,
    }
    return render(request, "accounts/handover/new.html", context, status=status)
