"""Deterministic Lambda deployment packages, built in Python.

The hashicorp/archive provider is not available offline, and a zip of the same sources must hash the
same on every machine (so ``source_code_hash`` and the run's config hash are stable): entries are
sorted, timestamps fixed to 1980-01-01 and permissions normalised. ``zipfile`` does the work; no
packaging library fixes these three things for us.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__", ".pytest_cache"}


def build_zip(source_dir: Path, destination: Path) -> str:
    """Zip ``source_dir`` into ``destination`` deterministically; return the zip's SHA-256."""
    if not source_dir.is_dir():
        raise FileNotFoundError(f"Lambda source folder not found: {source_dir}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p
        for p in source_dir.rglob("*")
        if p.is_file() and not _SKIP & set(p.relative_to(source_dir).parts) and p.suffix != ".pyc"
    )
    tmp = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source_dir).as_posix(), date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(destination)
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def build_all(functions_dir: Path, build_dir: Path) -> dict[str, str]:
    """Build one zip per folder of ``functions_dir``; return name -> SHA-256."""
    return {
        folder.name: build_zip(folder, build_dir / f"{folder.name}.zip")
        for folder in sorted(functions_dir.iterdir())
        if folder.is_dir() and folder.name not in _SKIP
    }
