"""QR codes of public tokens: the absolute address printed on walls, and its images.

A token's code never changes (a reissue makes a new token), so its images are rendered
once per process and cached by address; a change of PUBLIC_BASE_URL changes the address
and so the cache key. The public image addresses serve them from the shared cache
(`live_image`), where an image stands for "this token is live" for IMAGE_CACHE_SECONDS:
a scan of a wall's image costs no query and no rendering. Retiring a token (a reissue)
drops its images at once (pledges.signals).
"""

import functools
import hashlib
import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from qrcode.image.pil import PilImage

from branches.models import Branch, Member

# Level Q restores up to a quarter of the symbol: codes on an outdoor wall get scratched,
# faded and spotted, and the address is short enough that Q still gives a small symbol
# (version 4, 33 modules, for a 46-character https address).
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
# The quiet zone of 4 modules that the standard requires; scanners need it to find the
# code among the bricks, so it is part of every image and of every printed size.
BORDER = 4
# Pixels per module of the PNG: 410 px for a version 4 code, sharp on any phone screen.
PNG_BOX_SIZE = 10
RENDER_CACHE_SIZE = 1024
# How long a live token's image is served from the shared cache before the token is
# looked up again: a token deleted with its member (not retired) keeps its image this long.
IMAGE_CACHE_SECONDS = 24 * 60 * 60
IMAGE_KINDS = ("png", "svg")


class _SvgImage(qrcode.image.svg.SvgPathFillImage):
    """One path on a white ground (readable on any background), without the fixed
    id="qr-path", so that many codes can sit inline in one page."""

    def process(self):
        super().process()
        self.path.attrib.pop("id", None)


def public_url(token: str) -> str:
    """The absolute public address of a token, as printed in its QR code."""
    return settings.PUBLIC_BASE_URL + reverse("public:by_token", args=[token])


def _code(data: str, *, image_factory, box_size: int = 10) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECTION,
        border=BORDER,
        box_size=box_size,
        image_factory=image_factory,
    )
    code.add_data(data)
    code.make(fit=True)
    return code


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def _svg_for(url: str) -> str:
    return _code(url, image_factory=_SvgImage).make_image().to_string(encoding="unicode")


@functools.lru_cache(maxsize=RENDER_CACHE_SIZE)
def _png_for(url: str) -> bytes:
    image = _code(url, image_factory=PilImage, box_size=PNG_BOX_SIZE).make_image()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_code(token: str) -> qrcode.QRCode:
    """The code object of a token (its version, level and border), for inspection."""
    return _code(public_url(token), image_factory=_SvgImage)


def qr_svg(token: str) -> str:
    """The token's code as a standalone SVG document: one path, no text, no fonts."""
    return _svg_for(public_url(token))


def qr_inline_svg(token: str) -> SafeString:
    """The token's code as SVG markup to put inline in a page (printed sheets, manuals,
    letters). Generated from a token of the 32-symbol alphabet: no user text in it."""
    return mark_safe(qr_svg(token))


def qr_png(token: str) -> bytes:
    """The token's code as a black-and-white PNG."""
    return _png_for(public_url(token))


def token_is_live(token: str) -> bool:
    """Whether a (normalised) token names a member, on the roll or not, or a branch today:
    retired and unknown tokens have no image."""
    return (
        Member.objects.filter(public_token=token).exists()
        or Branch.objects.filter(public_token=token).exists()
    )


def _image_key(kind: str, token: str) -> str:
    address = hashlib.sha256(settings.PUBLIC_BASE_URL.encode()).hexdigest()[:12]
    return f"qr-image:{kind}:{token}:{address}"


def live_image(token: str, *, kind: str) -> bytes | None:
    """The image ("png" or "svg") of a live token, from the shared cache or rendered and
    kept; None for a retired or unknown token."""
    key = _image_key(kind, token)
    image = cache.get(key)
    if image is None:
        if not token_is_live(token):
            return None
        image = qr_png(token) if kind == "png" else qr_svg(token).encode()
        cache.set(key, image, IMAGE_CACHE_SECONDS)
    return image


def forget_images(token: str) -> None:
    """Drop a token's cached images (it was retired)."""
    cache.delete_many([_image_key(kind, token) for kind in IMAGE_KINDS])
