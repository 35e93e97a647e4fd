"""An AWS CLI v1 plugin (loaded through the ``[plugins]`` section of the config file the lab gives
the CLI on the emulator, ``awscli_endpoint.ini``): ``AWS_ENDPOINT_URL`` reaches every service.

Gap it closes: the CLI's ``overridesslcommonname`` customization pins a few services (RDS, SQS,
Neptune, DocumentDB, ...) to their global endpoint in us-east-1 whenever ``--endpoint-url`` is not
on the command line, ignoring the ``AWS_ENDPOINT_URL`` variable that every other service honours
(AWS SDKs and Tools Reference Guide, "Service-specific endpoints"). The detectors and runbooks are
the scripts a person runs on AWS, where no endpoint is set and this plugin does nothing; on the
emulator the variable is what points them at the account.

Kept free of the lab's imports: the CLI loads it at every start.
"""

from __future__ import annotations

import os
from typing import Any


def awscli_initialize(cli: Any) -> None:
    """The CLI's plugin entry point: run before the customization that pins the endpoint."""
    cli.register_first("before-building-argument-table-parser", endpoint_from_environment)


def endpoint_from_environment(parsed_globals: Any = None, **_: Any) -> None:
    """Only for the services the customization pins: every other one already reads the variable
    (and keeps building its client exactly as the CLI does without this plugin)."""
    from awscli.customizations.overridesslcommonname import SSL_COMMON_NAMES

    url = os.environ.get("AWS_ENDPOINT_URL")
    if (
        url
        and parsed_globals is not None
        and getattr(parsed_globals, "endpoint_url", None) is None
        and getattr(parsed_globals, "command", None) in SSL_COMMON_NAMES
    ):
        parsed_globals.endpoint_url = url
