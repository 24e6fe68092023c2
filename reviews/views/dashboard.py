"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def dashboard(request, **kwargs):
    raise NotImplementedError


def dashboard_export(request, **kwargs):
    raise NotImplementedError
