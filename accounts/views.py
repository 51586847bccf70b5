from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import customer_list


@login_required
@require_GET
def home(request):
    """The signed-in user's customers, biggest first, with their latest risk band."""
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(customer_list(user=request.user, search=search), 25).get_page(request.GET.get("page"))
    context = {"page": page, "search": search}
    template = "accounts/_customer_table.html" if request.htmx else "accounts/home.html"
    return render(request, template, context)


@require_GET
def health(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
