"""Read a picture of a digit from disk as (H, W) float32 in [0, 1], white ink on black.

PNG is decoded here with ``zlib`` and NumPy (8- and 16-bit grayscale, RGB, gray+alpha, RGBA,
8-bit palette; not interlaced), so cnnviz needs no imaging library. Other formats (JPEG,
BMP, ...) are read with Pillow when it is installed.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["MAX_IMAGE_PIXELS", "ImageFileError", "load_image_file", "decode_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights for R, G, B
#: The largest picture read (4096 x 4096; a 12-megapixel phone photo fits): its size is
#: checked from the header, before any pixel data is decompressed.
MAX_IMAGE_PIXELS = 4096 * 4096


class ImageFileError(ValueError):
    """An image file is missing, corrupt or in a format cnnviz cannot read; names the file."""


def load_image_file(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as (H, W) float32 in [0, 1] with white ink on a black background.

    Colour is converted to gray (BT.601 luma). Transparent pixels are laid on black when
    the visible ink is mostly light, else on white. A picture whose border is mostly light
    (mean of its border pixels > 0.5: dark ink on paper) is inverted.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageFileError(f"{path}: cannot read: {exc.strerror or exc}") from None

    if data.startswith(PNG_SIGNATURE):
        try:
            gray, alpha = decode_png(data)
        except ValueError as exc:
            raise ImageFileError(f"{path}: {exc}") from None
    else:
        gray, alpha = _decode_with_pillow(path, data)

    if alpha is not None:
        gray = _flatten_alpha(gray, alpha)
    gray = np.ascontiguousarray(gray, dtype=np.float32)
    if _border_mean(gray) > 0.5:
        np.subtract(1.0, gray, out=gray)
    return gray


def _flatten_alpha(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite (H, W) gray over black if the opaque ink is light, else over white.

    Works in place on ``gray`` and ``alpha`` (both freshly decoded), so a large picture
    needs no extra full-size arrays.
    """
    weight = float(alpha.sum(dtype=np.float64))
    gray *= alpha
    ink_is_light = weight > 0 and float(gray.sum(dtype=np.float64)) / weight > 0.5
    if not ink_is_light:                      # over white: gray * alpha + (1 - alpha)
        np.subtract(1.0, alpha, out=alpha)
        gray += alpha
    return gray


def _border_mean(gray: np.ndarray) -> float:
    """Mean of the outermost rows and columns of an (H, W) image."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(border.mean())


# ---------------------------------------------------------------------------------------------
# PNG


def decode_png(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode a PNG file's bytes into (gray, alpha): (H, W) float32 in [0, 1], alpha or None.

    Raises ValueError describing what is wrong or unsupported.
    """
    header, idat, palette, transparency = _read_chunks(data)
    width, height, depth, colour, _, _, interlace = header
    if colour not in _CHANNELS:
        raise ValueError(f"corrupt PNG: unknown colour type {colour}")
    if depth not in (8, 16) or (colour == 3 and depth != 8):
        raise ValueError(f"unsupported PNG: bit depth {depth} (only 8 and 16 are read; re-save as 8-bit)")
    if interlace:
        raise ValueError("unsupported PNG: interlaced (re-save without interlacing)")
    if width == 0 or height == 0:
        raise ValueError("corrupt PNG: zero width or height")

    check_image_size(width, height)

    channels = _CHANNELS[colour]
    bytes_per_pixel = channels * depth // 8
    stride = width * bytes_per_pixel
    expected = height * (stride + 1)
    # Inflate at most one byte more than IHDR promises: a zlib bomb stops right there.
    inflater = zlib.decompressobj()
    try:
        filtered = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise ValueError(f"corrupt PNG: image data does not decompress ({exc})") from None
    if len(filtered) > expected or inflater.unconsumed_tail:
        raise ValueError(f"corrupt PNG: image data holds more than the {expected} bytes "
                         f"its {width}x{height} header declares")
    if len(filtered) != expected:
        raise ValueError(f"corrupt PNG: image data holds {len(filtered)} bytes, expected {expected}")

    raw = _unfilter(np.frombuffer(filtered, np.uint8).reshape(height, stride + 1), bytes_per_pixel)
    del filtered
    if colour == 3:
        return _from_palette(raw.reshape(height, width), palette, transparency)
    if depth == 16:
        samples, scale = raw.view(">u2").reshape(height, width, channels), 65535.0
    else:
        samples, scale = raw.reshape(height, width, channels), 255.0

    # One channel at a time in float32: a few bytes per pixel, never a float copy of all.
    def channel(index: int, weight: float = 1.0) -> np.ndarray:
        out = samples[..., index].astype(np.float32)
        out *= np.float32(weight / scale)
        return out

    if colour in (0, 4):
        gray = channel(0)
    else:
        gray = channel(0, _LUMA[0])
        gray += channel(1, _LUMA[1])
        gray += channel(2, _LUMA[2])
    alpha = channel(channels - 1) if colour in (4, 6) else None
    return gray, alpha


def check_image_size(width: int, height: int) -> None:
    """Refuse a picture too large to decode safely, from its header's declared size."""
    if width * height > MAX_IMAGE_PIXELS:
        raise ValueError(f"picture too large: {width}x{height} pixels ({width * height / 1e6:,.0f} "
                         f"megapixels, more than the {MAX_IMAGE_PIXELS / 1e6:.1f} cnnviz reads): "
                         "scale it down")


def _read_chunks(data: bytes):
    """Walk the chunks: return (IHDR fields, list of IDAT payloads, PLTE bytes, tRNS bytes)."""
    pos, header, idat, palette, transparency = len(PNG_SIGNATURE), None, [], None, None
    while True:
        if pos + 8 > len(data):
            raise ValueError("corrupt PNG: file ends before the IEND chunk")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        crc_bytes = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length or len(crc_bytes) != 4:
            raise ValueError(f"corrupt PNG: {kind.decode('latin-1')} chunk is cut short")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc_bytes)[0]:
            raise ValueError(f"corrupt PNG: bad checksum in {kind.decode('latin-1')} chunk")
        pos += 12 + length
        if kind == b"IHDR":
            if length != 13:
                raise ValueError("corrupt PNG: IHDR chunk has the wrong length")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ValueError("corrupt PNG: missing IHDR or IDAT chunk")
    return header, idat, palette, transparency


def _from_palette(indices: np.ndarray, palette: bytes | None, transparency: bytes | None):
    """(H, W) palette indices -> (gray, alpha-or-None) via the PLTE (and tRNS) chunks."""
    if not palette or len(palette) % 3:
        raise ValueError("corrupt PNG: palette image without a valid PLTE chunk")
    colours = np.frombuffer(palette, np.uint8).reshape(-1, 3).astype(np.float32) / 255.0
    if indices.max() >= len(colours):
        raise ValueError("corrupt PNG: pixel refers past the end of the palette")
    gray = (colours @ np.array(_LUMA, np.float32))[indices]
    if transparency is None:
        return gray, None
    alphas = np.ones(len(colours), np.float32)
    alphas[: len(transparency)] = np.frombuffer(transparency, np.uint8)[: len(colours)] / 255.0
    return gray, alphas[indices]


def _unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters: (H, 1 + stride) uint8 with the filter type first -> (H, stride).

    Filters predict each byte from a = the byte ``bpp`` to the left, b = the byte above and
    c = the byte above-left; the file stores the difference mod 256. None, Sub and Up are
    undone with whole-row NumPy operations; Average and Paeth need the reconstructed left
    byte, so they run as a loop along the row.
    """
    height, stride = rows.shape[0], rows.shape[1] - 1
    out = np.zeros((height, stride), np.uint8)
    prior = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:  # None
            recon = line.copy()
        elif kind == 1:  # Sub: running sum of each byte lane, mod 256
            lanes = _pad_to_pixels(line, bpp).reshape(-1, bpp)
            recon = (np.cumsum(lanes, axis=0, dtype=np.uint32) % 256).astype(np.uint8).ravel()[:stride]
        elif kind == 2:  # Up
            recon = line + prior  # uint8 arithmetic wraps mod 256
        elif kind == 3:  # Average
            recon = _unfilter_average(line.tolist(), prior.tolist(), bpp)
        elif kind == 4:  # Paeth
            recon = _unfilter_paeth(line.tolist(), prior.tolist(), bpp)
        else:
            raise ValueError(f"corrupt PNG: unknown filter type {kind} in row {y}")
        out[y] = recon
        prior = out[y]
    return out


def _pad_to_pixels(line: np.ndarray, bpp: int) -> np.ndarray:
    extra = (-len(line)) % bpp
    return np.concatenate([line, np.zeros(extra, np.uint8)]) if extra else line


def _unfilter_average(line: list[int], above: list[int], bpp: int) -> np.ndarray:
    recon = [0] * len(line)
    for x, value in enumerate(line):
        left = recon[x - bpp] if x >= bpp else 0
        recon[x] = (value + ((left + above[x]) >> 1)) & 0xFF
    return np.array(recon, np.uint8)


def _unfilter_paeth(line: list[int], above: list[int], bpp: int) -> np.ndarray:
    recon = [0] * len(line)
    for x, value in enumerate(line):
        a = recon[x - bpp] if x >= bpp else 0
        b = above[x]
        c = above[x - bpp] if x >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        recon[x] = (value + predictor) & 0xFF
    return np.array(recon, np.uint8)


# ---------------------------------------------------------------------------------------------
# Everything else


def _sniff(data: bytes) -> str:
    """A human name for a file's format from its first bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"BM"):
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return ""


def _decode_with_pillow(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode a non-PNG file with Pillow, if installed: (gray, alpha-or-None), (H, W) float32."""
    kind = _sniff(data)
    if not kind:
        raise ImageFileError(f"{path}: not an image file cnnviz can read (expected PNG)")
    try:
        from PIL import Image
    except ImportError:
        raise ImageFileError(
            f"{path}: {kind} images need Pillow (pip install pillow); or save the picture as PNG"
        ) from None
    try:
        with Image.open(path) as picture:     # reads the header only
            try:
                check_image_size(*picture.size)
            except ValueError as exc:
                raise ImageFileError(f"{path}: {exc}") from None
            la = np.asarray(picture.convert("LA"), dtype=np.float32) / 255.0
    except ImageFileError:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt files
        raise ImageFileError(f"{path}: cannot decode {kind} image: {exc}") from None
    alpha = la[..., 1] if not np.all(la[..., 1] == 1.0) else None
    return la[..., 0], alpha
