"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def monthly_report(request, **kwargs):
    raise NotImplementedError
