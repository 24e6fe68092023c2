"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def feedback_submit(request, **kwargs):
    raise NotImplementedError


def pledge_feedback(request, **kwargs):
    raise NotImplementedError


def feedback_moderate(request, **kwargs):
    raise NotImplementedError


def branch_feedback(request, **kwargs):
    raise NotImplementedError


def pledge_amend(request, **kwargs):
    raise NotImplementedError
