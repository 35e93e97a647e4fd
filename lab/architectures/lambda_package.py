"""Deterministic Lambda deployment packages, built in Python.

The hashicorp/archive provider is not available offline, and a zip of the same sources must hash the
same on every machine (so ``source_code_hash`` and the run's config hash are stable): entries are
sorted, timestamps fixed to 1980-01-01 and permissions normalised. ``zipfile`` does the work; no
packaging library fixes these three things for us.

Every package also carries the lab's modules that the functions share with the lab itself
(``SHARED_MODULES``, standard library only), at the package's root: one alert formatter for the
Lambda functions and the lab's own publishers.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from lab.engines import alert_message

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_SKIP = {"__pycache__", ".pytest_cache"}
SHARED_MODULES = (Path(alert_message.__file__),)


def build_zip(source_dir: Path, destination: Path, shared: tuple[Path, ...] = ()) -> str:
    """Zip ``source_dir`` and the ``shared`` files (at the root) into ``destination``
    deterministically; return the zip's SHA-256."""
    if not source_dir.is_dir():
        raise FileNotFoundError(f"Lambda source folder not found: {source_dir}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    entries = {
        p.relative_to(source_dir).as_posix(): p
        for p in source_dir.rglob("*")
        if p.is_file() and not _SKIP & set(p.relative_to(source_dir).parts) and p.suffix != ".pyc"
    }
    for path in shared:
        if path.name in entries:
            raise ValueError(f"{source_dir / path.name} would hide the shared {path}")
        entries[path.name] = path
    tmp = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    tmp.replace(destination)
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def build_all(functions_dir: Path, build_dir: Path) -> dict[str, str]:
    """Build one zip per folder of ``functions_dir`` (with ``SHARED_MODULES``); return name ->
    SHA-256."""
    return {
        folder.name: build_zip(folder, build_dir / f"{folder.name}.zip", SHARED_MODULES)
        for folder in sorted(functions_dir.iterdir())
        if folder.is_dir() and folder.name not in _SKIP
    }
