"""Preprocessing a drawing into an MNIST-like 28x28 digit, and reading PNG files without Qt."""

import struct
import zlib

import numpy as np
import pytest

from cnnviz.data.image_file import ImageFileError, load_image_file
from cnnviz.data.preprocess import PreprocessStages, preprocess_digit, preprocess_stages, resize


def _canvas_with_rect(top, left, height, width, size=280, dtype=np.uint8):
    canvas = np.zeros((size, size), dtype)
    canvas[top : top + height, left : left + width] = 255 if dtype == np.uint8 else 1.0
    return canvas


def _ink_extent(image, threshold=0.1):
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_off_centre_rect_is_scaled_to_20_and_centred():
    stages = preprocess_stages(_canvas_with_rect(30, 170, 90, 45))
    assert stages.bbox == (30, 170, 120, 215)
    assert stages.cropped.shape == (90, 45)
    assert stages.scaled.shape == (20, 10)  # longer side 20, aspect ratio 2:1 kept
    assert _ink_extent(stages.result) == (20, 10)
    row, col = stages.center_of_mass
    assert abs(row - 14) <= 1 and abs(col - 14) <= 1


def test_wide_digit_keeps_aspect_ratio():
    stages = preprocess_stages(_canvas_with_rect(200, 10, 30, 120))
    assert stages.scaled.shape == (5, 20)


def test_centre_of_mass_not_bbox_centre_is_used():
    canvas = np.zeros((100, 100), np.float32)
    canvas[10:90, 10:20] = 1.0  # a full-height bar ...
    canvas[10:40, 20:50] = 1.0  # ... with a heavy block top right, like a "P": mass sits high
    stages = preprocess_stages(canvas)
    assert stages.scaled.shape == (20, 10)
    row, col = stages.center_of_mass
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5
    top = np.flatnonzero(stages.result.any(axis=1))[0]
    assert top >= 7  # centring the bounding box instead would put the top at row 4


def test_enlarged_mnist_digits_come_back_as_themselves():
    from cnnviz.data.datasets import load_bundled

    for image in load_bundled().test_images[:20]:
        drawing = np.kron(image, np.ones((10, 10), np.uint8))  # a 280x280 "drawing" of it
        result = preprocess_digit(drawing)
        assert np.corrcoef(result.ravel(), image.ravel())[0, 1] > 0.99


def test_downscaling_is_anti_aliased():
    canvas = np.zeros((280, 280), np.uint8)
    canvas[::2, :] = 255  # fine stripes: area averaging gives mid gray, not black/white bands
    scaled = preprocess_stages(canvas).scaled
    assert np.allclose(scaled, 0.5, atol=0.05)


def test_resize_keeps_mean_and_handles_upscaling():
    rng = np.random.default_rng(0)
    image = rng.random((97, 61)).astype(np.float32)
    assert abs(resize(image, 20, 13).mean() - image.mean()) < 0.01
    up = resize(np.array([[0.0, 1.0]], np.float32), 1, 4)
    assert up.shape == (1, 4) and np.all(np.diff(up[0]) >= 0) and up[0, 0] == 0 and up[0, -1] == 1


def test_tiny_digit_is_enlarged():
    stages = preprocess_stages(_canvas_with_rect(5, 5, 4, 2, size=40))
    assert stages.scaled.shape == (20, 10)


def test_empty_gives_zeros():
    for image in (np.zeros((50, 70), np.uint8), np.full((28, 28), 0.05, np.float32)):
        stages = preprocess_stages(image)
        assert stages.bbox is None and stages.center_of_mass is None
        assert stages.result.shape == (28, 28) and not stages.result.any()


def test_center_false_keeps_corner_digit_in_corner():
    canvas = _canvas_with_rect(200, 200, 70, 70)  # bottom-right corner
    result = preprocess_digit(canvas, center=False)
    rows, cols = np.nonzero(result > 0.1)
    assert rows.min() >= 8 and cols.min() >= 8 and rows.max() == 27 and cols.max() == 27
    centred = preprocess_digit(canvas)
    rows, cols = np.nonzero(centred > 0.1)
    assert rows.min() == 4 and cols.min() == 4


def test_output_dtype_and_range_for_uint8_and_float():
    rng = np.random.default_rng(3)
    for image in (rng.integers(0, 256, (64, 48), dtype=np.uint8), rng.random((64, 48)) * 1.5):
        result = preprocess_digit(image)
        assert result.dtype == np.float32 and result.shape == (28, 28)
        assert result.min() >= 0 and result.max() <= 1 and result.max() > 0.5


def test_uint8_and_float_inputs_agree():
    canvas = _canvas_with_rect(30, 40, 100, 60)
    np.testing.assert_allclose(preprocess_digit(canvas), preprocess_digit(canvas / 255.0), atol=1e-6)


def test_stages_dataclass_and_digit_agree():
    canvas = _canvas_with_rect(30, 40, 100, 60)
    stages = preprocess_stages(canvas)
    assert isinstance(stages, PreprocessStages)
    assert stages.raw.dtype == np.float32 and stages.raw.shape == (280, 280)
    np.testing.assert_array_equal(stages.result, preprocess_digit(canvas))


def test_rejects_colour_arrays():
    with pytest.raises(ValueError, match="2-D"):
        preprocess_digit(np.zeros((28, 28, 3)))


# --- PNG files -------------------------------------------------------------------------------


def _png_filter(row, prior, bpp, kind):
    """Encode one row with PNG filter ``kind`` (tiny pure-Python reference encoder)."""
    out = []
    for x, value in enumerate(row):
        a = row[x - bpp] if x >= bpp else 0
        b = prior[x]
        c = prior[x - bpp] if x >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out.append((value - pred) % 256)
    return bytes([kind] + out)


def _write_png(path, pixels, colour, depth=8, palette=None):
    """Write (H, W, C) integer ``pixels`` as a PNG, cycling through all five filter types."""
    pixels = np.asarray(pixels)
    height, width = pixels.shape[:2]
    raw = pixels.astype(">u2" if depth == 16 else np.uint8).reshape(height, -1).view(np.uint8)
    bpp = raw.shape[1] // width
    prior, body = [0] * raw.shape[1], b""
    for y in range(height):
        row = raw[y].tolist()
        body += _png_filter(row, prior, bpp, y % 5)
        prior = row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    extra = chunk(b"PLTE", palette) if palette is not None else b""
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
        + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")
    )


@pytest.fixture()
def digit():
    """(12, 9) uint8 white-on-black test picture with varied values so every filter matters."""
    rng = np.random.default_rng(0)
    image = np.zeros((12, 9), np.uint8)
    image[2:10, 2:7] = rng.integers(100, 256, (8, 5))
    return image


def test_png_gray_all_filters(tmp_path, digit):
    _write_png(tmp_path / "g.png", digit[..., None], colour=0)
    np.testing.assert_allclose(load_image_file(tmp_path / "g.png"), digit / 255.0, atol=1e-6)


def test_png_gray16(tmp_path, digit):
    _write_png(tmp_path / "g16.png", digit[..., None].astype(np.uint16) * 257, colour=0, depth=16)
    np.testing.assert_allclose(load_image_file(tmp_path / "g16.png"), digit / 255.0, atol=1e-6)


def test_png_rgb_and_rgba(tmp_path, digit):
    rgb = np.repeat(digit[..., None], 3, axis=2)
    _write_png(tmp_path / "c.png", rgb, colour=2)
    np.testing.assert_allclose(load_image_file(tmp_path / "c.png"), digit / 255.0, atol=1e-5)
    rgba = np.concatenate([rgb, np.full(digit.shape + (1,), 255, np.uint8)], axis=2)
    _write_png(tmp_path / "ca.png", rgba, colour=6)
    np.testing.assert_allclose(load_image_file(tmp_path / "ca.png"), digit / 255.0, atol=1e-5)


def test_png_black_ink_on_transparent_becomes_white_on_black(tmp_path, digit):
    ink = (digit > 0).astype(np.uint8) * 255
    gray_alpha = np.stack([np.zeros_like(ink), ink], axis=2)  # black ink, alpha = ink
    _write_png(tmp_path / "ga.png", gray_alpha, colour=4)
    np.testing.assert_allclose(load_image_file(tmp_path / "ga.png"), ink / 255.0)


def test_png_palette(tmp_path, digit):
    palette = bytes([0, 0, 0, 255, 255, 255])
    _write_png(tmp_path / "p.png", (digit > 0).astype(np.uint8)[..., None], colour=3, palette=palette)
    np.testing.assert_allclose(load_image_file(tmp_path / "p.png"), (digit > 0).astype(np.float32))


def test_black_on_white_is_inverted(tmp_path, digit):
    _write_png(tmp_path / "paper.png", (255 - digit)[..., None], colour=0)
    np.testing.assert_allclose(load_image_file(tmp_path / "paper.png"), digit / 255.0, atol=1e-6)


def test_loaded_png_preprocesses(tmp_path):
    canvas = 255 - _canvas_with_rect(20, 30, 60, 30, size=100)
    _write_png(tmp_path / "d.png", canvas[..., None], colour=0)
    stages = preprocess_stages(load_image_file(tmp_path / "d.png"))
    assert stages.scaled.shape == (20, 10)


def test_corrupt_png_names_file(tmp_path, digit):
    _write_png(tmp_path / "ok.png", digit[..., None], colour=0)
    data = bytearray((tmp_path / "ok.png").read_bytes())
    data[40] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches
    (tmp_path / "bad.png").write_bytes(bytes(data))
    with pytest.raises(ImageFileError, match="bad.png: corrupt PNG"):
        load_image_file(tmp_path / "bad.png")
    (tmp_path / "cut.png").write_bytes(bytes(data[:30]))
    with pytest.raises(ImageFileError, match="cut.png: corrupt PNG"):
        load_image_file(tmp_path / "cut.png")


def test_not_an_image_and_missing(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImageFileError, match="notes.txt: not an image"):
        load_image_file(tmp_path / "notes.txt")
    with pytest.raises(ImageFileError, match="gone.png"):
        load_image_file(tmp_path / "gone.png")


def test_jpeg_without_pillow_suggests_png(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)  # make `import PIL` fail even if installed
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    with pytest.raises(ImageFileError, match="photo.jpg: JPEG .*PNG"):
        load_image_file(tmp_path / "photo.jpg")


def test_image_file_error_is_value_error():
    assert issubclass(ImageFileError, ValueError)
