"""The public page of the year-end results (用诺 公示): only what was published."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.selectors.yearend import public_results, published_result_years

FIRST_YEAR = 2000


def results_page(request, year: int):
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404(_("没有这个年度。"))
    return render(
        request,
        "reviews/public_results.html",
        {"year": year, "branches": public_results(year=year)},
    )


def results_index(request):
    """The years whose year-end results were published, newest first, each with its
    figures: the way in to each year's results page."""
    return render(request, "reviews/public_results_index.html", {"years": published_result_years()})
