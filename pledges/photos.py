"""Progress photos: what an upload must be, and what is kept of it.

A photo is accepted when Pillow reads it as JPEG, PNG or WebP (never judged by its
name or its declared content type), when the file is at most 10 MB (checked before
anything is decoded) and the picture at most 24 megapixels as a JPEG, 10 megapixels as
a PNG or WebP (checked from the header, before any pixel is loaded; Pillow's own
decompression-bomb guard is set to the larger limit and its warning is treated as a
refusal).

What is stored is a new encoding of the pixels, never the uploaded bytes: turned
upright by its EXIF orientation, converted to sRGB where it carried a colour profile,
shrunk to at most 2560 px on its long side, and written without any EXIF (GPS
included), ICC profile or text chunk. Everything is stored as JPEG (quality 85): a photo
sent as PNG or WebP becomes a JPEG a fraction of its size. A picture with transparency
is laid over a white ground first, as it would be shown on a page or printed on paper:
white where it was transparent, never black. The thumbnail (at most 320 px, JPEG) is
made once, here, from the stored picture.

What a photo costs: the pixel caps bound memory and time, since a file of a few
kilobytes can hold all the pixels the cap allows. A JPEG is decoded already reduced (by
1/2, 1/4 or 1/8, to no less than the stored size), so it may have more of them; a PNG
or WebP cannot be, so it is decoded whole (at most 40 MB, for 10 megapixels with
transparency) and shrunk at once, and what needs another mode first (palette, 16-bit
grey; transparency, laid on white before the picture is shrunk) is converted a band of
rows at a time while it is reduced. Each decoded picture is freed as soon as it is
encoded, so one photo's pixels are held at a time, and the whole process decodes at
most settings.PHOTO_DECODE_CONCURRENCY photos at once (threads wait); the memory of one
is reused by the next (POOL_BLOCKS). Measured with scripts/bench_upload.py.
"""

import io
import os
import struct
import threading
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
# Pixels of a JPEG, which is decoded reduced; and of a PNG or WebP, which is decoded whole
# (10 megapixels: a 4K screenshot, an A4 page scanned at 300 dpi).
MAX_PIXELS = 24_000_000
MAX_PIXELS_DECODED_WHOLE = 10_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Long side of the stored picture and of its thumbnail, in pixels.
STORED_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
# Huffman tables fitted to the picture (libjpeg's `optimize`) make a photo 4 to 8%
# smaller for the same pixels (a picture of a few flat colours, under 100 KB either
# way, half), but take a second pass over a copy of the whole picture: 10 to 50 ms more
# for a 2560 px photo, the more detail the more; up to half a second for ten. Not worth it.
JPEG_OPTIMIZE = False
# Shrinking to the stored size first averages blocks of pixels (Image.reduce) down to no
# less than this many times that size (see Pillow's `reducing_gap`), then resamples what
# is left, less than twice the stored size. That resampling costs about as much as the
# decoding: the Hamming filter does it in two thirds of bicubic's time, the difference
# unseen at such small ratios.
REDUCING_GAP = 1.0
STORED_RESAMPLING = Image.Resampling.HAMMING
# Rows converted at a time when a picture needs another mode before it is shrunk.
BAND_ROWS = 256

# Pillow warns above this many pixels and refuses above twice as many, in every
# Image.open of the process; the larger limit of ours, so that nothing larger slips by.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# Pillow's pool of freed pixel memory (its "block allocator", off by default). A photo
# takes about 85 MB of pixels in turn (decoded, half resampled, stored), and memory
# fresh from the system is paid for on first touch, page by page: a tenth of the time
# of ten photos. Kept in the pool, it is taken again by the next picture; in blocks of
# 1 MB rather than Pillow's 16 MB, so that a block taken for a picture of another width
# is resized in place. The pool only keeps what was just in use, but what it keeps
# serves no other use: the peak is some 15 MB higher for ten photos, and a process that
# has cleaned a photo keeps up to POOL_BLOCKS MB. The PILLOW_BLOCK_SIZE and
# PILLOW_BLOCKS_MAX environment variables, when set, decide instead.
POOL_BLOCK_BYTES = 1024 * 1024
POOL_BLOCKS = 96
if not {"PILLOW_BLOCK_SIZE", "PILLOW_BLOCKS_MAX"} & os.environ.keys():
    Image.core.set_block_size(POOL_BLOCK_BYTES)
    Image.core.set_blocks_max(POOL_BLOCKS)

# What Pillow raises on a damaged or hostile file.
_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: new bytes under random names, and its thumbnail."""

    image: ContentFile
    thumbnail: ContentFile


def _refuse(message: str, name: str) -> ValidationError:
    return ValidationError(message % {"name": name}, code="photo")


def _too_many_pixels(name: str) -> ValidationError:
    # The figures are MAX_PIXELS and MAX_PIXELS_DECODED_WHOLE.
    return _refuse(
        _("照片 %(name)s 像素过多（JPEG 最多 2400 万像素，PNG 和 WebP 最多 1000 万像素）。"),
        name,
    )


class _Lent:
    """The uploaded file as Pillow reads it: closing the picture, which frees its pixels,
    closes its file too, and the upload must stay open for whoever reads it next."""

    def __init__(self, file):
        self._file = file

    def read(self, *args):
        return self._file.read(*args)

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def close(self):
        pass


def _open(upload, name: str) -> Image.Image:
    """Identify the file from its bytes; refuse what is not one of the three formats or
    is too large in pixels. Only the header has been read when this returns."""
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(_Lent(upload), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name) from None
        except (UnidentifiedImageError, *_READ_ERRORS):
            raise _refuse(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片。"), name) from None
    if image.format not in ACCEPTED_FORMATS:
        raise _refuse(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片。"), name)
    width, height = image.size
    limit = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_DECODED_WHOLE
    if width * height > limit:
        raise _too_many_pixels(name)
    return image


def _fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The size of a picture of `size` shrunk to at most `side` on its long side."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _working_mode(image: Image.Image) -> str | None:
    """The mode the picture must be in before it is resampled, RGB or L, or None if it
    can stay as it is (RGB, L or CMYK without transparency).

    Palettes become RGB, 1-bit and 16-bit grey become 8-bit grey, and a picture with
    transparency (an alpha band, a transparent palette entry or colour) is laid over a
    white ground (see _flatten)."""
    if image.mode in ("P", "PA", "RGBA"):
        return "RGB"
    if image.mode in ("1", "LA") or image.mode.startswith("I"):
        return "L"
    if "transparency" in image.info:
        return "L" if image.mode == "L" else "RGB"
    return None


def _flatten(image: Image.Image) -> Image.Image:
    """The picture (RGBA or LA) laid over a white ground, in RGB or L.

    Done before the picture is shrunk, this is what shrinking it premultiplied by its
    alpha and then laying it on white would give (laying on a ground of one colour and
    averaging may be done in either order), for one pass over the pixels instead of
    three: the colour of transparent pixels (often black) never bleeds into the edges,
    and no edge darkens."""
    ground = Image.new(image.mode[:-1], image.size, "white")
    ground.paste(image, mask=image)
    return ground


def _convert(image: Image.Image, mode: str) -> Image.Image:
    """The picture (or a band of it) in `mode`, one of _working_mode's."""
    if image.mode.startswith("I"):
        # 16-bit grey (some PNGs): keep the 8 high bits.
        if image.mode not in ("I", "I;16"):
            image = image.convert("I")
        return image.point(lambda value: value / 256).convert("L")
    if image.mode == "PA" or "transparency" in image.info:
        image = image.convert("RGBA" if mode == "RGB" else "LA")
    if image.mode in ("RGBA", "LA"):
        return _flatten(image)
    return image.convert(mode)


def _banded(image: Image.Image, mode: str) -> Image.Image:
    """The picture in `mode`, reduced by the largest whole factor (averaging blocks of
    pixels) that keeps it at least the stored size. Converted a band of rows at a time,
    so that a picture twice the stored size or more is never copied whole; a smaller one
    is, at under four times the stored picture's pixels."""
    width, height = image.size
    factor = max(1, max(width, height) // STORED_SIDE)
    if factor == 1:
        # A whole-size copy either way: made in one pass.
        result = _convert(image, mode)
    else:
        band = factor * max(1, BAND_ROWS // factor)
        result = Image.new(mode, (-(-width // factor), -(-height // factor)))
        for top in range(0, height, band):
            strip = _convert(image.crop((0, top, width, min(top + band, height))), mode)
            result.paste(strip.reduce(factor), (0, top // factor))
    result.info = {key: value for key, value in image.info.items() if key != "transparency"}
    return result


def _shrunk(image: Image.Image) -> Image.Image:
    """The loaded picture at most STORED_SIDE px long, in RGB, L or CMYK and laid on white
    where it had transparency, with its info (EXIF, colour profile) kept. The decoded
    picture is freed as soon as the smaller one is made."""
    mode = _working_mode(image)
    if mode is not None:
        smaller = _banded(image, mode)
        image.close()
        image = smaller
    # In place: the full-size pixels are dropped once the smaller ones are made.
    image.thumbnail((STORED_SIDE, STORED_SIDE), STORED_RESAMPLING, REDUCING_GAP)
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to sRGB when the picture carries a colour profile, so that dropping the
    profile keeps its colours; leave it as it is when the profile cannot be used."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(image, source, target, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _encode(image: Image.Image, *, quality: int) -> bytes:
    """New JPEG bytes of the picture (RGB, L or CMYK), with no metadata at all."""
    buffer = io.BytesIO()
    picture = image if image.mode in ("RGB", "L") else image.convert("RGB")
    picture.info = {}
    picture.save(buffer, format="JPEG", quality=quality, optimize=JPEG_OPTIMIZE, icc_profile=None)
    return buffer.getvalue()


_decode_slots_lock = threading.Lock()
_decode_slots: dict[int, threading.BoundedSemaphore] = {}


def _decode_slot() -> threading.BoundedSemaphore:
    """The process-wide semaphore that bounds how many photos are decoded at once."""
    count = max(1, int(settings.PHOTO_DECODE_CONCURRENCY))
    with _decode_slots_lock:
        return _decode_slots.setdefault(count, threading.BoundedSemaphore(count))


def _clean_pixels(upload, name: str) -> tuple[bytes, bytes]:
    """The stored picture's bytes and the thumbnail's bytes, both JPEG."""
    image = _open(upload, name)
    try:
        if image.format == "JPEG":
            # Let the decoder scale down by 1/2, 1/4 or 1/8 while reading: far less
            # memory and time. The size asked for keeps the picture's proportions: asking
            # for a square would leave a 4:3 photo unreduced.
            image.draft("RGB", _fitted(image.size, STORED_SIDE))
        image.load()
        image = _shrunk(image)
        ImageOps.exif_transpose(image, in_place=True)
        converted = _to_srgb(image)
        if converted is not image:
            image.close()
            image = converted
        stored = _encode(image, quality=JPEG_QUALITY)
        # The thumbnail is made from the stored picture, which is no longer needed whole.
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        thumbnail = _encode(image, quality=THUMBNAIL_QUALITY)
        return stored, thumbnail
    finally:
        image.close()


def photo_clean(upload) -> CleanPhoto:
    """Check one uploaded file and make what is stored of it, or raise ValidationError
    with a Chinese message naming the file. Nothing is written anywhere."""
    name = getattr(upload, "name", "") or _("（无文件名）")
    if upload.size > MAX_BYTES:
        raise _refuse(_("照片 %(name)s 过大（超过 10 MB）。"), name)
    # verify() checks the structure and checksums without decoding; the image cannot
    # be used afterwards, so the file is opened again for the pixels.
    try:
        _open(upload, name).verify()
    except ValidationError:
        raise
    except _READ_ERRORS:
        raise _refuse(_("照片 %(name)s 已损坏，无法读取。"), name) from None
    try:
        with _decode_slot():
            stored, thumbnail = _clean_pixels(upload, name)
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except _READ_ERRORS:
        raise _refuse(_("照片 %(name)s 已损坏，无法读取。"), name) from None
    finally:
        upload.seek(0)
    return CleanPhoto(
        image=ContentFile(stored, name=f"{uuid.uuid4().hex}.jpg"),
        thumbnail=ContentFile(thumbnail, name=f"{uuid.uuid4().hex}.jpg"),
    )
