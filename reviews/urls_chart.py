"""The chart of the six steps (一图) in the workspace."""

from django.urls import path

from reviews.views import chart

urlpatterns = [
    path("chart/", chart.chart, name="chart"),
]
