"""Imported at start-up by Prowler's interpreter (on its PYTHONPATH) when the lab scans the
emulator, and only then: S3 Control's endpoint rules put the account id in front of the host
(``123456789012.127.0.0.1``), which does not resolve, and the account-level public-access-block
checks would go missing without a word. This drops that label from S3 Control requests to the
emulator's address (``LAB_EMULATOR_HOST``) before they are signed. Written here because botocore
has no setting for it (``AWS_DISABLE_HOST_PREFIX_INJECTION`` covers the models' host prefixes, not
the endpoint rules')."""

import contextlib
import os
import re

import botocore.session

_HOST = os.environ.get("LAB_EMULATOR_HOST", "")


def to_the_emulator(host):
    """A ``before-sign`` handler that drops the account-id label in front of ``host``."""
    label = re.compile(r"^(https?://)\d{12}\." + re.escape(host) + r"([:/])")

    def handler(request, **_):
        request.url = label.sub(lambda m: f"{m.group(1)}{host}{m.group(2)}", request.url)

    return handler


if _HOST:
    _init = botocore.session.Session.__init__
    _handler = to_the_emulator(_HOST)

    def _session_init(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        self.register("before-sign.s3-control", _handler)

    botocore.session.Session.__init__ = _session_init

    # Prowler's metadata, parsed once per installation (kept_metadata). Where a later Prowler
    # moved what it wraps, the scan runs as Prowler ships it, only slower.
    try:
        from kept_metadata import install
    except ImportError:
        pass
    else:
        with contextlib.suppress(ImportError, AttributeError):
            install()
