"""Uploaded images: checked, decoded under a pixel limit, cleaned and re-encoded before they
are stored as `<uuid>.<ext>` under `data_dir/media`.

What the browser sent is never stored or served as is. The first bytes must name an accepted
format (PNG, JPEG, WebP, GIF; not the file name or the type the browser claims); Pillow then
reads the header and refuses an image over `MAX_PIXELS` before decoding it (a 12 kB PNG can
announce 50,000 × 50,000 pixels), decodes it, turns it upright by its EXIF orientation, drops
every metadata block (EXIF with a phone's GPS position, XMP, PNG text), keeps the first frame
of an animation, and shrinks it to `MAX_SIDE` pixels at most. That version is the object's
image, on its page and in what is federated.
"""

from __future__ import annotations

import asyncio
import io
import re
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from server.i18n import N_
from server.settings import Settings

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000
"""Width × height of an upload, read from its header before decoding (a 48 MP photo fits)."""
MAX_SIDE = 1600
"""The longest side of the stored version, used on pages and in federation."""
MEDIA_NAME_RE = re.compile(r"^[0-9a-f-]{36}\.(png|jpg|webp|gif)$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF"}

NOT_AN_IMAGE = N_("This file is not a PNG, JPEG, WebP or GIF image.")
IMAGE_TOO_LARGE = N_("The image is too large (5 MB at most).")
TOO_MANY_PIXELS = N_("The image has too many pixels (50 megapixels at most).")


class ImageRefused(Exception):
    """An upload that is not stored; `message` is the msgid shown beside the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    width: int
    height: int


def image_extension(head: bytes) -> str | None:
    """The file's type from its magic bytes: png, jpg, webp, gif, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _encode(image: Image.Image, extension: str, icc_profile: bytes | None) -> bytes:
    if extension == "jpg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif extension == "webp" and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA")
    elif extension == "png" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA")
    transparency = image.info.get("transparency")
    image.info = {}  # nothing of the upload's metadata is carried over
    options: dict[str, Any] = {}
    if icc_profile and extension in ("jpg", "webp", "png"):
        options["icc_profile"] = icc_profile  # colours, not personal data
    if extension in ("jpg", "webp"):
        options["quality"] = 85
    elif transparency is not None and image.mode in ("P", "L", "RGB"):
        options["transparency"] = transparency
    buffer = io.BytesIO()
    image.save(buffer, PIL_FORMATS[extension], **options)
    return buffer.getvalue()


def clean_image(content: bytes) -> CleanImage:
    """The upload decoded, upright, without metadata, shrunk to `MAX_SIDE` and re-encoded in
    its own format. CPU-bound: run it in a thread."""
    if len(content) > MAX_IMAGE_BYTES:
        raise ImageRefused(IMAGE_TOO_LARGE)
    extension = image_extension(content[:16])
    if extension is None:
        raise ImageRefused(NOT_AN_IMAGE)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[PIL_FORMATS[extension]]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise ImageRefused(TOO_MANY_PIXELS)
                image.seek(0)
                image.load()
                icc = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRefused(TOO_MANY_PIXELS) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRefused(NOT_AN_IMAGE) from exc
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    encoded = _encode(upright, extension, icc if isinstance(icc, bytes) else None)
    return CleanImage(encoded, extension, upright.width, upright.height)


def media_dir(settings: Settings) -> Path:
    return settings.data_dir / "media"


def media_url(settings: Settings, name: str) -> str:
    return f"{settings.base_url}/media/{name}"


def media_path(settings: Settings, name: str) -> tuple[Path, str] | None:
    """(file, content type) of a stored image by its name; None for any other name."""
    match = MEDIA_NAME_RE.match(name)
    if match is None:
        return None
    return media_dir(settings) / name, MEDIA_TYPES[match.group(1)]


def media_name_of(settings: Settings, url: str) -> str | None:
    """The file name when `url` is one of this instance's uploaded images."""
    prefix = f"{settings.base_url}/media/"
    if url.startswith(prefix) and MEDIA_NAME_RE.match(url[len(prefix) :]):
        return url[len(prefix) :]
    return None


def image_input(settings: Settings, url: str, alt: str) -> dict[str, str]:
    """The input model's `image`: its URL and, for an upload of ours, its `path` in the
    media folder."""
    image = {"url": url, "alt": alt}
    name = media_name_of(settings, url)
    if name is not None:
        image["path"] = name
    return image


def image_url_of(settings: Settings, data: dict[str, Any] | None) -> str | None:
    """The URL of an object's image, from its stored input (`url`, or `path` of an upload)."""
    image = (data or {}).get("image") or {}
    if isinstance(image.get("url"), str):
        return str(image["url"])
    if isinstance(image.get("path"), str) and MEDIA_NAME_RE.match(image["path"]):
        return media_url(settings, image["path"])
    return None


def _write_new(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(content)


async def store_upload(settings: Settings, content: bytes) -> str:
    """Clean and save an uploaded image; return its file name (`ImageRefused` if it is not
    one we keep)."""
    image = await asyncio.to_thread(clean_image, content)
    name = f"{uuid.uuid4()}.{image.extension}"
    await asyncio.to_thread(_write_new, media_dir(settings) / name, image.content)
    return name


def fit_image(content: bytes, size: tuple[int, int]) -> CleanImage:
    """`clean_image`, then cropped around the centre to exactly `size` (an avatar is a
    square, a banner 3:1): what Mastodon and Mobilizon show without cropping again."""
    clean = clean_image(content)
    with Image.open(io.BytesIO(clean.content)) as image:
        image.load()
        fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    encoded = _encode(fitted, clean.extension, None)
    return CleanImage(encoded, clean.extension, fitted.width, fitted.height)


AVATAR_SIZE = (400, 400)
BANNER_SIZE = (1500, 500)


async def store_fitted(settings: Settings, content: bytes, size: tuple[int, int]) -> str:
    """Clean, crop to `size` and save a profile picture; return its file name."""
    image = await asyncio.to_thread(fit_image, content, size)
    name = f"{uuid.uuid4()}.{image.extension}"
    await asyncio.to_thread(_write_new, media_dir(settings) / name, image.content)
    return name
