"""Log a visit, call or meeting, and correct one logged."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import CHANGE, customer_for, for_customer
from keyaccounts.editing import posted, refused

from .. import services
from ..forms import InteractionForm
from ..models import Interaction
from .section import editor, form_response, get_or_post, saved_response

INTERACTION_NEW = editor(gettext_lazy("Log an interaction"), gettext_lazy("Log interaction"), "interaction-form")
INTERACTION_EDIT = editor(gettext_lazy("Edit interaction"), gettext_lazy("Save interaction"), "interaction-form")


@login_required
@get_or_post
def interaction_log(request, pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    form = InteractionForm(posted(request), customer=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            interaction = services.interaction_log(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form = refused(form, error)
        else:
            return saved_response(request, customer, _("Logged: %(subject)s.") % {"subject": interaction.subject})
    return form_response(request, customer, form, INTERACTION_NEW)


@login_required
@get_or_post
def interaction_update(request, pk: int, interaction_pk: int):
    customer = customer_for(request, pk, action=CHANGE)
    interaction = for_customer(request, Interaction.objects, customer=customer, pk=interaction_pk, action=CHANGE)
    form = InteractionForm(posted(request), customer=customer, user=request.user, instance=interaction)
    if request.method == "POST" and form.is_valid():
        try:
            interaction = services.interaction_update(interaction=interaction, **form.cleaned_data)
        except ValidationError as error:
            interaction.refresh_from_db()
            form = refused(
                form,
                error,
                stored=lambda: InteractionForm(customer=customer, user=request.user, instance=interaction),
            )
        else:
            message = _("Interaction saved: %(subject)s.") % {"subject": interaction.subject}
            return saved_response(request, customer, message)
    return form_response(request, customer, form, INTERACTION_EDIT)
