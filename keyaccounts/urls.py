from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import health

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("relationships.urls")),
    path("", include("complaints.urls")),
    path("", include("plays.urls")),
    path("", include("exchange.urls")),
    path("", include("api.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("health/live/", health.live, name="health_live"),
]

handler403 = "keyaccounts.errors.permission_denied"
handler404 = "keyaccounts.errors.page_not_found"
handler500 = "keyaccounts.errors.server_error"

admin.site.site_header = "KeyAccounts"
admin.site.site_title = "KeyAccounts"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
