"""致全区党员的一封信: the district's letter to all its members, written by its staff."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import OrganisationAction
from branches.models import Committee
from branches.services.audit import field_changes, organisation_change_record
from pledges.manuals import FIRST_YEAR, LAST_YEAR, can_edit_members_letter
from pledges.models import MembersLetter

# The most characters of the body (line breaks not counted): with the title, the
# salutation, the signature and the QR code, a letter this long in LETTER_MAX_PARAGRAPHS
# paragraphs still prints on one A4 page (static/css/manuals-pledges.css).
LETTER_BODY_MAX_CHARS = 800
# The most paragraphs: each starts a new line and costs most of one.
LETTER_MAX_PARAGRAPHS = 8
# The audit row's labels of the fields, in the order the form shows them.
LETTER_LABELS = {
    "title": gettext_lazy("标题"),
    "body": gettext_lazy("正文"),
    "signature": gettext_lazy("落款"),
    "dated": gettext_lazy("落款日期"),
}


def _checked_text(*, title: str, body: str, signature: str) -> dict:
    """The texts trimmed, the body as one paragraph a line; ValidationError with every
    reason at once when anything is missing or too long for one page."""
    paragraphs = [line.strip() for line in (body or "").splitlines() if line.strip()]
    texts = {
        "title": (title or "").strip(),
        "body": "\n".join(paragraphs),
        "signature": (signature or "").strip(),
    }
    errors = {}
    if not texts["title"]:
        errors["title"] = _("请填写标题。")
    if not texts["signature"]:
        errors["signature"] = _("请填写落款，即发信的党组织。")
    if not paragraphs:
        errors["body"] = _("请填写正文。")
    elif sum(map(len, paragraphs)) > LETTER_BODY_MAX_CHARS:
        errors["body"] = _(
            "正文最多 %(limit)s 字，这样每封信正好印在一页 A4 纸上；现在有 %(count)s 字。"
        ) % {"limit": LETTER_BODY_MAX_CHARS, "count": sum(map(len, paragraphs))}
    elif len(paragraphs) > LETTER_MAX_PARAGRAPHS:
        errors["body"] = _(
            "正文最多 %(limit)s 段，这样每封信正好印在一页 A4 纸上；现在有 %(count)s 段。"
        ) % {"limit": LETTER_MAX_PARAGRAPHS, "count": len(paragraphs)}
    if errors:
        raise ValidationError(errors)
    return texts


def members_letter_save(
    *,
    committee: Committee,
    year: int,
    title: str,
    body: str,
    signature: str,
    dated: datetime.date,
    actor,
) -> MembersLetter:
    """Write (or rewrite) the root committee's letter of `year`, with an entry in the
    organisation's audit list naming what changed. Only the committee's staff or its
    organisation staff may; a letter saved unchanged writes nothing."""
    if committee.parent_id is not None:
        raise ValidationError(_("致全体党员的一封信由最上级党组织（区、县）发出。"))
    if not can_edit_members_letter(actor, committee):
        raise PermissionDenied(_("只有区（县）党组织的工作人员可以撰写致全体党员的一封信。"))
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(_("年度不正确。"))
    if not isinstance(dated, datetime.date):
        raise ValidationError({"dated": _("请填写落款日期。")})
    after = {**_checked_text(title=title, body=body, signature=signature), "dated": dated}
    with transaction.atomic():
        letter = (
            MembersLetter.objects.select_for_update().filter(committee=committee, year=year).first()
        )
        before = (
            {name: getattr(letter, name) for name in LETTER_LABELS}
            if letter
            else dict.fromkeys(LETTER_LABELS, "")
        )
        if letter is not None and before == after:
            return letter
        if letter is None:
            letter = MembersLetter(committee=committee, year=year)
        for name, value in after.items():
            setattr(letter, name, value)
        letter.updated_by = actor
        letter.updated_at = timezone.now()
        try:
            with transaction.atomic():
                letter.save()
        except IntegrityError as error:
            # Written meanwhile by someone else: the unique (committee, year) refused it.
            raise ValidationError(
                _("这一年的信刚刚由别人保存了，请刷新页面，在最新内容上修改。")
            ) from error
        organisation_change_record(
            actor=actor,
            action=OrganisationAction.MEMBERS_LETTER_SAVE,
            committee=committee,
            subject=_("%(year)s年《%(title)s》") % {"year": year, "title": letter.title},
            changes=field_changes(before, after, LETTER_LABELS),
        )
    return letter
