from django.utils.functional import SimpleLazyObject

from branches.permissions import staff_committee_paths


def workspace(request):
    """The signed-in person's own branch and staff standing, for the navigation.

    Lazy: pages that never show the navigation (public pages) run no query for it.
    """
    from pledges.selectors import secretary_branch

    user = request.user

    def build():
        return {
            "branch": secretary_branch(user=user),
            "is_committee_staff": bool(staff_committee_paths(user)),
        }

    return {"workspace": SimpleLazyObject(build)}
