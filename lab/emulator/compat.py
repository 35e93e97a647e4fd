"""Small compatibility patches for the moto gaps that Terraform, the stacks or the simulator hit.

This is the only module that patches moto. Each patch names the gap, what AWS documents, and is
covered by a test in ``tests/test_compat.py`` that talks to the emulator over HTTP. ``apply()`` is
idempotent.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.cloudtrail.models import CloudTrailBackend
from moto.cloudtrail.responses import CloudTrailResponse
from moto.securityhub.models import SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.stepfunctions.responses import StepFunctionResponse

_applied = False
# Base URLs of the running emulators in this process (moto's state is per process, so the newest
# one serves it); Lambda code locations point back at it (see below).
_base_urls: list[str] = []

LAMBDA_CODE_PATH = "/_lab/lambda-code"
# POST .../<account>/<region>/<key id>: a key pending deletion reaches the end of its waiting period.
KMS_WAITING_PERIOD_OVER_PATH = "/_lab/kms-waiting-period-over"


# Event history providers (the recorders of the running emulators; the newest serves LookupEvents).
_histories: list[Any] = []


def push_event_history(recorder: Any) -> None:
    _histories.append(recorder)


def pop_event_history(recorder: Any) -> None:
    if recorder in _histories:
        _histories.remove(recorder)


def push_base_url(url: str) -> None:
    _base_urls.append(url.rstrip("/"))


def pop_base_url(url: str) -> None:
    if url.rstrip("/") in _base_urls:
        _base_urls.remove(url.rstrip("/"))


def apply() -> None:
    """Install every patch (once per process)."""
    global _applied
    if _applied:
        return
    _patch_cloudtrail_delete_trail_by_arn()
    _patch_lambda_code_location()
    _patch_sfn_validate_state_machine_definition()
    _patch_securityhub_update_configuration()
    _load_aws_managed_policies()
    _patch_cloudtrail_lookup_events()
    _patch_ec2_describe_snapshots_owner_and_restorable_by()
    _patch_lambda_dead_letter_config()
    _patch_json_protocol_for_newer_clients()
    _patch_logs_filter_patterns()
    _patch_logs_insights_queries()
    _patch_logs_clock()
    _patch_ssm_automation_executions()
    _patch_securityhub_standards_and_products()
    _patch_securityhub_asff_required_fields()
    _patch_s3_policy_conditions_of_a_tls_request()
    _applied = True


def _load_aws_managed_policies() -> None:
    """A real account has the AWS managed policies (AdministratorAccess, ...); moto 5 leaves them
    out unless asked. Techniques and remediations attach and detach them by ARN."""
    from moto.core.config import default_user_config

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True


def _patch_cloudtrail_delete_trail_by_arn() -> None:
    """Gap: moto's DeleteTrail only looks the trail up by name; given the trail's ARN it silently
    deletes nothing. AWS accepts a name or an ARN (CloudTrail API, DeleteTrail ``Name``), and the
    Terraform AWS provider v5 uses the ARN as the trail's id, so ``terraform destroy`` left the
    trail behind (and it kept "logging")."""
    original = CloudTrailBackend.delete_trail

    def delete_trail(self: CloudTrailBackend, name: str) -> None:
        trail = self.get_trail(name)  # resolves names and ARNs, raises TrailNotFound like AWS
        original(self, trail.trail_name)

    CloudTrailBackend.delete_trail = delete_trail  # type: ignore[method-assign]


def _patch_lambda_code_location() -> None:
    """Gap: moto's GetFunction returns a ``Code.Location`` on a made-up S3 host that cannot be
    downloaded. AWS documents it as a pre-signed URL from which the deployment package can be
    downloaded (Lambda API, FunctionCodeLocation). The lab reads deployed code back that way, so
    the location points at this emulator, which serves the stored zip (see ``server.py``)."""
    original = LambdaFunction.get_code

    def get_code(self: LambdaFunction) -> dict[str, Any]:
        response = original(self)
        if response.get("Code", {}).get("RepositoryType") == "S3":
            response["Code"]["Location"] = (
                f"{_base_urls[-1] if _base_urls else 'http://127.0.0.1'}{LAMBDA_CODE_PATH}/{self.account_id}/{self.region}/"
                f"{self.function_name}"
            )
        return response

    LambdaFunction.get_code = get_code  # type: ignore[method-assign]


def _patch_sfn_validate_state_machine_definition() -> None:
    """Gap: ValidateStateMachineDefinition is not implemented (HTTP 500); the AWS provider calls it
    before creating a state machine and retries for minutes. This checks what the API documents as
    its first-level diagnostics: the definition is JSON with ``StartAt`` naming one of ``States``."""

    def validate_state_machine_definition(self: StepFunctionResponse) -> str:
        params = json.loads(self.body or "{}")
        diagnostics = []
        try:
            definition = json.loads(params.get("definition", ""))
            states = definition.get("States", {})
            if definition.get("StartAt") not in states:
                diagnostics.append(("MISSING_START_AT", "StartAt does not name a state"))
        except (ValueError, AttributeError):
            diagnostics.append(("INVALID_JSON_DESCRIPTION", "definition is not valid JSON"))
        return json.dumps(
            {
                "result": "FAIL" if diagnostics else "OK",
                "diagnostics": [
                    {"severity": "ERROR", "code": code, "message": message}
                    for code, message in diagnostics
                ],
                "truncated": False,
            }
        )

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]


def _patch_securityhub_update_configuration() -> None:
    """Gap: UpdateSecurityHubConfiguration is not implemented (HTTP 500); the AWS provider calls it
    when enabling Security Hub (``aws_securityhub_account``). AWS stores ``AutoEnableControls`` and
    ``ControlFindingGenerator`` and answers with an empty body; DescribeHub then reports them."""

    def update_security_hub_configuration(self: SecurityHubResponse) -> str:
        params = json.loads(self.body or "{}")
        backend = self.securityhub_backend
        settings = getattr(backend, "lab_hub_settings", {})
        settings.update(
            {k: params[k] for k in ("AutoEnableControls", "ControlFindingGenerator") if k in params}
        )
        backend.lab_hub_settings = settings
        return "{}"

    original_describe = SecurityHubBackend.describe_hub

    def describe_hub(self: SecurityHubBackend, hub_arn: str | None = None) -> dict[str, Any]:
        return original_describe(self, hub_arn) | getattr(self, "lab_hub_settings", {})

    SecurityHubResponse.update_security_hub_configuration = update_security_hub_configuration  # type: ignore[attr-defined]
    SecurityHubBackend.describe_hub = describe_hub  # type: ignore[method-assign]


_LOOKUP_KEYS = {
    "EventId": lambda r: r["eventID"],
    "EventName": lambda r: r["eventName"],
    "EventSource": lambda r: r["eventSource"],
    "ReadOnly": lambda r: "true" if r["readOnly"] else "false",
    "AccessKeyId": lambda r: r["userIdentity"].get("accessKeyId"),
    "Username": lambda r: _username(r["userIdentity"]),
}


def _username(identity: dict[str, Any]) -> str | None:
    if identity.get("type") == "Root":
        return "root"
    if identity.get("type") == "AssumedRole":
        return str(identity.get("arn", "")).rsplit("/", 1)[-1]
    return identity.get("userName")


def _epoch(event_time: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(event_time.replace("Z", "+00:00")).timestamp()


def _patch_cloudtrail_lookup_events() -> None:
    """Gap: LookupEvents is not implemented. AWS (CloudTrail API Reference, LookupEvents): the last
    90 days of management events of the Region, newest first, with no trail needed; at most one lookup
    attribute (EventId, EventName, EventSource, ReadOnly, AccessKeyId, Username; resource attributes
    are not modelled); StartTime / EndTime inclusive; MaxResults 1-50, default 50; NextToken pages.
    Served from the recorder's history (the observer's calls left out). Simplification: an event is
    visible as soon as it is recorded (AWS publishes no delay for event history)."""

    def lookup_events(self: CloudTrailResponse) -> str:
        params = json.loads(self.body or "{}")
        history = _histories[-1].history() if _histories else []
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise ValueError("LookupAttributes: only one attribute is allowed")
        events = history
        for attribute in attributes:
            getter = _LOOKUP_KEYS.get(attribute["AttributeKey"])
            if getter is None:
                events = []
                continue
            events = [r for r in events if getter(r) == attribute["AttributeValue"]]
        if "StartTime" in params:
            events = [r for r in events if _epoch(r["eventTime"]) >= float(params["StartTime"])]
        if "EndTime" in params:
            events = [r for r in events if _epoch(r["eventTime"]) <= float(params["EndTime"])]
        events = sorted(events, key=lambda r: _epoch(r["eventTime"]), reverse=True)
        start = int(params.get("NextToken") or 0)
        size = max(1, min(50, int(params.get("MaxResults") or 50)))
        page = events[start : start + size]
        body: dict[str, Any] = {
            "Events": [
                {
                    "EventId": r["eventID"],
                    "EventName": r["eventName"],
                    "ReadOnly": "true" if r["readOnly"] else "false",
                    "AccessKeyId": r["userIdentity"].get("accessKeyId"),
                    "EventTime": _epoch(r["eventTime"]),
                    "EventSource": r["eventSource"],
                    "Username": _username(r["userIdentity"]),
                    "Resources": [],
                    "CloudTrailEvent": json.dumps({k: v for k, v in r.items() if k != "lab"}),
                }
                for r in page
            ]
        }
        if start + size < len(events):
            body["NextToken"] = str(start + size)
        return json.dumps(body)

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]


def _patch_ec2_describe_snapshots_owner_and_restorable_by() -> None:
    """Gap: DescribeSnapshots ignores ``OwnerIds`` and ``RestorableByUserIds``, so ``--owner-ids self``
    returns the 1,300 public AMI snapshots moto ships. AWS (EC2 API Reference, DescribeSnapshots):
    ``OwnerIds`` takes account ids, ``self`` and ``amazon``; ``RestorableByUserIds`` takes account ids
    and ``all`` (snapshots with public create-volume permission)."""
    from moto.ec2.models.elastic_block_store import EBSBackend
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    original = EBSBackend.describe_snapshots

    def describe_snapshots(self: ElasticBlockStore) -> Any:
        owners = self._get_param("OwnerIds", [])
        restorable = self._get_param("RestorableByUserIds", [])
        backend = self.ec2_backend
        if not owners and not restorable:
            return original_response(self)

        def keep(snapshot: Any) -> bool:
            if owners:
                wanted = {backend.account_id if o == "self" else o for o in owners}
                if snapshot.owner_id not in wanted and not (
                    "amazon" in wanted and snapshot.owner_id != backend.account_id
                ):
                    return False
            if restorable:
                allowed = set(snapshot.create_volume_permission_userids) | {snapshot.owner_id}
                if "all" in snapshot.create_volume_permission_groups:
                    allowed.add("all")
                if not allowed & set(restorable):
                    return False
            return True

        def filtered(self_: Any, snapshot_ids: Any = None, filters: Any = None) -> list[Any]:
            return [s for s in original(self_, snapshot_ids, filters) if keep(s)]

        EBSBackend.describe_snapshots = filtered  # type: ignore[method-assign]
        try:
            return original_response(self)
        finally:
            EBSBackend.describe_snapshots = original  # type: ignore[method-assign]

    original_response = ElasticBlockStore.describe_snapshots
    ElasticBlockStore.describe_snapshots = describe_snapshots  # type: ignore[method-assign]


def _patch_lambda_dead_letter_config() -> None:
    """Gap: moto drops ``DeadLetterConfig`` (CreateFunction, UpdateFunctionConfiguration), so the
    function looks as if it had no dead-letter queue, and Terraform sees drift. AWS (Lambda API,
    FunctionConfiguration) returns ``DeadLetterConfig.TargetArn``; the lab's Lambda simulation sends
    failed asynchronous events there after the retries."""
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: LambdaFunction, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        spec = args[1] if len(args) > 1 else kwargs.get("spec", {})
        self.lab_dead_letter_config = spec.get("DeadLetterConfig") or {}

    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        if getattr(self, "lab_dead_letter_config", None):
            config["DeadLetterConfig"] = self.lab_dead_letter_config
        return config

    def update_configuration(self: LambdaFunction, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.lab_dead_letter_config = updates["DeadLetterConfig"] or {}
        return original_update(self, updates)

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


def _patch_json_protocol_for_newer_clients() -> None:
    """Gap: the aws CLI bundles a newer botocore than boto3's, in which query services such as
    CloudWatch also speak the JSON protocol (``protocols: [smithy-rpc-v2-cbor, json, query]``) and
    the CLI picks JSON; moto checks the protocol against the older model (query only) and answers
    500. AWS accepts both, and moto's responses read parameters from a JSON body generically, so a
    JSON request is taken as JSON whatever the older model lists."""
    import moto.core.request as request_module
    import moto.core.responses as responses_module
    import moto.core.routing as routing_module

    original = request_module.determine_request_protocol

    def determine_request_protocol(service_model: Any, content_type: str | None = None) -> str:
        try:
            return original(service_model, content_type)
        except NotImplementedError:
            if "json" in (content_type or ""):
                return "json"
            raise

    for module in (request_module, responses_module, routing_module):
        module.determine_request_protocol = determine_request_protocol  # type: ignore[attr-defined]


def _patch_logs_filter_patterns() -> None:
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


def _patch_logs_insights_queries() -> None:
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


def _patch_logs_clock() -> None:
    """Gap: moto accepts PutLogEvents only for events of the last 14 days by the host's clock, as AWS
    does by its own. The emulated account's clock is the recorder's (virtual time during a trial),
    so the window is measured against it; otherwise every event of a simulated day is rejected."""
    from datetime import UTC

    import moto.logs.models as logs_models

    def utcnow() -> Any:
        clock = _histories[-1].clock if _histories else None
        moment = clock() if clock else datetime.now(UTC)
        return moment.astimezone(UTC).replace(tzinfo=None)

    logs_models.utcnow = utcnow  # type: ignore[assignment]


# Automation executions started in the emulator: id -> execution (the simulated executor
# updates status, step results and outputs; GetAutomationExecution reads them).
AUTOMATION_EXECUTIONS: dict[str, dict[str, Any]] = {}


def _patch_ssm_automation_executions() -> None:
    """Gap: moto has no SSM Automation (StartAutomationExecution, GetAutomationExecution). The
    calls are accepted as AWS documents them (the document must exist and be of type Automation);
    ``lab.sim.ssm_automation`` runs the steps in virtual time and records the outcome here."""
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random
    from moto.ssm.exceptions import ValidationException
    from moto.ssm.responses import SimpleSystemManagerResponse

    def start_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
        name = self._get_param("DocumentName")
        try:
            document = self.ssm_backend.get_document(
                name=name, document_version=None, document_format="JSON", version_name=None
            )
        except Exception as error:
            raise ValidationException(f"Document {name} does not exist") from error
        if document.get("DocumentType") != "Automation":
            raise ValidationException(f"Document {name} is not an Automation document")
        execution_id = str(mock_random.uuid4())  # seeded with the emulator's other ids
        AUTOMATION_EXECUTIONS[execution_id] = {
            "AutomationExecutionId": execution_id,
            "DocumentName": name,
            "DocumentVersion": document.get("DocumentVersion", "1"),
            "Parameters": self._get_param("Parameters") or {},
            "AutomationExecutionStatus": "Pending",
            "StepExecutions": [],
            "Outputs": {},
        }
        return ActionResult({"AutomationExecutionId": execution_id})

    def get_automation_execution(self: SimpleSystemManagerResponse) -> ActionResult:
        execution_id = self._get_param("AutomationExecutionId")
        if execution_id not in AUTOMATION_EXECUTIONS:
            raise ValidationException(f"Automation execution {execution_id} does not exist")
        return ActionResult({"AutomationExecution": AUTOMATION_EXECUTIONS[execution_id]})

    SimpleSystemManagerResponse.start_automation_execution = start_automation_execution  # type: ignore[attr-defined]
    SimpleSystemManagerResponse.get_automation_execution = get_automation_execution  # type: ignore[attr-defined]


def _patch_securityhub_standards_and_products() -> None:
    """Gap: moto has no standards subscriptions (BatchEnableStandards, GetEnabledStandards,
    BatchDisableStandards) nor product integrations (EnableImportFindingsForProduct,
    ListEnabledProductsForImport, DisableImportFindingsForProduct), which the AWS provider's
    ``aws_securityhub_standards_subscription`` and ``aws_securityhub_product_subscription`` call.
    Implemented as the Security Hub API Reference documents them; subscriptions are READY at once."""
    import re

    def _state(backend: SecurityHubBackend) -> dict[str, dict[str, Any]]:
        if not hasattr(backend, "lab_subscriptions"):
            backend.lab_subscriptions = {"standards": {}, "products": {}}  # type: ignore[attr-defined]
        return backend.lab_subscriptions  # type: ignore[attr-defined]

    def _params(response: SecurityHubResponse) -> dict[str, Any]:
        return json.loads(response.body or "{}")

    def batch_enable_standards(self: SecurityHubResponse) -> str:
        state = _state(self.securityhub_backend)
        out = []
        for request in _params(self).get("StandardsSubscriptionRequests", []):
            arn = request["StandardsArn"]
            name = re.sub(r"^arn:aws:securityhub:[^:]*:[^:]*:(standards|ruleset)/", "", arn)
            subscription = {
                "StandardsSubscriptionArn": f"arn:aws:securityhub:{self.region}:{self.current_account}:subscription/{name}",
                "StandardsArn": arn,
                "StandardsInput": request.get("StandardsInput", {}),
                "StandardsStatus": "READY",
            }
            state["standards"][subscription["StandardsSubscriptionArn"]] = subscription
            out.append(subscription)
        return json.dumps({"StandardsSubscriptions": out})

    def get_enabled_standards(self: SecurityHubResponse) -> str:
        wanted = _params(self).get("StandardsSubscriptionArns")
        found = [
            s
            for arn, s in _state(self.securityhub_backend)["standards"].items()
            if not wanted or arn in wanted
        ]
        return json.dumps({"StandardsSubscriptions": found})

    def batch_disable_standards(self: SecurityHubResponse) -> str:
        state = _state(self.securityhub_backend)
        out = []
        for arn in _params(self).get("StandardsSubscriptionArns", []):
            subscription = state["standards"].pop(arn, None)
            if subscription:
                out.append(subscription | {"StandardsStatus": "DELETING"})
        return json.dumps({"StandardsSubscriptions": out})

    def enable_import_findings_for_product(self: SecurityHubResponse) -> str:
        product = _params(self)["ProductArn"]
        name = product.split(":product/", 1)[1]
        arn = (
            f"arn:aws:securityhub:{self.region}:{self.current_account}:product-subscription/{name}"
        )
        _state(self.securityhub_backend)["products"][arn] = product
        return json.dumps({"ProductSubscriptionArn": arn})

    def list_enabled_products_for_import(self: SecurityHubResponse) -> str:
        arns = sorted(_state(self.securityhub_backend)["products"])
        return json.dumps({"ProductSubscriptions": arns})

    def disable_import_findings_for_product(self: SecurityHubResponse) -> str:
        from urllib.parse import unquote

        arn = unquote(self.path.split("/productSubscriptions/", 1)[1])
        _state(self.securityhub_backend)["products"].pop(arn, None)
        return "{}"

    for function in (
        batch_enable_standards,
        get_enabled_standards,
        batch_disable_standards,
        enable_import_findings_for_product,
        list_enabled_products_for_import,
        disable_import_findings_for_product,
    ):
        setattr(SecurityHubResponse, function.__name__, function)

    import moto.securityhub.urls as urls

    for path in (
        "{0}/standards/register$",
        "{0}/standards/get$",
        "{0}/standards/deregister$",
        "{0}/productSubscriptions$",
        "{0}/productSubscriptions/(?P<arn>.+)$",
    ):
        urls.url_paths[path] = SecurityHubResponse.dispatch

    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self: SecurityHubBackend) -> None:
        original_disable(self)
        self.lab_subscriptions = {"standards": {}, "products": {}}  # type: ignore[attr-defined]

    SecurityHubBackend.disable_security_hub = disable_security_hub  # type: ignore[method-assign]


# AWS Security Finding Format: the attributes every imported finding must have ("AWS Security
# Finding Format (ASFF)", Security Hub User Guide, "Required top-level attributes").
ASFF_REQUIRED = (
    "AwsAccountId",
    "CreatedAt",
    "Description",
    "GeneratorId",
    "Id",
    "ProductArn",
    "Resources",
    "SchemaVersion",
    "Severity",
    "Title",
    "Types",
    "UpdatedAt",
)


def _patch_securityhub_asff_required_fields() -> None:
    """Gap: moto's BatchImportFindings checks only ``Resources``; AWS refuses a finding without any
    of the required ASFF attributes (it is counted in FailedCount with InvalidInput)."""
    original = SecurityHubBackend.batch_import_findings

    def batch_import_findings(self: SecurityHubBackend, findings: list[dict[str, Any]]) -> Any:
        valid, failed = [], []
        for finding in findings:
            missing = [k for k in ASFF_REQUIRED if k not in finding]
            if missing:
                failed.append(
                    {
                        "Id": finding.get("Id", ""),
                        "ErrorCode": "InvalidInput",
                        "ErrorMessage": f"Finding is missing required attributes: {', '.join(missing)}",
                    }
                )
            else:
                valid.append(finding)
        failed_count, success_count, failed_findings = original(self, valid)
        return failed_count + len(failed), success_count, failed_findings + failed

    SecurityHubBackend.batch_import_findings = batch_import_findings  # type: ignore[method-assign]


def _patch_s3_policy_conditions_of_a_tls_request() -> None:
    """Gap: moto evaluates a bucket policy's statements without their conditions, so the usual
    "DenyInsecureTransport" statement (Deny s3:* when ``aws:SecureTransport`` is false, AWS
    Foundational Security Best Practices S3.5) refuses every object write. On AWS every SDK, CLI
    and service delivery (CloudTrail, VPC Flow Logs, Config) speaks TLS, so that condition is never
    true; the emulator's plain HTTP on 127.0.0.1 stands in for TLS and the statement does not
    apply. Statements with any other condition are evaluated as moto does."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def insecure_only(statement: dict[str, Any]) -> bool:
        condition = statement.get("Condition") or {}
        return list(condition) == ["Bool"] and {
            k.lower(): str(v).lower() for k, v in condition["Bool"].items()
        } == {"aws:securetransport": "false"}

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        policy["Statement"] = [s for s in statements if not insecure_only(s)]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
