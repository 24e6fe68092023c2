"""The import batches a person may see: those scoped to their organisation subtrees."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from branches.models import ImportBatch
from branches.permissions import organisation_committee_paths


def import_batches_organised_by(*, user) -> QuerySet[ImportBatch]:
    scope = Q(pk__in=[])
    for path in organisation_committee_paths(user):
        scope |= Q(committee__path__startswith=path)
    return ImportBatch.objects.filter(scope).select_related("committee", "created_by")


def import_batch_for(*, user, batch_id: int) -> ImportBatch:
    """The batch if it lies in the person's subtrees, else 404."""
    return get_object_or_404(import_batches_organised_by(user=user), pk=batch_id)
