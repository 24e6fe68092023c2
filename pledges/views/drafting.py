"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def branch_pledges(request, **kwargs):
    raise NotImplementedError


def pledge_add(request, **kwargs):
    raise NotImplementedError


def pledge_edit(request, **kwargs):
    raise NotImplementedError


def pledge_letter(request, **kwargs):
    raise NotImplementedError


def branch_letters(request, **kwargs):
    raise NotImplementedError
