from django.urls import path

from branches.views import imports as views

# Included inside the "branches" namespace by branches/urls.py; every name starts with
# "org_import" so the navigation marks the organisation entry.
urlpatterns = [
    path("", views.import_home, name="org_import_home"),
    path("members/export.xlsx", views.import_export, name="org_import_export"),
    path("batches/<int:batch_id>/", views.import_preview, name="org_import_preview"),
    path("batches/<int:batch_id>/confirm/", views.import_confirm, name="org_import_confirm"),
    path("batches/<int:batch_id>/abandon/", views.import_abandon, name="org_import_abandon"),
    path("<str:kind>/", views.import_index, name="org_import_index"),
    path("<str:kind>/upload/", views.import_upload, name="org_import_upload"),
    path("<str:kind>/template.xlsx", views.import_template, name="org_import_template"),
]
