"""CloudWatch Logs: the whole filter-pattern language, Logs Insights queries, the account's clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lab.emulator.compat import running
from lab.emulator.compat.policies import find_key, service_allowed


def apply() -> None:
    _patch_encrypted_group_needs_the_key()
    _patch_filter_patterns()
    _patch_insights_queries()
    _patch_clock()


# CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the key policy
# lets the service principal of the Region use the key, with the log group's ARN as context.
LOG_GROUP_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")


def _patch_encrypted_group_needs_the_key() -> None:
    """Gap: moto creates a log group encrypted with any key id, whatever its key policy. AWS
    refuses it (CreateLogGroup, InvalidParameterException "The specified KMS key does not exist or
    is not allowed to be used with ...") unless the key policy lets ``logs.<region>.amazonaws.com``
    encrypt and decrypt with the group's ARN as encryption context."""
    import moto.logs.models as logs_models
    from moto.logs.exceptions import InvalidParameterException

    original = logs_models.LogsBackend.create_log_group

    def create_log_group(
        self: Any, log_group_name: str, tags: dict[str, str], **kwargs: Any
    ) -> Any:
        key_id = kwargs.get("kmsKeyId")
        if key_id:
            arn = f"arn:aws:logs:{self.region_name}:{self.account_id}:log-group:{log_group_name}"
            key = find_key(self.account_id, self.region_name, key_id)
            service = f"logs.{self.region_name}.amazonaws.com"
            context = {
                "kms:EncryptionContext:aws:logs:arn": arn,
                "aws:SourceAccount": self.account_id,
                "aws:SourceArn": arn,
            }
            if key is None or not all(
                service_allowed(key.policy, service, action, key.arn, context)
                for action in LOG_GROUP_KEY_ACTIONS
            ):
                raise InvalidParameterException(
                    msg=f"The specified KMS key does not exist or is not allowed to be used with "
                    f"Arn '{arn}'"
                )
        return original(self, log_group_name, tags, **kwargs)

    logs_models.LogsBackend.create_log_group = create_log_group  # type: ignore[method-assign]


def _patch_filter_patterns() -> None:
    """Gap: moto matches one term or one quoted phrase and lets every other filter pattern through
    (``?`` terms, exclusions, space-delimited and JSON patterns all match everything). AWS documents
    the whole language (FilterAndPatternSyntax.html); FilterLogEvents and the rest use the lab's
    implementation of it (``lab.engines.log_patterns``)."""
    import moto.logs.models as logs_models

    from lab.engines.log_patterns import log_pattern_matches

    class EventMessageFilter:
        def __init__(self, pattern: str):
            self.pattern = pattern or ""

        def matches(self, message: str) -> bool:
            return log_pattern_matches(self.pattern, message)

    logs_models.EventMessageFilter = EventMessageFilter  # type: ignore[misc,assignment]


def _patch_insights_queries() -> None:
    """Gap: moto's Logs Insights understands ``fields``, ``sort`` and ``limit`` only; a ``filter``
    or ``stats`` is ignored and every event comes back. StartQuery runs the lab's subset of the
    language instead (``lab.engines.insights``: filter, parse, stats ... by, sort, limit)."""
    import moto.logs.models as logs_models
    from moto.logs.exceptions import InvalidParameterException

    from lab.engines.insights import Event, QueryError, format_value, run_query

    def execute_query(
        log_groups: list[Any], query: str, start_time: int, end_time: int
    ) -> list[dict[str, str]]:
        events = [
            Event(e.timestamp, e.message, stream.log_stream_name, group.name, e.ingestion_time)
            for group in log_groups
            for stream in group.streams.values()
            for e in stream.events
            if (not start_time or e.timestamp >= start_time * 1000)
            and (not end_time or e.timestamp <= end_time * 1000)
        ]
        try:  # a query outside the subset is one clear 400, as AWS answers a malformed query
            rows = run_query(query, events)
        except QueryError as error:
            raise InvalidParameterException(msg=str(error)) from error
        return [{field: format_value(field, value) for field, value in row.items()} for row in rows]

    logs_models.execute_query = execute_query  # type: ignore[assignment]


def _patch_clock() -> None:
    """Gap: moto accepts PutLogEvents only for events of the last 14 days by the host's clock, as AWS
    does by its own. The emulated account's clock is the recorder's (virtual time during a trial),
    so the window is measured against it; otherwise every event of a simulated day is rejected."""
    from datetime import UTC

    import moto.logs.models as logs_models

    def utcnow() -> Any:
        recorder = running.recorder()
        clock = recorder.clock if recorder else None
        moment = clock() if clock else datetime.now(UTC)
        return moment.astimezone(UTC).replace(tzinfo=None)

    logs_models.utcnow = utcnow  # type: ignore[assignment]
