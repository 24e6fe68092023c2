"""QR codes: their public images, the printed wall sheet and poster (示诺 on the wall),
and the secretary's reissue of a member's code and consent switch."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from branches import services
from branches.http import parse_id, safe_next_url
from branches.models import Member
from branches.permissions import can_manage_branch
from branches.tokens import normalise_token
from pledges import public, qr
from pledges.selectors import branch_for, member_for

# A token's image never changes (a reissue makes a new token): phones and proxies may keep
# it for a day, and revalidate it by its ETag, the token itself.
QR_MAX_AGE = 24 * 60 * 60
# Cells of the wall sheet on one A4 page: two columns of three, sized in print-codes.css.
WALL_CELLS_PER_PAGE = 6


# ---------------------------------------------------------------------------
# Public images: /q/<token>.svg and /q/<token>.png
# ---------------------------------------------------------------------------
def _not_found() -> HttpResponse:
    return HttpResponseNotFound(_("没有这个二维码。"), content_type="text/plain; charset=utf-8")


def _qr_response(request, token_text: str, *, kind: str, content_type: str) -> HttpResponse:
    """The image of a live token, whatever the address did before. Unknown and retired
    tokens count as failed lookups against the same per-address limit as the code pages
    (/q/<token>/), and are refused (429) over it, so the images offer no second way to
    guess codes."""
    token = normalise_token(token_text)
    if not public.token_is_well_formed(token):
        return _not_found()
    image = qr.live_image(token, kind=kind)
    if image is None:
        if public.lookup_missed(address=public.client_address(request)):
            response = HttpResponse(
                _("查询过于频繁，请稍后再试。"),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(public.MISS_WINDOW_SECONDS)
            response["Cache-Control"] = "no-store"
            return response
        return _not_found()
    etag = f'"{token}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(image, content_type=content_type)
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=QR_MAX_AGE)
    return response


@require_safe
def qr_svg(request, token: str):
    return _qr_response(request, token, kind="svg", content_type="image/svg+xml")


@require_safe
def qr_png(request, token: str):
    return _qr_response(request, token, kind="png", content_type="image/png")


# ---------------------------------------------------------------------------
# Printing: the brick-wall sheet and the board poster
# ---------------------------------------------------------------------------
@login_required
def wall_sheet(request, branch_id: int):
    """The brick-wall sheet: the branch's own code first, then every active member's (the
    exempt too: their page says so), by name, six cells to an A4 page. ?member=<id> prints
    one member's cell alone (after a reissue). The same queries whatever the branch's size:
    the branch and its members, with the signed-in page's own."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    members = Member.objects.filter(branch=branch, is_active=True).only(
        "name", "public_token", "public_page_enabled", "branch_id"
    )
    only_member = request.GET.get("member", "")
    if only_member:
        members = members.filter(pk=parse_id(only_member) or 0)
    members = list(members.order_by("name", "pk"))
    cells = (
        [] if only_member else [{"branch": branch, "svg": qr.qr_inline_svg(branch.public_token)}]
    )
    cells += [
        {"member": member, "svg": qr.qr_inline_svg(member.public_token)} for member in members
    ]
    pages = [
        cells[start : start + WALL_CELLS_PER_PAGE]
        for start in range(0, len(cells), WALL_CELLS_PER_PAGE)
    ]
    return render(
        request,
        "pledges/codes/wall_sheet.html",
        {
            "branch": branch,
            "pages": pages,
            "member_count": len(members),
            "board_only": [member for member in members if not member.public_page_enabled],
            "only_member": only_member,
        },
    )


@login_required
def poster(request, branch_id: int):
    """One large code of the branch, for its notice board."""
    branch = branch_for(user=request.user, branch_id=branch_id)
    return render(
        request,
        "pledges/codes/poster.html",
        {"branch": branch, "svg": qr.qr_inline_svg(branch.public_token)},
    )


# ---------------------------------------------------------------------------
# The secretary's moves on a member's code
# ---------------------------------------------------------------------------
def _managed_member(request, member_id: int) -> Member:
    member = member_for(user=request.user, member_id=member_id)
    if not can_manage_branch(request.user, member.branch):
        raise PermissionDenied(_("二维码和公开承诺页由本支部书记管理；上级党组织只能查看。"))
    return member


@login_required
@require_POST
def member_reissue(request, member_id: int):
    member = _managed_member(request, member_id)
    member = services.member_token_reissue(member=member, actor=request.user)
    print_url = reverse("pledges:wall_sheet", args=[member.branch_id]) + f"?member={member.pk}"
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("已为“%(name)s”换发新二维码，原二维码已停用（扫描时提示已停用）。")
            % {"name": member.name},
            print_url,
            _("请打印新二维码，替换墙上的旧码。"),
        ),
    )
    return HttpResponseRedirect(
        safe_next_url(request, reverse("branches:member_edit", args=[member.pk]))
    )


@login_required
@require_POST
def member_public_page(request, member_id: int):
    member = _managed_member(request, member_id)
    enabled = request.POST.get("enabled") == "1"
    member = services.member_set_public_page(member=member, actor=request.user, enabled=enabled)
    if member.public_page_enabled:
        text = _("已恢复“%(name)s”的公开承诺页：扫码可查看其本人的承诺。")
    else:
        text = _("已关闭“%(name)s”的公开承诺页：扫其二维码只显示支部公示栏。")
    messages.success(request, text % {"name": member.name})
    return HttpResponseRedirect(
        safe_next_url(request, reverse("branches:member_edit", args=[member.pk]))
    )
