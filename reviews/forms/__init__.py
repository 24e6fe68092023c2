"""Forms of the review pages: monthly.py, quarterly.py (and the half-year notice),
yearend.py."""
