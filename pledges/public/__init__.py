"""Reads and caching for the public pages, which anyone may open with no account: a
member's page, a branch's notice board (公示栏), one pledge, the district site and search.

Every selector here runs a fixed number of queries whatever the number of pledges,
records or branches, and returns only what a villager may see: names, branches and
public pledges (PUBLIC_STATUSES) with their time nodes, progress, photos and dated
history. Never a phone, a birth year, an exemption's reason, a pledge before it was
published or after it was withdrawn, a return or withdrawal note, a staff name (the
branch secretary's name alone is shown, on the board), a moderation state, or anything
of a member whose public page is switched off.

Rendered pages are cached with the stamps of what they show (`Branch.public_changed_at`,
bumped by pledges.signals on every change, and kept in the cache by branches.stamps), and
served only while those are the stamps now, so a change drops the cached page at once;
the same stamps give the ETag and Last-Modified.

Modules: `pages` (codes, a member's page, one pledge, a branch's board), `site` (the
district site and search), `figures` (pledges.figures over published pledges; a pledge's
own progress bar is pledges.progress), `caching` (the shared page cache, conditional
requests, the rate limit on failed code lookups). The names the views use are gathered
here.
"""

# The client's address is the whole site's (the sign-in lockout reads it too); kept here
# under its old name for the public views.
from branches.signin import client_address
from pledges.progress import bar_step, pledge_progress
from pledges.public.caching import (
    MISS_LIMIT,
    MISS_WINDOW_SECONDS,
    PAGE_CACHE_SECONDS,
    PageRoute,
    cached_page,
    lookup_missed,
    page_code_version,
    page_period,
    page_response,
    public_page_response,
    remember_route,
    remembered_page,
    remembered_route,
)
from pledges.public.figures import Figures, share
from pledges.public.pages import (
    LATEST_COMMENTS,
    LATEST_RECORDS,
    BoardPage,
    MemberPage,
    TokenTarget,
    branch_board,
    member_page_stamps,
    member_public_page,
    pledge_page_stamps,
    pledge_public_page,
    public_pledge,
    public_pledges_in_full,
    resolve_token,
    token_is_well_formed,
)
from pledges.public.site import (
    BRANCHES_PER_PAGE,
    INLINE_BRANCHES_LIMIT,
    SEARCH_LIMIT,
    SEARCH_MIN_LENGTH,
    SEARCH_QUERY_MAX_LENGTH,
    DistrictPage,
    SearchResults,
    committee_by_id,
    district_page,
    public_search,
)

__all__ = [
    "BRANCHES_PER_PAGE",
    "INLINE_BRANCHES_LIMIT",
    "LATEST_COMMENTS",
    "LATEST_RECORDS",
    "MISS_LIMIT",
    "MISS_WINDOW_SECONDS",
    "PAGE_CACHE_SECONDS",
    "SEARCH_LIMIT",
    "SEARCH_MIN_LENGTH",
    "SEARCH_QUERY_MAX_LENGTH",
    "BoardPage",
    "DistrictPage",
    "Figures",
    "MemberPage",
    "SearchResults",
    "TokenTarget",
    "PageRoute",
    "cached_page",
    "client_address",
    "page_response",
    "pledge_page_stamps",
    "remember_route",
    "remembered_page",
    "remembered_route",
    "bar_step",
    "branch_board",
    "committee_by_id",
    "district_page",
    "lookup_missed",
    "member_public_page",
    "page_code_version",
    "page_period",
    "pledge_public_page",
    "pledge_progress",
    "public_page_response",
    "public_pledge",
    "public_pledges_in_full",
    "public_search",
    "member_page_stamps",
    "resolve_token",
    "share",
    "token_is_well_formed",
]
