"""Year-end evaluation (年终评议), points, branch grades, award and accountability lists."""

urlpatterns = []
