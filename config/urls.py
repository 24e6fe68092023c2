from django.contrib import admin
from django.urls import path

from config import views

admin.site.site_header = admin.site.site_title = "双承诺管理后台"
admin.site.index_title = "党员支部双承诺"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
