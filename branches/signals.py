"""Signals the branches app sends for what other apps keep in step with its rows."""

from django.dispatch import Signal

# Sent after writes in bulk to members (a roster import), which send no per-row signals,
# with `branch_ids`: every branch whose roll they changed (members joined, left, moved in or
# out, or changed exemption). pledges keeps its stored figures by it.
rolls_changed = Signal()
