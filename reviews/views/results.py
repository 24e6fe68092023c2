"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def results_page(request, **kwargs):
    raise NotImplementedError
