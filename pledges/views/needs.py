"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def need_list(request, **kwargs):
    raise NotImplementedError


def need_add(request, **kwargs):
    raise NotImplementedError


def need_merge(request, **kwargs):
    raise NotImplementedError


def need_edit(request, **kwargs):
    raise NotImplementedError


def need_resolve(request, **kwargs):
    raise NotImplementedError


def need_drop(request, **kwargs):
    raise NotImplementedError
