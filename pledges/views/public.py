"""The public pages: no account, nothing per visitor, cached and conditional.

Pages are rendered without the request (no session, user, CSRF token or messages), so
one cached copy serves everyone; see pledges.public for what they may show.

What a member's printed code shows, by what became of the member:
- on the roll, page enabled: their page;
- on the roll, page turned off (consent withdrawn): the branch's board, with a notice;
- taken off the roll, or the code reissued: 200 with a page saying the code is no longer
  in use and linking to the board of the branch the member was in (the code of a member
  put back on the roll works again; a reissued code never does);
- a code never issued: the not-found page (404), counted as a failed lookup.
The printed code still leads somewhere useful, and phones and in-app browsers show a 200
page as it is.

Failed code lookups are counted per client address (MISS_LIMIT per MISS_WINDOW_SECONDS,
then 429 for codes that name nothing; a real code is always served): see
pledges.public.client_address for the address behind a proxy; the client-supplied
X-Forwarded-For is never trusted.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.http import require_safe

from branches.http import parse_id
from branches.stamps import branch_stamp, scope_stamp
from branches.tokens import normalise_token
from pledges import public
from pledges.public import TokenTarget


def _page(template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """A public page that is not cached (not found, too many requests)."""
    return HttpResponse(render_to_string(template, context), status=status)


def _not_found() -> HttpResponse:
    return _page("pledges/public/not_found.html", {}, status=404)


def _too_many() -> HttpResponse:
    response = _page(
        "pledges/public/too_many.html",
        {"minutes": public.MISS_WINDOW_SECONDS // 60},
        status=429,
    )
    response["Retry-After"] = str(public.MISS_WINDOW_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _positive_int(text: str | None) -> int | None:
    number = parse_id(text)
    return number if number and number < 10**9 else None


@require_safe
def by_token(request, token):
    """A printed code: the member's page, the branch's board, or a retired code's page."""
    token = normalise_token(token)
    if not public.token_is_well_formed(token):
        return _not_found()
    route_name = f"token:{token}"
    cached = public.remembered_page(request, name=route_name)
    if cached is not None:
        return cached
    target = public.resolve_token(token)
    if target is None:
        # Only a code that names nothing counts, and only it is refused once the address
        # is over the limit: a real code is served whatever its address guessed before.
        if public.lookup_missed(address=public.client_address(request)):
            return _too_many()
        return _not_found()
    member = target.member
    if target.kind == TokenTarget.MEMBER and not member.is_active:
        # Off the roll: the code is out of use as if reissued. Leaving (or coming back)
        # saves the member, which bumps this branch's stamp and misses the cached page.
        target = TokenTarget(TokenTarget.RETIRED, target.branch, None)
    # The stamps of what the page shows, as the lookup read them.
    stamps = {target.branch.pk: target.branch.public_changed_at}
    shows = ""
    if target.kind == TokenTarget.MEMBER and member.public_page_enabled:
        # The page shows pledges owned by any branch the member pledged in.
        stamps = public.member_page_stamps(member=member)
        render = lambda: render_to_string(  # noqa: E731
            "pledges/public/member.html", {"page": public.member_public_page(member=member)}
        )
    elif target.kind == TokenTarget.RETIRED:
        branch = target.branch
        # Every departed code of the branch shows the same page.
        shows = f"retired:{branch.pk}"
        render = lambda: render_to_string(  # noqa: E731
            "pledges/public/retired.html", {"branch": branch}
        )
    else:
        # A branch's code, or a member's whose public page is off: the board.
        notice = target.kind == TokenTarget.MEMBER
        render = lambda: render_to_string(  # noqa: E731
            "pledges/public/board.html",
            {"board": public.branch_board(branch_id=target.branch.pk), "notice": notice},
        )
    # Keyed by the code, not by what it shows: a reissued code never finds the page its
    # member's new code renders.
    route, known = _route_of(route_name, stamps, shows=shows)
    public.remember_route(route_name, route)
    return public.page_response(request, route=route, render=render, known_stamps=known)


def _route_of(name: str, stamps: dict, *, shows: str = ""):
    """The route of a page showing these branches (id → stamp as read with its target),
    and those stamps by name."""
    known = {branch_stamp(pk): stamp for pk, stamp in stamps.items()}
    return public.PageRoute(key=name, stamps=tuple(sorted(known)), shows=shows), known


@require_safe
def pledge_page(request, pledge_id):
    """One public pledge, in full."""
    route_name = f"pledge:{pledge_id}"
    cached = public.remembered_page(request, name=route_name)
    if cached is not None:
        return cached
    pledge = public.public_pledge(pledge_id=pledge_id)
    if pledge is None:
        return _not_found()
    route, known = _route_of(route_name, public.pledge_page_stamps(pledge))
    public.remember_route(route_name, route)
    return public.page_response(
        request,
        route=route,
        known_stamps=known,
        render=lambda: render_to_string(
            "pledges/public/pledge.html", {"pledge": public.pledge_public_page(pledge=pledge)}
        ),
    )


@require_safe
def district_site(request):
    """The district's totals and committees (`?c=<committee id>`: one committee's)."""
    committee_id = None
    if "c" in request.GET:
        committee_id = _positive_int(request.GET["c"])
        if committee_id is None:
            return _not_found()
    page = _positive_int(request.GET.get("page")) or 1
    route_name = f"district:{committee_id or 'top'}:{page}"
    cached = public.remembered_page(request, name=route_name)
    if cached is not None:
        return cached
    committee = None
    if committee_id is not None:
        committee = public.committee_by_id(committee_id)
        if committee is None:
            return _not_found()
    route = public.PageRoute(
        key=route_name, stamps=(scope_stamp(committee.path if committee else ""),)
    )
    public.remember_route(route_name, route)
    return public.page_response(
        request,
        route=route,
        render=lambda: render_to_string(
            "pledges/public/district.html",
            {"site": public.district_page(committee=committee, page=page)},
        ),
    )


@require_safe
def search(request):
    """Branches and members by name (`?q=`)."""
    query = request.GET.get("q", "")[: public.SEARCH_QUERY_MAX_LENGTH]
    query = " ".join(query.split())
    return public.page_response(
        request,
        route=public.PageRoute(key=f"search:{query}", stamps=(scope_stamp(""),)),
        render=lambda: render_to_string(
            "pledges/public/search.html", {"results": public.public_search(query=query)}
        ),
    )
