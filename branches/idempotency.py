"""Idempotent form submissions: a form that writes carries a one-time key (the template tag
`{% submission_key %}`), and the same submission arriving twice is carried out once.

A POST can be carried out and committed while its answer never reaches the person: the
worker is killed after the commit, the phone's connection drops. The browser then offers
to send the form again, and without a key that second sending writes a second row.

SubmissionKeyMiddleware, for a POST carrying a well-formed key:

1. In one transaction, it first inserts the submission's row (models.SubmissionKey), then
   runs the view. A twin of the submission arriving meanwhile waits on the row's unique
   digest until that transaction ends (PostgreSQL; on SQLite the single writer lock holds
   it the same way).
2. A redirect (a form carried out, answered Post/Redirect/Get) keeps the row with its
   Location, committed together with the view's writes: whenever they are committed, so is
   the row, however the request ends afterwards. A page a view marks with mark_submitted()
   (a handover slip shown once) is kept the same way, with the address it names.
3. Any other answer (a form drawn again with its errors, a refusal page, a redirect that
   carries a refusal's reason as a warning or error message) deletes the row
   in the same transaction and commits whatever the view wrote, as without the key: the
   person corrects the form and sends it again. An exception rolls everything back.
4. A submission whose row exists runs nothing and is answered 303 to the stored address,
   with a note that it was not carried out again.

What names a submission is its digest: the SHA-256 of the key, who sent it, the address
it went to and what the form held, files included. Who sent it is the workspace's
signed-in person (a signed-out person's POST is carried out as before: its answer is the
sign-in page); the public pages' submissions are anonymous and never read the session.
The key itself is not stored, so the digest gives away nothing of what the form held. A
form sent again with other content under the same key (the browser's Back, a change,
Send) is another submission and is carried out; one sent by another person is theirs and
reveals nothing of the first. A POST without a key, or with a malformed one, is carried
out as before.
"""

import hashlib
import json
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.middleware import PUBLIC_NAMESPACES
from branches.models import SubmissionKey

# The form field carrying the key (branches.templatetags.submission).
FIELD_NAME = "submission_key"
# Submissions kept this long: a resubmission later than that is carried out again.
KEEP_DAYS = 30
# Form fields that are not part of what was asked: the key itself and the CSRF token.
UNCOUNTED_FIELDS = frozenset({FIELD_NAME, "csrfmiddlewaretoken"})
# The answers of a form carried out (Post/Redirect/Get). 307 and 308 would send the
# form again, so they never count.
REDIRECT_STATUSES = frozenset({301, 302, 303})
REPLAY_ATTRIBUTE = "submission_replay_location"
PATH_LENGTH = SubmissionKey._meta.get_field("path").max_length


def mark_submitted(response, *, replay_to: str):
    """Mark a page answering a carried-out submission (not a redirect: a page shown once,
    such as a handover slip): the same submission sent again is sent to `replay_to`.
    Returns the response."""
    setattr(response, REPLAY_ATTRIBUTE, replay_to)
    return response


def submission_key_of(request) -> uuid.UUID | None:
    """The key the posted form carries, or None when it carries none or a malformed one."""
    value = request.POST.get(FIELD_NAME, "")
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _file_digest(upload) -> list:
    """Name, size and SHA-256 of an uploaded file, read from its start and left there."""
    content = hashlib.sha256()
    for chunk in upload.chunks():
        content.update(chunk)
    upload.seek(0)
    return [upload.name, upload.size, content.hexdigest()]


def submission_digest(request, *, key: uuid.UUID, user_id: int | None) -> str:
    """What names one submission: the key, the sender, the address and the form's content."""
    fields = [
        [name, request.POST.getlist(name)]
        for name in sorted(request.POST)
        if name not in UNCOUNTED_FIELDS
    ]
    files = [
        [name, [_file_digest(upload) for upload in request.FILES.getlist(name)]]
        for name in sorted(request.FILES)
    ]
    identity = [str(key), user_id, request.get_full_path(), fields, files]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()


def refused_with_message(request) -> bool:
    """Whether the view queued a warning or an error for this request: a move refused with
    its reason, answered by a redirect back to the page that shows the reason."""
    # Read the queue without iterating the storage: iterating marks the messages used, and
    # they would never be shown.
    queued = getattr(getattr(request, "_messages", None), "_queued_messages", ())
    return any(message.level >= messages.WARNING for message in queued)


def replay_location(request, response) -> str | None:
    """Where a replay of this answer goes; None when the answer carried nothing out: a
    page drawn again, a refusal, or a redirect that carries a refusal's reason or leads to
    the sign-in page."""
    marked = getattr(response, REPLAY_ATTRIBUTE, None)
    if marked and response.status_code < 400:
        return marked
    if response.status_code not in REDIRECT_STATUSES or not response.has_header("Location"):
        return None
    location = response["Location"]
    if refused_with_message(request) or urlsplit(location).path == resolve_url(settings.LOGIN_URL):
        return None
    return location


def purge_expired(*, now=None) -> int:
    """Delete the submissions older than KEEP_DAYS; return how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=KEEP_DAYS)
    deleted, _by_model = SubmissionKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


class SubmissionKeyMiddleware:
    """Carries out a keyed POST once (see the module). It runs the view itself, inside the
    transaction, from process_view: keep it below every middleware whose process_view must
    come first (CSRF, the one-time password), and above none that has one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or iscoroutinefunction(view_func):
            return None
        key = submission_key_of(request)
        if key is None:
            return None
        public = request.resolver_match.namespace in PUBLIC_NAMESPACES
        if public:
            user_id = None
        elif request.user.is_authenticated:
            user_id = request.user.pk
        else:
            # Signed out on a workspace page: the answer is the sign-in page, which must
            # not stand for the form once the person has signed in and sends it again.
            return None
        digest = submission_digest(request, key=key, user_id=user_id)
        with transaction.atomic():
            row = _claim(digest=digest, user_id=user_id, path=request.path)
            if row is not None:
                response = view_func(request, *view_args, **view_kwargs)
                location = replay_location(request, response)
                if location is None:
                    row.delete()
                else:
                    row.response_location = location
                    row.save(update_fields=["response_location"])
        if row is None:
            return _replay(request, digest=digest, public=public)
        if location is not None:
            purge_expired()
        return response


def _claim(*, digest: str, user_id: int | None, path: str) -> SubmissionKey | None:
    """Insert the submission's row, or None when it was carried out already. While a twin
    of it is being carried out, this waits for that transaction to end."""
    try:
        with transaction.atomic():
            return SubmissionKey.objects.create(
                digest=digest, user_id=user_id, path=path[:PATH_LENGTH]
            )
    except IntegrityError:
        return None


def _replay(request, *, digest: str, public: bool):
    """The answer to a submission carried out already: 303 to where the first went."""
    location = (
        SubmissionKey.objects.filter(digest=digest)
        .values_list("response_location", flat=True)
        .first()
    )
    if not location:
        # Purged in between: carried out as a new submission, without a key.
        return None
    if not public:
        messages.info(request, _("这张表单已经提交过，没有再次处理。"))
    return HttpResponseRedirect(location, status=303)
