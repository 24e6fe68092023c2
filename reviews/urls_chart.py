"""The chart of the six steps (一图) in the workspace."""

urlpatterns: list = []
