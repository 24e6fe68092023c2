"""Progress photos: what is accepted, what is stored, and that nothing private survives."""

import functools
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageCms, ImageFile, features

from pledges.enums import PledgeStatus
from pledges.models import ProgressPhoto, ProgressRecord
from pledges.photos import MAX_BYTES, STORED_SIDE, THUMBNAIL_SIDE, photo_clean
from pledges.services.progress import progress_record_create
from tests import factories

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def picture_bytes(
    format="JPEG", size=(64, 48), mode="RGB", color="red", exif=None, **save_options
) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    if exif is not None:
        save_options["exif"] = exif
    image.save(buffer, format=format, **save_options)
    return buffer.getvalue()


def gps_exif(orientation=None) -> Image.Exif:
    """EXIF as a phone writes it: camera, GPS position of the village, maybe orientation."""
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (33.0, 34.0, 56.0)
    gps[3] = "E"
    gps[4] = (114.0, 2.0, 3.0)
    if orientation:
        exif[ORIENTATION] = orientation
    return exif


def upload(content: bytes, name="site.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def read_back(content_file) -> Image.Image:
    content_file.seek(0)
    image = Image.open(io.BytesIO(content_file.read()))
    image.load()
    return image


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A huge all-black 1-bit PNG that compresses to a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file())


# ---------------------------------------------------------------------------
# What is kept of a photo
# ---------------------------------------------------------------------------


def test_photo_clean_strips_gps_and_all_exif():
    content = picture_bytes(exif=gps_exif())
    source = Image.open(io.BytesIO(content))
    assert source.getexif().get_ifd(GPS_IFD)[2] == (33.0, 34.0, 56.0)

    photo = photo_clean(upload(content))

    for stored in (read_back(photo.image), read_back(photo.thumbnail)):
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(GPS_IFD) == {}
        assert "exif" not in stored.info
        assert b"Exif" not in _raw(photo.image) + _raw(photo.thumbnail)


def _raw(content_file) -> bytes:
    content_file.seek(0)
    return content_file.read()


def test_photo_clean_drops_colour_profile():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    content = picture_bytes(icc_profile=profile)
    assert Image.open(io.BytesIO(content)).info.get("icc_profile")

    photo = photo_clean(upload(content))

    assert read_back(photo.image).info.get("icc_profile") is None
    assert read_back(photo.thumbnail).info.get("icc_profile") is None


def test_photo_clean_honours_orientation():
    # A 60×20 picture, red on the left, blue on the right, that the camera says must be
    # turned 90° clockwise (orientation 6) to be seen upright: 20×60, red on top.
    image = Image.new("RGB", (60, 20), "blue")
    image.paste((255, 0, 0), (0, 0, 30, 20))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=gps_exif(orientation=6), quality=95)

    stored = read_back(photo_clean(upload(buffer.getvalue())).image)

    assert stored.size == (20, 60)
    red, green, blue = stored.getpixel((10, 5))
    assert red > 200 and blue < 60
    red, green, blue = stored.getpixel((10, 55))
    assert blue > 200 and red < 60


def test_photo_clean_shrinks_large_pictures_and_makes_small_thumbnail():
    content = picture_bytes(size=(4000, 1000), color="green")

    photo = photo_clean(upload(content))

    assert read_back(photo.image).size == (STORED_SIDE, 640)
    assert read_back(photo.thumbnail).size == (THUMBNAIL_SIDE, 80)
    assert len(_raw(photo.thumbnail)) < 20_000


def test_photo_clean_names_are_random_not_uploaded():
    first = photo_clean(upload(picture_bytes(), name="张家院子.jpg"))
    second = photo_clean(upload(picture_bytes(), name="张家院子.jpg"))

    names = {first.image.name, first.thumbnail.name, second.image.name, second.thumbnail.name}
    assert len(names) == 4
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)


def test_photo_clean_png_without_transparency_becomes_jpeg():
    photo = photo_clean(upload(picture_bytes("PNG"), name="a.png", content_type="image/png"))

    assert read_back(photo.image).format == "JPEG"
    assert photo.image.name.endswith(".jpg")


def test_photo_clean_png_with_transparency_stays_png():
    content = picture_bytes("PNG", mode="RGBA", color=(255, 0, 0, 100))

    photo = photo_clean(upload(content, name="a.png", content_type="image/png"))

    stored = read_back(photo.image)
    assert stored.format == "PNG"
    assert stored.mode == "RGBA"
    assert stored.getpixel((0, 0))[3] == 100
    assert read_back(photo.thumbnail).format == "JPEG"


def test_photo_clean_palette_and_sixteen_bit_pngs_are_read():
    palette = picture_bytes("PNG", mode="P", color=3)
    grey16 = io.BytesIO()
    Image.new("I;16", (40, 30), 60000).save(grey16, format="PNG")

    for content in (palette, grey16.getvalue()):
        photo = photo_clean(upload(content, name="a.png", content_type="image/png"))
        assert read_back(photo.image).format == "JPEG"
    assert read_back(photo_clean(upload(grey16.getvalue())).image).getpixel((0, 0)) > 200


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_photo_clean_accepts_webp():
    content = picture_bytes("WEBP", exif=gps_exif())

    photo = photo_clean(upload(content, name="a.webp", content_type="image/webp"))

    stored = read_back(photo.image)
    assert stored.format == "JPEG"
    assert stored.size == (64, 48)
    assert dict(stored.getexif()) == {}


# ---------------------------------------------------------------------------
# What is refused
# ---------------------------------------------------------------------------


def refusal_of(file) -> str:
    with pytest.raises(ValidationError) as refused:
        photo_clean(file)
    return "；".join(refused.value.messages)


@pytest.mark.parametrize("size", [(7000, 6000), (10000, 10000), (20000, 20000)])
def test_photo_clean_refuses_png_bomb_without_decoding(monkeypatch, size):
    content = png_bomb(*size)
    assert len(content) < 100_000

    def no_decoding(self):
        raise AssertionError("the pixels of a bomb must never be loaded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)

    message = refusal_of(upload(content, name="bomb.png", content_type="image/png"))

    assert message == "照片 bomb.png 像素过多（超过 4000 万像素）。"


def test_photo_clean_refuses_renamed_text_file():
    message = refusal_of(upload(b"not a picture at all\n" * 20, name="photo.jpg"))

    assert message == "照片 photo.jpg 不是 JPEG、PNG 或 WebP 图片。"


def test_photo_clean_refuses_gif_even_named_jpg():
    content = picture_bytes("GIF", mode="P")

    message = refusal_of(upload(content, name="photo.jpg", content_type="image/jpeg"))

    assert message == "照片 photo.jpg 不是 JPEG、PNG 或 WebP 图片。"


@pytest.mark.parametrize("format", ["BMP", "TIFF"])
def test_photo_clean_refuses_other_image_formats(format):
    message = refusal_of(upload(picture_bytes(format), name="photo.jpg"))

    assert message == "照片 photo.jpg 不是 JPEG、PNG 或 WebP 图片。"


def test_photo_clean_refuses_more_than_ten_megabytes_before_decoding():
    content = picture_bytes()
    content += b"\0" * (MAX_BYTES + 1 - len(content))

    message = refusal_of(upload(content, name="big.jpg"))

    assert message == "照片 big.jpg 过大（超过 10 MB）。"


def test_photo_clean_accepts_exactly_ten_megabytes():
    content = picture_bytes()
    content += b"\0" * (MAX_BYTES - len(content))  # trailing bytes after the JPEG's end

    assert photo_clean(upload(content)).image.name.endswith(".jpg")


def test_photo_clean_refuses_truncated_jpeg():
    content = picture_bytes(size=(400, 300))

    message = refusal_of(upload(content[: len(content) // 2], name="cut.jpg"))

    assert message == "照片 cut.jpg 已损坏，无法读取。"


# ---------------------------------------------------------------------------
# Storing: the record and its photos in one go
# ---------------------------------------------------------------------------


def pledge_in_progress(org):
    pledge = factories.make_pledge(branch=org.branch)
    factories.walk_to(
        pledge, PledgeStatus.IN_PROGRESS, secretary=org.secretary, staff=org.town_staff
    )
    return pledge


def test_progress_record_create_stores_random_names_under_media_root(org, media):
    pledge = pledge_in_progress(org)

    record = progress_record_create(
        pledge=pledge,
        actor=org.secretary,
        happened_on=timezone.localdate(),
        description="组织党员浇水",
        photos=[upload(picture_bytes(exif=gps_exif()), name="张家院子.jpg")],
    )

    photo = record.photos.get()
    assert re.fullmatch(r"progress/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.image.name)
    assert re.fullmatch(r"progress/thumbs/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.thumbnail.name)
    assert "张家院子" not in photo.image.name
    assert (media / photo.image.name).is_file()
    assert (media / photo.thumbnail.name).is_file()
    with Image.open(media / photo.image.name) as stored:
        assert dict(stored.getexif()) == {}
    with Image.open(media / photo.thumbnail.name) as thumbnail:
        assert max(thumbnail.size) <= THUMBNAIL_SIDE
        assert dict(thumbnail.getexif()) == {}


def test_progress_record_create_saves_nothing_when_one_photo_is_refused(org, media):
    pledge = pledge_in_progress(org)

    with pytest.raises(ValidationError) as refused:
        progress_record_create(
            pledge=pledge,
            actor=org.secretary,
            happened_on=timezone.localdate(),
            description="组织党员浇水",
            photos=[upload(picture_bytes(), name="good.jpg"), upload(b"text", name="bad.jpg")],
        )

    assert refused.value.message_dict == {"photos": ["照片 bad.jpg 不是 JPEG、PNG 或 WebP 图片。"]}
    assert ProgressRecord.objects.count() == 0
    assert ProgressPhoto.objects.count() == 0
    assert stored_files(media) == []


def test_progress_record_create_removes_files_when_the_transaction_fails(org, media, monkeypatch):
    pledge = pledge_in_progress(org)
    original_save = ProgressPhoto.save

    def fail_second(self, *args, **kwargs):
        if ProgressPhoto.objects.count() == 1:
            raise RuntimeError("database went away")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(ProgressPhoto, "save", fail_second)

    with pytest.raises(RuntimeError):
        progress_record_create(
            pledge=pledge,
            actor=org.secretary,
            happened_on=timezone.localdate(),
            description="组织党员浇水",
            photos=[upload(picture_bytes()), upload(picture_bytes())],
        )

    assert ProgressRecord.objects.count() == 0
    assert stored_files(media) == []


def test_progress_record_create_refuses_more_than_ten_photos(org, media):
    pledge = pledge_in_progress(org)

    with pytest.raises(ValidationError) as refused:
        progress_record_create(
            pledge=pledge,
            actor=org.secretary,
            happened_on=timezone.localdate(),
            description="组织党员浇水",
            photos=[upload(picture_bytes(), name=f"{n}.jpg") for n in range(11)],
        )

    assert refused.value.message_dict == {"photos": ["一次最多上传 10 张照片。"]}
    assert ProgressRecord.objects.count() == 0
    assert stored_files(media) == []
