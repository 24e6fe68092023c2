"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def branch_list(request, **kwargs):
    raise NotImplementedError


def branch_detail(request, **kwargs):
    raise NotImplementedError


def member_list(request, **kwargs):
    raise NotImplementedError


def member_add(request, **kwargs):
    raise NotImplementedError


def member_edit(request, **kwargs):
    raise NotImplementedError


def member_exempt(request, **kwargs):
    raise NotImplementedError


def member_deactivate(request, **kwargs):
    raise NotImplementedError


def member_reactivate(request, **kwargs):
    raise NotImplementedError
