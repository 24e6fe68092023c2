"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def pledge_detail(request, **kwargs):
    raise NotImplementedError


def pledge_move(request, **kwargs):
    raise NotImplementedError


def pledge_review(request, **kwargs):
    raise NotImplementedError


def approvals(request, **kwargs):
    raise NotImplementedError


def publish_many(request, **kwargs):
    raise NotImplementedError


def progress_add(request, **kwargs):
    raise NotImplementedError
