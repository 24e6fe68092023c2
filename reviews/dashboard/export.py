"""The dashboard's tables as the sheets of its .xlsx export."""

import datetime

from django.utils.translation import gettext as _

from pledges import figures as definitions
from pledges.enums import PledgeStatus, Step
from pledges.figures import LIVE
from reviews.dashboard.figures import CategoryRow, CommitteeRow, Figures

S = PledgeStatus


def committee_label(row: CommitteeRow) -> str:
    return row.committee.name if row.committee else _("直属党支部")


def export_sheets(
    *,
    total: Figures,
    rows: list[CommitteeRow],
    branches,
    categories: list[CategoryRow],
    today: datetime.date,
) -> list[tuple[str, list[str], list[list]]]:
    """The dashboard's tables as (sheet title, headers, rows) for branches.xlsx, with the
    dashboard's figures and labels; the branch sheet holds every branch of the scope (one
    query)."""
    steps = total.by_step()
    overall = [
        [_("统计日期"), today.isoformat()],
        [_("党支部"), total.branches],
        [_("在册党员"), total.active_members],
        [_("已承诺党员"), total.pledged_members],
        [_("免于承诺党员"), total.exempt_members],
        [_("未覆盖党员"), total.uncovered_members],
        [_("承诺（不含草稿、已撤销）"), total.pledges_total],
        [_("已撤销承诺"), total.withdrawn],
        *[[str(status.label), total.by_status.get(status, 0)] for status in S],
        *[[_("六步：") + str(step.label), steps[step.value]] for step in Step],
        [_("已完成承诺"), total.pledges_done],
        [_("完成率（%）"), total.done_percent],
        [_("逾期承诺"), total.overdue],
        [_("党员承诺覆盖率（%）"), total.covered_percent],
        [_("已公示承诺"), total.pledges_published],
        [_("已公示承诺完成率（%）"), total.published_done_percent],
    ]
    committee_sheet = [
        [
            committee_label(row),
            row.figures.branches,
            row.figures.active_members,
            row.figures.pledged_members,
            row.figures.exempt_members,
            row.figures.uncovered_members,
            row.figures.pledges_total,
            row.figures.pledges_done,
            row.figures.done_percent,
            row.figures.overdue,
            row.figures.withdrawn,
        ]
        for row in rows
    ]
    branch_sheet = [
        [
            branch.committee.name,
            branch.name,
            figures.active_members,
            figures.pledged_members,
            figures.exempt_members,
            figures.pledges_total,
            figures.pledges_done,
            figures.done_percent,
            figures.pledges_overdue,
        ]
        for branch in branches
        for figures in [definitions.Figures.of_branch(branch, LIVE)]
    ]
    category_sheet = [
        [row.label, row.total, row.done, row.done_percent, row.overdue, row.withdrawn]
        for row in categories
    ]
    return [
        (_("总体"), [_("项目"), _("数值")], overall),
        (
            _("各党委"),
            [
                _("党委"),
                _("党支部"),
                _("在册党员"),
                _("已承诺党员"),
                _("免于承诺党员"),
                _("未覆盖党员"),
                _("承诺数"),
                _("已完成"),
                _("完成率（%）"),
                _("逾期"),
                _("已撤销"),
            ],
            committee_sheet,
        ),
        (
            _("各支部"),
            [
                _("所属党委"),
                _("党支部"),
                _("在册党员"),
                _("已承诺党员"),
                _("免于承诺党员"),
                _("承诺数"),
                _("已完成"),
                _("完成率（%）"),
                _("逾期"),
            ],
            branch_sheet,
        ),
        (
            _("各类别"),
            [_("类别"), _("承诺数"), _("已完成"), _("完成率（%）"), _("逾期"), _("已撤销")],
            category_sheet,
        ),
    ]
