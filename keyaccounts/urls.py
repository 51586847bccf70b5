from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("customers/<int:pk>/", account_views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/override/", account_views.override_create, name="override_create"),
    path("customers/<int:pk>/override/end/", account_views.override_end, name="override_end"),
    path("alerts/<int:pk>/close/", account_views.alert_close, name="alert_close"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", account_views.health, name="health"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "KeyAccounts"
admin.site.site_title = "KeyAccounts"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
