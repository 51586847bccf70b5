"""Routes of the API (/api/v1/…), its schema and docs (/api/schema/, /api/docs/) and the
profile page where users manage their API token (/profile/)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("profile/", profile, name="profile"),
]
