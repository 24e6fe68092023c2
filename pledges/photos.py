"""Progress photos: what an upload must be, and what is kept of it.

A photo is accepted when Pillow reads it as JPEG, PNG or WebP (never judged by its
name or its declared content type), when the file is at most 10 MB (checked before
anything is decoded) and the picture at most 40 megapixels (checked from the header,
before any pixel is loaded; Pillow's own decompression-bomb guard is set to the same
limit and its warning is treated as a refusal).

What is stored is a new encoding of the pixels, never the uploaded bytes: turned
upright by its EXIF orientation, converted to sRGB where it carried a colour profile,
shrunk to at most 2560 px on its long side, and written without any EXIF (GPS
included), ICC profile or text chunk. Pictures without transparency are stored as
JPEG (quality 85): a photo sent as PNG or WebP becomes a JPEG a fraction of its size.
Pictures with transparency are stored as PNG, so that nothing turns black. The
thumbnail (at most 320 px, JPEG) is made once, here. Both get random names.
"""

import io
import struct
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# Long side of the stored picture and of its thumbnail, in pixels.
STORED_SIDE = 2560
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

# Pillow warns above this many pixels and refuses above twice as many, in every
# Image.open of the process; the same limit as ours, so that nothing larger slips by.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# What Pillow raises on a damaged or hostile file.
_READ_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo ready to store: new bytes under random names, and its thumbnail."""

    image: ContentFile
    thumbnail: ContentFile


def _refuse(message: str, name: str) -> ValidationError:
    return ValidationError(message % {"name": name}, code="photo")


def _open(upload, name: str) -> Image.Image:
    """Identify the file from its bytes; refuse what is not one of the three formats or
    is too large in pixels. Only the header has been read when this returns."""
    upload.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(_("照片 %(name)s 像素过多（超过 4000 万像素）。"), name) from None
        except (UnidentifiedImageError, *_READ_ERRORS):
            raise _refuse(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片。"), name) from None
    if image.format not in ACCEPTED_FORMATS:
        raise _refuse(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片。"), name)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _refuse(_("照片 %(name)s 像素过多（超过 4000 万像素）。"), name)
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert to sRGB when the picture carries a colour profile, so that dropping the
    profile keeps its colours; leave it as it is when the profile cannot be used."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, target, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _uses_transparency(image: Image.Image) -> bool:
    """Whether some pixel is not fully opaque (an alpha band that is all 255 is not)."""
    if image.mode not in ("RGBA", "LA"):
        return False
    return image.getextrema()[-1][0] < 255


def _encode(image: Image.Image, *, side: int, alpha: bool, quality: int) -> tuple[bytes, str]:
    """New bytes of the picture, at most `side` px long, with no metadata at all."""
    picture = image.copy()
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if alpha:
        picture = picture.convert("RGBA")
        picture.info = {}
        picture.save(buffer, format="PNG", optimize=True, icc_profile=None)
        return buffer.getvalue(), "png"
    if picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    picture.info = {}
    picture.save(buffer, format="JPEG", quality=quality, optimize=True, icc_profile=None)
    return buffer.getvalue(), "jpg"


def _flatten(image: Image.Image) -> Image.Image:
    """The picture over a white ground: a JPEG thumbnail of a transparent PNG."""
    rgba = image.convert("RGBA")
    ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(ground, rgba).convert("RGB")


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
    image = _open(upload, name)
    try:
        if image.format == "JPEG":
            # Let the decoder scale down by 1/2, 1/4 or 1/8 while reading: far less memory.
            image.draft(image.mode, (STORED_SIDE, STORED_SIDE))
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
        if image.mode in ("I", "I;16", "I;16B", "I;16L"):
            # 16-bit grey (some PNGs): keep the 8 high bits.
            image = image.convert("I").point(lambda value: value / 256).convert("L")
        if image.mode in ("P", "PA") or "transparency" in image.info:
            image = image.convert("RGBA")
        alpha = _uses_transparency(image)
        stored, extension = _encode(image, side=STORED_SIDE, alpha=alpha, quality=JPEG_QUALITY)
        thumbnail_source = _flatten(image) if alpha else image
        thumbnail, _extension = _encode(
            thumbnail_source, side=THUMBNAIL_SIDE, alpha=False, quality=THUMBNAIL_QUALITY
        )
    except Image.DecompressionBombError:
        raise _refuse(_("照片 %(name)s 像素过多（超过 4000 万像素）。"), name) from None
    except _READ_ERRORS:
        raise _refuse(_("照片 %(name)s 已损坏，无法读取。"), name) from None
    finally:
        upload.seek(0)
    return CleanPhoto(
        image=ContentFile(stored, name=f"{uuid.uuid4().hex}.{extension}"),
        thumbnail=ContentFile(thumbnail, name=f"{uuid.uuid4().hex}.jpg"),
    )
