from django.urls import path  # noqa: F401

# Included inside the "branches" namespace by branches/urls.py.
urlpatterns = []
