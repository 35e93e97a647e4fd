"""Prowler's metadata, parsed once per installation instead of once per scan.

Every Prowler start parses all its compliance frameworks and check metadata files (about 900
JSON files through pydantic) before it scans anything, whatever ``--checks`` asks for: about
14 of a two-check scan's 20 CPU-s. Prowler has no option to skip or keep that work, so the
three functions that do it are wrapped here: the first scan of an installation keeps each
result (pickled, under the venv, keyed by Prowler's version, the function and its arguments)
and later scans load it. Each call still returns objects of its own, as the functions do; the
checks themselves run as always."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

KEPT = Path(sys.prefix) / "lab-kept-metadata"


def _version() -> str:
    from prowler.config.config import prowler_version

    return prowler_version


def _load_or_make(key: str, make):
    name = hashlib.sha256(f"{_version()}|{key}".encode()).hexdigest()[:24]
    path = KEPT / f"{name}.pickle"
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    value = make()
    try:
        KEPT.mkdir(exist_ok=True)
        # Written whole then renamed: a scan started beside this one reads all or nothing.
        handle, partial = tempfile.mkstemp(dir=KEPT, suffix=".partial")
        with os.fdopen(handle, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # kept or not, the value is right
    return value


def install() -> None:
    """Wrap the parsing functions before ``prowler.__main__`` imports them by name."""
    from prowler.lib.check import compliance, compliance_models, models

    bulk_metadata = models.CheckMetadata.get_bulk
    bulk_frameworks = compliance_models.Compliance.get_bulk
    universal = compliance_models.get_bulk_compliance_frameworks_universal
    with_compliance = compliance.update_checks_metadata_with_compliance

    def checks_metadata(provider: str) -> dict:
        return _load_or_make(f"checks|{provider}", lambda: bulk_metadata(provider))

    def frameworks(provider: str) -> dict:
        return _load_or_make(f"frameworks|{provider}", lambda: bulk_frameworks(provider))

    def universal_frameworks(provider: str) -> dict:
        return _load_or_make(f"universal|{provider}", lambda: universal(provider))

    def metadata_with_compliance(bulk_compliance_frameworks: dict, bulk_checks_metadata: dict):
        # Its result follows from its arguments, which follow from the installation: keyed by
        # what they hold. It fills the given dict in place and returns it; so does this.
        key = "|".join(
            [
                "with-compliance",
                *sorted(bulk_compliance_frameworks),
                "",
                *sorted(bulk_checks_metadata),
            ]
        )
        done = _load_or_make(
            hashlib.sha256(key.encode()).hexdigest(),
            lambda: with_compliance(bulk_compliance_frameworks, bulk_checks_metadata),
        )
        bulk_checks_metadata.update(done)
        return bulk_checks_metadata

    models.CheckMetadata.get_bulk = staticmethod(checks_metadata)
    compliance_models.Compliance.get_bulk = staticmethod(frameworks)
    compliance_models.get_bulk_compliance_frameworks_universal = universal_frameworks
    compliance.update_checks_metadata_with_compliance = metadata_with_compliance
