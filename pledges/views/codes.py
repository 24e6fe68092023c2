"""TO BE WRITTEN: placeholder functions so the URL configuration imports."""


def qr_svg(request, **kwargs):
    raise NotImplementedError


def qr_png(request, **kwargs):
    raise NotImplementedError


def wall_sheet(request, **kwargs):
    raise NotImplementedError


def poster(request, **kwargs):
    raise NotImplementedError


def member_reissue(request, **kwargs):
    raise NotImplementedError


def member_public_page(request, **kwargs):
    raise NotImplementedError
