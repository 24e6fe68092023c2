"""The review calendar, quarterly reviews (季度讲评) and the half-year check (半年销号)."""

urlpatterns = []
