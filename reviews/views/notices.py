"""The public page of a published half-year notice (通报)."""

from django.shortcuts import render

from reviews.selectors.calendar import published_notice_for


def notice_page(request, notice_id: int):
    """A published notice, for anyone; a draft or an unknown id answers 404."""
    notice = published_notice_for(notice_id=notice_id)
    return render(request, "reviews/public_notice.html", {"notice": notice})
