import io

import mrcfile
import numpy as np
import pytest
import tifffile

from astigd.frame_files import (
    FrameFileError,
    frame_from_array,
    kind_from_name,
    read_frame_bytes,
    read_frame_file,
    sniff_kind,
)

RNG = np.random.default_rng(7)
FRAME = RNG.normal(100.0, 10.0, size=(40, 56)).astype(np.float32)
STACK = RNG.normal(100.0, 10.0, size=(3, 40, 56)).astype(np.float32)


def write_mrc(path, data):
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
    return path


def write_tiff(path, data, **kwargs):
    tifffile.imwrite(path, data, **({"photometric": "minisblack"} | kwargs))
    return path


def write_npy(path, data):
    np.save(path, data)
    return path


WRITERS = {"mrc": write_mrc, "tiff": write_tiff, "npy": write_npy}
SUFFIXES = {"mrc": ".mrc", "tiff": ".tif", "npy": ".npy"}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_reads_a_2d_frame_unchanged_from_each_format(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"frame{SUFFIXES[kind]}", FRAME)
    frame = read_frame_file(path)
    assert frame.dtype == np.float32
    np.testing.assert_array_equal(frame, FRAME)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_averages_a_3d_stack_over_its_frames(tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"stack{SUFFIXES[kind]}", STACK)
    frame = read_frame_file(path)
    assert frame.shape == STACK.shape[1:]
    np.testing.assert_allclose(frame, STACK.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_reads_bytes_with_the_kind_given_or_sniffed(tmp_path, kind):
    data = WRITERS[kind](tmp_path / f"stack{SUFFIXES[kind]}", STACK).read_bytes()
    assert sniff_kind(data[:1024]) == kind
    for given in (kind, None):
        np.testing.assert_allclose(read_frame_bytes(data, given), STACK.mean(axis=0), rtol=1e-6)


def test_integer_mrc_frames_come_back_as_float32(tmp_path):
    counts = RNG.poisson(5, size=(32, 48)).astype(np.int16)
    frame = read_frame_file(write_mrc(tmp_path / "counts.mrc", counts))
    assert frame.dtype == np.float32
    np.testing.assert_array_equal(frame, counts)


def test_rgb_tiff_is_averaged_over_its_colour_samples(tmp_path):
    rgb = RNG.integers(0, 255, size=(24, 32, 3), dtype=np.uint8)
    frame = read_frame_file(write_tiff(tmp_path / "rgb.tiff", rgb, photometric="rgb"))
    assert frame.shape == (24, 32)
    np.testing.assert_allclose(frame, rgb.mean(axis=2), rtol=1e-6)


def test_unknown_suffix_is_read_by_content(tmp_path):
    path = write_mrc(tmp_path / "frame.mrc", FRAME).rename(tmp_path / "frame.dat")
    np.testing.assert_array_equal(read_frame_file(path), FRAME)


def test_mrc_with_trailing_bytes_is_read_without_warnings(tmp_path):
    path = write_mrc(tmp_path / "padded.mrc", FRAME)
    path.write_bytes(path.read_bytes() + b"\0" * 256)
    np.testing.assert_array_equal(read_frame_file(path), FRAME)


def test_kind_from_name_knows_the_usual_suffixes():
    assert kind_from_name("a.MRCS") == "mrc"
    assert kind_from_name("dir/b.tiff") == "tiff"
    assert kind_from_name("c.npy") == "npy"
    assert kind_from_name("d.eer") is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("text.mrc", "not a valid MRC file"),
        ("text.tif", "not a valid TIFF file"),
        ("text.npy", "not a .npy file"),
        ("text.dat", "not an MRC, TIFF or .npy file"),
    ],
)
def test_text_file_with_a_frame_suffix_is_rejected_with_a_reason(tmp_path, name, reason):
    path = tmp_path / name
    path.write_text("this is not an image\n" * 100)
    with pytest.raises(FrameFileError, match=reason):
        read_frame_file(path)


@pytest.mark.parametrize(
    ("array", "reason"),
    [
        (np.ones(64, np.float32), r"expected a 2D frame or a 3D stack, got shape \(64,\)"),
        (np.ones((2, 2, 8, 8), np.float32), "got shape"),
        (np.ones((0, 8, 8), np.float32), "got shape"),
        (np.ones((8, 8), np.complex64), "unsupported data type"),
        (np.array([["a", "b"]]), "unsupported data type"),
    ],
)
def test_arrays_that_are_not_frames_are_rejected(array, reason):
    with pytest.raises(FrameFileError, match=reason):
        frame_from_array(array)


def test_one_dimensional_npy_file_is_rejected(tmp_path):
    with pytest.raises(FrameFileError, match="expected a 2D frame"):
        read_frame_file(write_npy(tmp_path / "line.npy", np.arange(100.0)))


def test_pickled_npy_is_refused_not_unpickled(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FrameFileError, match="not a valid .npy file"):
        read_frame_file(path)


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_truncated_files_raise_only_frame_file_errors(tmp_path, kind):
    data = WRITERS[kind](tmp_path / f"stack{SUFFIXES[kind]}", STACK).read_bytes()
    for cut in (0, 3, 100, 300, 1100, len(data) // 2):  # each cut loses image data
        with pytest.raises(FrameFileError):
            read_frame_bytes(data[:cut], kind)


def test_missing_file_and_directory_are_frame_file_errors(tmp_path):
    with pytest.raises(FrameFileError, match="No such file"):
        read_frame_file(tmp_path / "missing.mrc")
    with pytest.raises(FrameFileError, match="cannot read file"):
        read_frame_file(tmp_path)


def test_unknown_kind_is_rejected():
    with pytest.raises(FrameFileError, match="unknown frame file kind"):
        read_frame_bytes(b"\x93NUMPY", "eer")  # type: ignore[arg-type]


def test_frame_file_error_is_a_value_error():
    assert issubclass(FrameFileError, ValueError)
    with pytest.raises(ValueError):
        read_frame_bytes(io.BytesIO(b"junk").read())
