"""Writes on the organisation: members, and (in their own modules) the committee tree,
branches, pairings, accounts and imports. Every write records who made it."""

from branches.services.members import (  # noqa: F401
    member_create,
    member_deactivate,
    member_erase_personal_data,
    member_reactivate,
    member_set_exemption,
    member_set_public_page,
    member_token_reissue,
    member_update,
)
