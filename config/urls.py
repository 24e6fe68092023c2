from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from branches.views.accounts import PasswordChangeView
from config import views
from reviews.views import dashboard
from reviews.views.home import home

admin.site.site_header = admin.site.site_title = "双承诺管理后台"
admin.site.index_title = "党员支部双承诺"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's password change, which also ends a one-time password (first sign-in).
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("work/", home, name="home"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
    path("dashboard/pledges/", dashboard.dashboard_pledges, name="dashboard_pledges"),
    path("work/", include("pledges.urls")),
    path("work/", include("branches.urls")),
    path("work/", include("reviews.urls")),
    path("admin/", admin.site.urls),
    path("", include("pledges.urls_public")),
    path("", include("reviews.urls_public")),
]

if settings.DEBUG:
    # Development only; in production the web server serves MEDIA_ROOT.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
