"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def notice_page(request, **kwargs):
    raise NotImplementedError
