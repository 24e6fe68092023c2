"""Keeping the stored year-end figures (reviews.stored_figures) equal to a fresh count:
counted again, by the page's own definition, for the branches and years that
pledges.figures.stored refreshes (registered in ReviewsConfig.ready), and for those an
evaluation names (`yearend_figures_changed`)."""

from collections.abc import Iterable

from django.db.models import Q

from pledges.figures.stored import stored_figures_changed
from pledges.models import Pledge
from reviews.selectors.yearend import RATEABLE_STATUSES, with_first_evaluation, yearend_counts
from reviews.stored_figures import YEAREND_FIGURES, YearEndFigures

BATCH_SIZE = 2000


def count_yearend_again(
    *,
    branch_ids: list[int] | None,
    years: list[int] | None,
    pledge_model: type = Pledge,
    figures_model: type = YearEndFigures,
) -> None:
    """Replace the year-end figures of these branches and years (None: all) by a count.
    The caller holds the transaction. `pledge_model` and `figures_model` may be a
    migration's historical models."""
    pledges = pledge_model.objects.filter(status__in=RATEABLE_STATUSES).order_by()
    stored = figures_model.objects.all()
    if branch_ids is not None:
        pledges = pledges.filter(owner_branch__in=branch_ids)
        stored = stored.filter(branch__in=branch_ids)
    if years is None:
        years = sorted(set(pledges.values_list("year", flat=True).distinct()))
    else:
        stored = stored.filter(year__in=years)
    rows = []
    # One query a year: the evaluation chains joined are those of the pledge's own year.
    for year in years:
        for item in (
            with_first_evaluation(pledges.filter(year=year), year=year)
            .values("owner_branch")
            .annotate(**yearend_counts())
        ):
            rows.append(
                figures_model(
                    branch_id=item["owner_branch"],
                    year=year,
                    **{name: item[name] for name in YEAREND_FIGURES},
                )
            )
    stored._raw_delete(stored.db)
    figures_model.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def yearend_figures_changed(*, pledges: Iterable[Pledge] = (), pledge_q: Q | None = None) -> None:
    """These pledges' evaluations changed (recorded, corrected, published): count their
    branches' figures of their years again, with the pledges' own (one door for both)."""
    keys = {(pledge.owner_branch_id, pledge.year) for pledge in pledges}
    if pledge_q is not None:
        named = Pledge.objects.filter(pledge_q).order_by()
        keys |= set(named.values_list("owner_branch", "year").distinct())
    stored_figures_changed(keys=keys)
