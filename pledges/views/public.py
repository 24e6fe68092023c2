"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def district_site(request, **kwargs):
    raise NotImplementedError


def search(request, **kwargs):
    raise NotImplementedError


def by_token(request, **kwargs):
    raise NotImplementedError


def pledge_page(request, **kwargs):
    raise NotImplementedError
