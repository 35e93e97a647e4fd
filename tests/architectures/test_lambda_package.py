import zipfile

import pytest

from lab.architectures.lambda_package import SHARED_MODULES, build_all, build_zip
from lab.paths import FUNCTIONS_DIR


def test_zip_is_deterministic(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "handler.py").write_text("x = 1\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"junk")
    first = build_zip(source, tmp_path / "a.zip")
    (source / "handler.py").touch()  # a new mtime must not change the package
    second = build_zip(source, tmp_path / "b.zip")
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.namelist() == ["handler.py"]
        assert archive.getinfo("handler.py").date_time == (1980, 1, 1, 0, 0, 0)


def test_every_function_folder_builds(tmp_path):
    hashes = build_all(FUNCTIONS_DIR, tmp_path)
    assert "remediate_sg" in hashes
    assert (tmp_path / "remediate_sg.zip").exists()


def test_every_package_carries_the_shared_alert_formatter(tmp_path):
    build_all(FUNCTIONS_DIR, tmp_path)
    for package in sorted(tmp_path.glob("*.zip")):
        with zipfile.ZipFile(package) as archive:
            assert archive.read("alert_message.py") == SHARED_MODULES[0].read_bytes(), package


def test_a_function_file_that_would_hide_a_shared_module_is_refused(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "alert_message.py").write_text("x = 1\n")
    with pytest.raises(ValueError, match="hide"):
        build_zip(source, tmp_path / "a.zip", SHARED_MODULES)


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_zip(tmp_path / "missing", tmp_path / "x.zip")
