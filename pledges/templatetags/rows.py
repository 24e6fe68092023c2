"""List items of the workspace's longest lists, written in one pass.

A needs list of forty needs claimed by a hundred pledges, an approval queue of thirty
pledges, a committee's to-do of sixty rows: drawn by the template engine, node by node,
their rows were half of each page's time. Each tag here writes what the template loop it
replaced wrote, character for character (tests/pledges/test_fast_rows.py renders the two
side by side), with the same texts to translate, each translated once per list.

`{% need_item need %}`: one need of the needs list (pledges/needs/need_list.html), with
`{% claim_items claims %}`, the pledges that claim it.
`{% approval_items pledges today %}`: the approval queue's rows (approvals.html).
`{% staff_todo_items pledges url_name %}` and `{% overdue_branch_items branches %}`: a
committee's to-do lists (reviews/home.html).
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from branches.http import id_url
from branches.templatetags.dates import cn_date
from branches.templatetags.submission import submission_key
from pledges.enums import NeedStatus

register = template.Library()

CLAIM = '\n        <li><a href="{}">{}：{}</a> <span class="badge {}">{}</span></li>\n      '


@register.simple_tag
def claim_items(claims) -> SafeString:
    e = conditional_escape
    return mark_safe(
        "".join(
            CLAIM.format(
                e(pledge.detail_url),
                e(pledge.pledger),
                e(pledge.title),
                e(pledge.status),
                e(pledge.status_label),
            )
            for pledge in claims
        )
    )


APPROVAL = (
    "\n  <li>\n"
    '    <label class="checkbox"><input type="checkbox" name="pledges" value="{pk}"'
    ' aria-label="{choose}">\n'
    '    <a class="title" href="{url}">{title}</a></label>\n'
    "    {returned}\n"
    '    <div>{pledger} · {branch} <span class="muted">{committee}</span></div>\n'
    '    <div class="muted"><span{overdue}>{due}</span>{submitted}</div>\n'
    "  </li>\n"
)


@register.simple_tag
def approval_items(pledges, today) -> SafeString:
    e = conditional_escape
    # The texts of blocktranslate and translate, translated once for the whole list.
    choose = gettext("选择“%(title)s”")
    due = gettext("完成时限 %(date)s")
    submitted = gettext("%(date)s 提交")
    returned = f'<span class="badge returned">{e(gettext("重新提交"))}</span>'
    member_word, branch_pledge = e(gettext("党员")), e(gettext("支部承诺"))
    items = []
    for pledge in pledges:
        title = e(pledge.title)
        submitted_at = ""
        if pledge.submitted_at:
            day = cn_date(timezone.localtime(pledge.submitted_at))
            submitted_at = " · " + submitted % {"date": e(day)}
        items.append(
            APPROVAL.format(
                pk=pledge.pk,
                choose=choose % {"title": title},
                url=e(id_url("pledges:pledge_review", pledge.pk)),
                title=title,
                returned=returned if pledge.was_returned else "",
                pledger=f"{member_word} {e(pledge.member.name)}"
                if pledge.member_id
                else branch_pledge,
                branch=e(pledge.owner_branch.name),
                committee=e(pledge.owner_branch.committee.name),
                overdue=' class="overdue"' if pledge.due_date < today else "",
                due=due % {"date": e(cn_date(pledge.due_date))},
                submitted=submitted_at,
            )
        )
    return mark_safe("".join(items))


STAFF_TODO_PLEDGE = (
    '\n      <li><a class="title" href="{}">{}</a>\n'
    '        <div class="muted">{} · {}</div></li>\n    '
)
OVERDUE_BRANCH = (
    '\n      <li><a class="title" href="{}?overdue=1">{}</a>\n'
    '        <span class="overdue">{}</span></li>\n    '
)


@register.simple_tag
def staff_todo_items(pledges, url_name: str) -> SafeString:
    """The rows of a committee's to-do list of pledges (reviews/home.html): each pledge's
    link to the page `url_name` names, its title, its branch and its pledger."""
    e = conditional_escape
    return mark_safe(
        "".join(
            STAFF_TODO_PLEDGE.format(
                e(id_url(url_name, pledge.pk)),
                e(pledge.title),
                e(pledge.owner_branch.name),
                e(pledge.pledger),
            )
            for pledge in pledges
        )
    )


@register.simple_tag
def overdue_branch_items(branches) -> SafeString:
    """The rows of a committee's branches with overdue pledges (reviews/home.html): each
    branch's link to its overdue pledges, and how many there are (`overdue_count`)."""
    e = conditional_escape
    return mark_safe(
        "".join(
            OVERDUE_BRANCH.format(
                e(id_url("pledges:branch_pledges", branch.pk)),
                e(branch.name),
                ngettext("%(counter)s 项逾期", "%(counter)s 项逾期", branch.overdue_count)
                % {"counter": branch.overdue_count},
            )
            for branch in branches
        )
    )


NEED_HEAD = (
    '\n  <li>\n    <div>\n      <span class="badge {}">{}</span>\n'
    '      <span class="badge {}">{}</span>\n    </div>\n    '
)
NEED_PICK = (
    '\n    <label class="checkbox need-pick"><input type="checkbox" name="needs" value="{}"'
    ' form="claim-form"> <span class="title">{}</span></label>\n    '
)
NEED_TITLE = '\n    <div class="title">{}</div>\n    '
NEED_MUTED = '\n    <div class="muted">\n      {}\n    </div>\n    '
NEED_CLAIMS = (
    '\n    <details class="claims"{}>\n      <summary>{}</summary>\n'
    "      <ul>{}</ul>\n    </details>\n    "
)
NEED_ACTIONS = (
    '\n    <div class="actions">\n      {}\n      <a href="{}">{}</a>\n      {}\n    </div>\n    '
)
NEED_FORM = (
    '\n      <form method="post" action="{}">{}{}<input type="hidden" name="next" value="{}">'
    '<button type="submit" class="{}">{}</button></form>\n      '
)
# The move of each status (its URL, its button's class and text), as need_list.html had them.
NEED_MOVES = {
    NeedStatus.CLAIMED: ("pledges:need_resolve", "secondary", "标记已解决"),
    NeedStatus.OPEN: ("pledges:need_drop", "plain", "搁置"),
    NeedStatus.DROPPED: ("pledges:need_reopen", "plain", "恢复"),
}


def _need_texts(context) -> dict:
    """The needs list's texts and the page's values, read once per page."""
    kept = context.render_context.get(_need_texts)
    if kept is None:
        csrf_token = context.get("csrf_token")
        if csrf_token == "NOTPROVIDED" or not csrf_token:
            csrf_field = ""
        else:
            csrf_field = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token
            )
        kept = {
            "can_manage": context.get("can_manage"),
            "live_statuses": context.get("live_statuses") or (),
            "pledge_add": conditional_escape(context.get("pledge_add", "")),
            "next_path": conditional_escape(context.get("next_path", "")),
            "csrf_field": csrf_field,
            "claim": conditional_escape(gettext("认领并写承诺")),
            "edit": conditional_escape(gettext("修改")),
            "raised_by": gettext("提出人：%(who)s"),
            "moves": {
                status: (name, css, conditional_escape(gettext(text)))
                for status, (name, css, text) in NEED_MOVES.items()
            },
        }
        context.render_context[_need_texts] = kept
    return kept


@register.simple_tag(takes_context=True)
def need_item(context, need) -> SafeString:
    """One need of the needs list (pledges/needs/need_list.html): its urgency and status,
    its description (to tick, for the secretary, while it is live), where it comes from,
    the pledges that claim it (`claims`, set by the view) and the secretary's moves. Reads
    the page's `can_manage`, `live_statuses`, `pledge_add` and `next_path`."""
    e = conditional_escape
    texts = _need_texts(context)
    live = need.status in texts["live_statuses"]
    description = linebreaksbr(need.description, autoescape=True)
    parts = [
        NEED_HEAD.format(
            e(need.urgency), e(need.urgency_label), e(need.status), e(need.status_label)
        )
    ]
    if texts["can_manage"] and live:
        parts.append(NEED_PICK.format(need.pk, description))
    else:
        parts.append(NEED_TITLE.format(description))
    muted = f"{e(need.village)} · " if need.village else ""
    muted += f"{e(need.category_label)} · {e(need.source_label)}"
    if need.raised_by:
        muted += " · " + texts["raised_by"] % {"who": e(need.raised_by)}
    muted += f" · {e(cn_date(timezone.localtime(need.created_at)))}"
    parts.append(NEED_MUTED.format(muted))
    claims = need.claims
    if claims:
        count = len(claims)
        summary = ngettext("认领的承诺 %(counter)s 项", "认领的承诺 %(counter)s 项", count) % {
            "counter": count
        }
        parts.append(
            NEED_CLAIMS.format(" open" if count <= 3 else "", summary, claim_items(claims))
        )
    parts.append("\n    ")
    if texts["can_manage"]:
        claim = (
            f'<a href="{texts["pledge_add"]}?needs={need.pk}">{texts["claim"]}</a>' if live else ""
        )
        form = ""
        if need.status in texts["moves"]:
            name, css, label = texts["moves"][need.status]
            form = NEED_FORM.format(
                id_url(name, need.pk),
                texts["csrf_field"],
                submission_key(),
                texts["next_path"],
                css,
                label,
            )
        parts.append(
            NEED_ACTIONS.format(claim, id_url("pledges:need_edit", need.pk), texts["edit"], form)
        )
    parts.append("\n  </li>\n  ")
    return mark_safe("".join(parts))
