"""The personal-data access log (个人信息保护法): one append-only row each time a page
shows members' phone numbers or a roster file is handed out, written by the view that
does it. Organisation staff read the rows of their subtree."""

from branches.enums import PersonalDataAction
from branches.models import Branch, Committee, PersonalDataAccess


def personal_data_access_record(
    *,
    actor,
    action: PersonalDataAction,
    subject: str,
    branch: Branch | None = None,
    committee: Committee | None = None,
) -> PersonalDataAccess:
    """Write one entry: `actor` was shown or handed the personal data `subject` describes,
    of one branch (its committee places the entry) or of a committee's whole subtree. One
    INSERT, atomic by itself: no transaction of its own, so a page pays one query for it."""
    if committee is None:
        if branch is None:
            raise TypeError("personal_data_access_record() needs a branch or a committee")
        committee = branch.committee
    return PersonalDataAccess.objects.create(
        actor=actor,
        action=action,
        committee=committee,
        branch=branch,
        subject=str(subject)[:200],
    )
