"""Writes to needs, pledges and their records, one module per part of the work.

`pledge_transition` (workflow.py) is the one door for a pledge's status.
"""

from pledges.services.workflow import pledge_transition

__all__ = ["pledge_transition"]
