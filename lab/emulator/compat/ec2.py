"""EC2: DescribeSnapshots' OwnerIds and RestorableByUserIds; ModifySnapshotAttribute's
CreateVolumePermission structure; RunInstances' user data limit, instance profiles that IAM has
not yet propagated, and instance types the subnet's Availability Zone does not offer."""

from __future__ import annotations

from typing import Any

from lab.emulator import elapsed

USER_DATA_LIMIT = 16384  # bytes, before base64
# How long (wall clock) a new or changed instance profile is unknown to EC2. AWS gives no figure
# ("changes ... take time to become visible"); a short window keeps every deploy honest about it
# without slowing the lab, and a caller that retries as AWS advises passes either way.
PROPAGATION_S = 2.0


def apply() -> None:
    _patch_describe_snapshots_owner_and_restorable_by()
    _patch_create_volume_permission_structure()
    _patch_user_data_limit()
    _patch_instance_profile_propagation()
    _patch_instance_type_offered_in_zone()


def _patch_instance_type_offered_in_zone() -> None:
    """Gap: moto launches any instance type in any zone. AWS refuses RunInstances in a zone that
    does not offer the type (EC2 User Guide, "Troubleshoot instance launch issues", "Unsupported":
    "Your requested instance type (t3.micro) is not supported in your requested Availability Zone";
    which zones offer a type: DescribeInstanceTypeOfferings, whose data moto ships). us-east-1e,
    for one, offers no t3."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, *args: Any, **kw: Any):
        subnet_id, instance_type = kw.get("subnet_id"), kw.get("instance_type") or "m1.small"
        zone = kw.get("placement")
        if subnet_id and not zone:
            zone = self.get_subnet(subnet_id).availability_zone
        if zone:
            offered = {
                o["Location"]
                for o in self.describe_instance_type_offerings(
                    "availability-zone", {"instance-type": [instance_type]}
                )
            }
            if offered and zone not in offered:
                raise EC2ClientError(
                    "Unsupported",
                    f"Your requested instance type ({instance_type}) is not supported in your "
                    f"requested Availability Zone ({zone}). Please retry your request by not "
                    "specifying an Availability Zone or choosing "
                    f"{', '.join(sorted(offered))}.",
                )
        return original(self, image_id, count, user_data, *args, **kw)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _patch_instance_profile_propagation() -> None:
    """Gap: moto lets RunInstances use an instance profile the moment it exists. IAM is eventually
    consistent (IAM User Guide, "Troubleshoot IAM": "Changes that I make are not always immediately
    visible"; EC2 User Guide, IAM roles: a profile used right after it is created can fail with
    "Invalid IAM Instance Profile name"). The emulator refuses a profile created, or given its role,
    less than ``PROPAGATION_S`` ago with that error; callers wait and retry, as AWS advises."""
    from moto.ec2.exceptions import InvalidParameterValue
    from moto.ec2.models.instances import InstanceBackend
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import IAMBackend, iam_backends

    def stamped(method: Any, profile_of: Any) -> Any:
        def wrapper(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            profile_of(self, result, *args, **kwargs).lab_changed_at = elapsed.now()
            return result

        return wrapper

    IAMBackend.create_instance_profile = stamped(  # type: ignore[method-assign]
        IAMBackend.create_instance_profile, lambda self, result, *a, **k: result
    )
    IAMBackend.add_role_to_instance_profile = stamped(  # type: ignore[method-assign]
        IAMBackend.add_role_to_instance_profile,
        lambda self, result, profile_name, *a, **k: self.get_instance_profile(profile_name),
    )
    original = InstanceBackend.run_instances

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, *args: Any, **kw: Any):
        name, arn = kw.get("iam_instance_profile_name"), kw.get("iam_instance_profile_arn")
        if name or arn:
            iam = iam_backends[self.account_id]["global"]
            try:
                profile = (
                    iam.get_instance_profile(name) if name else iam.get_instance_profile_by_arn(arn)
                )
            except NotFoundException:
                profile = None  # moto's own check answers
            changed = getattr(profile, "lab_changed_at", None)
            if changed is not None and elapsed.now() - changed < PROPAGATION_S:
                raise InvalidParameterValue(
                    f"Value ({name or arn}) for parameter iamInstanceProfile.name is invalid. "
                    "Invalid IAM Instance Profile name"
                )
        return original(self, image_id, count, user_data, *args, **kw)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _patch_user_data_limit() -> None:
    """Gap: moto accepts user data of any size. AWS refuses RunInstances whose user data exceeds
    16 KB in raw form, before base64 encoding: InvalidParameterValue "User data is limited to 16384
    bytes" (EC2 User Guide, "Run commands when you launch an EC2 instance with user data input":
    "User data is limited to 16 KB, in raw form, before it is base64-encoded")."""
    import base64

    from moto.ec2.exceptions import InvalidParameterValue
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, *args: Any, **kw: Any):
        if user_data is not None:
            raw = base64.b64decode(str(user_data._encoded_string))
            if len(raw) > USER_DATA_LIMIT:
                raise InvalidParameterValue(f"User data is limited to {USER_DATA_LIMIT} bytes")
        return original(self, image_id, count, user_data, *args, **kw)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _patch_create_volume_permission_structure() -> None:
    """Gap: moto reads only the older form of ModifySnapshotAttribute (``OperationType`` with
    ``UserId.N`` / ``UserGroup.N``) and silently ignores ``CreateVolumePermission.Add.N.Group``,
    the form the SDKs and Stratus Red Team use (EC2 API Reference, ModifySnapshotAttribute: "A JSON
    representation of the snapshot attribute modification"), so a snapshot made public that way
    stayed private here. Both forms act; the answer says ``<return>true</return>`` as EC2's does."""
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    original = ElasticBlockStore.modify_snapshot_attribute

    def modify_snapshot_attribute(self: ElasticBlockStore) -> Any:
        changes: dict[str, dict[str, list[str]]] = {}
        for key, values in self.querystring.items():
            parts = key.split(".")
            if len(parts) == 4 and parts[0] == "CreateVolumePermission":
                kind = "groups" if parts[3] == "Group" else "user_ids"
                changes.setdefault(parts[1].lower(), {}).setdefault(kind, []).extend(values)
        if not changes:
            original(self)
        else:
            self.error_on_dryrun()
            snapshot_id = self._get_param("SnapshotId")
            for operation, who in changes.items():
                act = (
                    self.ec2_backend.add_create_volume_permission
                    if operation == "add"
                    else self.ec2_backend.remove_create_volume_permission
                )
                act(snapshot_id, user_ids=who.get("user_ids", []), groups=who.get("groups", []))
        return (
            '<ModifySnapshotAttributeResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            "<requestId>request-id</requestId><return>true</return>"
            "</ModifySnapshotAttributeResponse>"
        )

    ElasticBlockStore.modify_snapshot_attribute = modify_snapshot_attribute  # type: ignore[method-assign]


def _patch_describe_snapshots_owner_and_restorable_by() -> None:
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
