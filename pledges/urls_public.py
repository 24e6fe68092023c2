"""Public addresses: no account needed. Printed QR codes point at /q/<token>/ for years:
never change these paths."""

from django.urls import path

from pledges.views import codes, feedback, figures, public

app_name = "public"

urlpatterns = [
    path("", public.district_site, name="district_site"),
    path("search/", public.search, name="search"),
    path("figures/", figures.figures_page, name="figures"),
    path("q/<str:token>.svg", codes.qr_svg, name="qr_svg"),
    path("q/<str:token>.png", codes.qr_png, name="qr_png"),
    path("q/<str:token>/", public.by_token, name="by_token"),
    path("p/<int:pledge_id>/", public.pledge_page, name="pledge_page"),
    path("p/<int:pledge_id>/feedback/", feedback.feedback_submit, name="feedback_submit"),
]
