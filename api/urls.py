"""Routes of the API (/api/v1/…), its schema and docs (/api/schema/, /api/docs/) and the
profile page where users manage their API token (/profile/)."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views
from .profile import profile

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("risk-snapshots", views.RiskSnapshotViewSet, basename="risksnapshot")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("orders", views.OrderViewSet, basename="order")
router.register("deliveries", views.DeliveryViewSet, basename="delivery")

urlpatterns = [
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI's start-up script is its own request (the split view), so no inline script; its
    # page carries an inline <style> block, allowed on this page alone.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
        name="api_docs",
    ),
    path("profile/", profile, name="profile"),
]
