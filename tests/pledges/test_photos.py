"""Progress photos: what is accepted, what is stored, and that nothing private survives."""

import functools
import io
import os
import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageCms, ImageFile, PngImagePlugin, features

from pledges import photos
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


def test_photo_clean_png_with_transparency_becomes_jpeg_on_white():
    """Shown on a white page, printed on white paper: stored as a JPEG laid on white,
    with nothing of the PNG's metadata (EXIF, colour profile, text chunks)."""
    image = Image.new("RGBA", (64, 48), (255, 0, 0, 100))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "张家院子")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=text, exif=gps_exif(), icc_profile=profile)

    photo = photo_clean(upload(buffer.getvalue(), name="a.png", content_type="image/png"))

    assert photo.image.name.endswith(".jpg")
    for stored in (read_back(photo.image), read_back(photo.thumbnail)):
        assert (stored.format, stored.mode) == ("JPEG", "RGB")
        # Red at 100/255 over white: (255, 155, 155), give or take the JPEG.
        red, green, blue = stored.getpixel((10, 10))
        assert red >= 250 and 150 <= green <= 160 and 150 <= blue <= 160
        assert dict(stored.getexif()) == {}
        assert stored.info.get("icc_profile") is None
        assert "Comment" not in stored.info
    raw = _raw(photo.image) + _raw(photo.thumbnail)
    assert b"Exif" not in raw
    assert "张家院子".encode() not in raw


def test_photo_clean_grey_with_transparency_stays_grey_on_white():
    image = Image.new("LA", (100, 50), (0, 0))
    image.paste((128, 255), (50, 0, 100, 50))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    stored = read_back(photo_clean(upload(buffer.getvalue(), name="a.png")).image)

    assert (stored.format, stored.mode) == ("JPEG", "L")
    assert stored.getpixel((5, 25)) >= 250
    assert abs(stored.getpixel((95, 25)) - 128) <= 3


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
# What a photo costs
# ---------------------------------------------------------------------------


@pytest.fixture
def loads(monkeypatch):
    """The mode and size of every picture whose pixels are decoded from a file."""
    seen = []
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            seen.append((self.mode, self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_photo_clean_decodes_a_large_jpeg_reduced(loads):
    content = picture_bytes(size=(6000, 4000), color="green", quality=70)

    photo = photo_clean(upload(content))

    # Decoded at half the size (no less than the stored size), then shrunk.
    assert loads == [("RGB", (3000, 2000))]
    assert read_back(photo.image).size == (STORED_SIDE, 1707)
    assert read_back(photo.thumbnail).size == (THUMBNAIL_SIDE, 213)


def test_photo_clean_decodes_a_jpeg_below_twice_the_stored_size_whole(loads):
    photo = photo_clean(upload(picture_bytes(size=(4000, 3000), color="green")))

    assert loads == [("RGB", (4000, 3000))]
    assert read_back(photo.image).size == (STORED_SIDE, 1920)


WEBP = pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")


@pytest.mark.parametrize(
    ("format", "size"),
    [("PNG", (4000, 2500)), pytest.param("WEBP", (4000, 2500), marks=WEBP), ("JPEG", (6000, 4000))],
)
def test_photo_clean_accepts_each_format_at_its_pixel_cap(format, size):
    content = picture_bytes(format, size=size, color="green")

    assert read_back(photo_clean(upload(content, name="big")).image).format == "JPEG"


@pytest.mark.parametrize(
    ("format", "size"),
    [("PNG", (4000, 2501)), pytest.param("WEBP", (4000, 2501), marks=WEBP), ("JPEG", (6000, 4001))],
)
def test_photo_clean_refuses_each_format_over_its_pixel_cap_from_the_header(
    monkeypatch, format, size
):
    """PNG and WebP, decoded whole, have the smaller cap (MAX_PIXELS_DECODED_WHOLE)."""
    content = picture_bytes(format, size=size, color="green")
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decoding)

    assert refusal_of(upload(content, name="big")) == TOO_MANY_PIXELS % "big"


def _no_decoding(self):
    raise AssertionError("the pixels of a refused picture must never be loaded")


@pytest.mark.parametrize("width", [6000, 3600])
def test_photo_clean_shrinks_transparency_without_dark_edges(width):
    # Opaque white on the right, fully transparent black on the left: shrunk through the
    # banded, premultiplied path (6000 px, over twice the stored size) or at once (3600
    # px), then laid on white. Every pixel is white, where the two meet too: neither the
    # black of the transparent pixels nor a dark seam shows.
    image = Image.new("RGBA", (width, 1000), (0, 0, 0, 0))
    image.paste((255, 255, 255, 255), (width // 2 + 1, 0, width, 1000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    photo = photo_clean(upload(buffer.getvalue(), name="a.png", content_type="image/png"))

    stored = read_back(photo.image)
    height = round(1000 * STORED_SIDE / width)
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (STORED_SIDE, height))
    assert min(min(pixel) for pixel in stored.get_flattened_data()) >= 250
    thumbnail = read_back(photo.thumbnail)
    assert thumbnail.format == "JPEG"
    assert min(min(pixel) for pixel in thumbnail.get_flattened_data()) >= 250


def test_photo_clean_converts_a_large_picture_a_band_of_rows_at_a_time(monkeypatch):
    """A picture that needs another mode (here, laid on white) is never copied whole at
    full size: the decoded one is the only full-size picture in memory."""
    image = Image.new("RGBA", (5200, 1900), (200, 30, 30, 128))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    # The size of every picture converted or made while the photo is cleaned.
    made = []
    original_convert, original_new = Image.Image.convert, Image.new

    def convert(self, *args, **kwargs):
        made.append(self.size)
        return original_convert(self, *args, **kwargs)

    def new(mode, size, *args, **kwargs):
        made.append(tuple(size))
        return original_new(mode, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", convert)
    monkeypatch.setattr(Image, "new", new)

    photo = photo_clean(upload(buffer.getvalue(), name="a.png", content_type="image/png"))

    stored = read_back(photo.image)
    assert stored.size == (STORED_SIDE, 935)
    # Red at 128/255 over white.
    red, green, blue = stored.getpixel((100, 100))
    assert red >= 222 and 137 <= green <= 147 and 137 <= blue <= 147
    # At full width only bands of rows; else nothing larger than the picture halved.
    full_width = [height for width, height in made if width == 5200]
    assert full_width
    assert max(full_width) <= photos.BAND_ROWS
    assert {size for size in made if size[0] != 5200 and size[0] > STORED_SIDE} <= {(2600, 950)}


def test_photo_clean_large_palette_png_with_transparency_is_laid_on_white():
    # The transparent palette entry is black: it must not show.
    image = Image.new("P", (6000, 1000), 0)
    image.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
    image.paste(1, (3000, 0, 6000, 1000))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)

    stored = read_back(photo_clean(upload(buffer.getvalue(), name="a.png")).image)

    assert (stored.format, stored.mode) == ("JPEG", "RGB")
    assert min(stored.getpixel((10, 10))) >= 250
    red, green, blue = stored.getpixel((STORED_SIDE - 10, 416))
    assert abs(red - 200) <= 4 and abs(green - 30) <= 4 and abs(blue - 30) <= 4


def test_photo_clean_reads_a_large_one_bit_png():
    image = Image.new("1", (6000, 1000), 1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    stored = read_back(photo_clean(upload(buffer.getvalue(), name="a.png")).image)

    assert (stored.format, stored.mode, stored.size) == ("JPEG", "L", (STORED_SIDE, 427))
    assert stored.getpixel((10, 10)) > 250


def test_photo_clean_leaves_the_upload_open_and_whole():
    content = picture_bytes("PNG", size=(300, 200))
    file = upload(content, name="a.png", content_type="image/png")

    photo_clean(file)

    assert not file.closed
    assert file.read() == content


@pytest.mark.skipif(
    bool({"PILLOW_BLOCK_SIZE", "PILLOW_BLOCKS_MAX"} & os.environ.keys()),
    reason="Pillow's pool is set by the environment",
)
def test_freed_pixel_memory_is_kept_for_the_next_photo():
    """Pillow's pool of freed blocks is on (it is off by default), and a second photo
    takes its pixel memory from it rather than from the system."""
    assert Image.core.get_blocks_max() == photos.POOL_BLOCKS
    assert Image.core.get_block_size() == photos.POOL_BLOCK_BYTES
    content = picture_bytes("PNG", size=(3000, 2000), color="green")
    photo_clean(upload(content, name="a.png"))
    reused = Image.core.get_stats()["reused_blocks"]

    photo_clean(upload(content, name="b.png"))

    assert Image.core.get_stats()["reused_blocks"] - reused >= 20


@pytest.mark.parametrize("concurrency", [1, 2])
def test_photo_clean_decodes_at_most_the_configured_photos_at_once(
    settings, monkeypatch, concurrency
):
    settings.PHOTO_DECODE_CONCURRENCY = concurrency
    lock = threading.Lock()
    running, most = [0], [0]
    original = photos._clean_pixels

    def counted(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.05)
            return original(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(photos, "_clean_pixels", counted)
    errors = []

    def clean():
        try:
            photo_clean(upload(picture_bytes()))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=clean) for _thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert most[0] == concurrency


# ---------------------------------------------------------------------------
# What is refused
# ---------------------------------------------------------------------------


TOO_MANY_PIXELS = "照片 %s 像素过多（JPEG 最多 2400 万像素，PNG 和 WebP 最多 1000 万像素）。"


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

    assert message == TOO_MANY_PIXELS % "bomb.png"


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
