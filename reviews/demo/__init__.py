"""The demo data set of `manage.py seed_demo`: the article's district, at any scale."""

from reviews.demo.builder import (
    DEMO_PASSWORD,
    build_demo,
    demo_logins,
    existing_data,
    row_counts,
    wipe_all_data,
)

__all__ = [
    "DEMO_PASSWORD",
    "build_demo",
    "demo_logins",
    "existing_data",
    "row_counts",
    "wipe_all_data",
]
