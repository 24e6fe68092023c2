"""Reads for the review pages, one module per part: monthly.py (the monthly report page),
calendar.py (the review calendar, quarterly reviews, half-year check), yearend.py, and
home.py (the to-do lists of /work/, which combine pledges and reviews)."""
