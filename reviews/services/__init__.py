"""Writes on the reviews, one module per part of the review calendar.

`monthly_reports_save` lived in `reviews/services.py` before the package existed; it is
re-exported here so `from reviews.services import monthly_reports_save` keeps working.
"""

from reviews.services.monthly import MonthlySaveResult, monthly_reports_save

__all__ = ["MonthlySaveResult", "monthly_reports_save"]
