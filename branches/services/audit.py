"""The organisation's audit list: one append-only row per change, written by the service
that makes the change, in its transaction."""

from branches.enums import OrganisationAction
from branches.models import Committee, OrganisationChange


def organisation_change_record(
    *,
    actor,
    action: OrganisationAction,
    committee: Committee,
    subject: str,
    changes: dict | None = None,
    note: str = "",
) -> OrganisationChange:
    """Write one entry. `actor` is None for a command run on the server; `changes` maps a
    field's Chinese label to [old, new] (strings, so the entry reads the same for ever)."""
    return OrganisationChange.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        committee=committee,
        subject=str(subject)[:200],
        changes=changes or {},
        note=note,
    )


def field_changes(before: dict, after: dict, labels: dict) -> dict:
    """{label: [old, new]} for each field whose displayed value differs."""
    return {
        str(labels[field]): [str(before[field]), str(after[field])]
        for field in labels
        if str(before.get(field, "")) != str(after.get(field, ""))
    }
