"""EC2 serial console: the account setting (EnableSerialConsoleAccess, DisableSerialConsoleAccess,
GetSerialConsoleAccessStatus) and SendSerialConsoleSSHPublicKey, which moto does not implement."""

from __future__ import annotations

import json


def apply() -> None:
    _patch_serial_console()


def _access(backend: object) -> bool:
    return bool(getattr(backend, "lab_serial_console_access", False))


def _patch_serial_console() -> None:
    """Gap: moto has no EC2 serial console. Implemented as the EC2 and EC2 Instance Connect API
    References document it: serial console access is an account setting per Region, disabled by
    default; SendSerialConsoleSSHPublicKey is refused while it is disabled
    (SerialConsoleAccessDisabledException), for an instance that does not exist
    (EC2InstanceNotFoundException) or is not running (EC2InstanceStateInvalidException), and for
    instance types that are not built on the Nitro System (EC2InstanceTypeInvalidException; the lab
    counts the Xen-based previous generations t1, t2, m1-m4, c1, c3, c4, r3, r4, x1, i2, d2, p2, g3)."""
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.ec2.models import ec2_backends
    from moto.ec2.responses import EC2Response
    from moto.ec2instanceconnect.responses import Ec2InstanceConnectResponse
    from moto.moto_api._internal import mock_random

    xen = ("t1.", "t2.", "m1.", "m2.", "m3.", "m4.", "c1.", "c3.", "c4.", "r3.", "r4.", "x1.")
    xen += ("i2.", "d2.", "p2.", "g3.")

    def setting(enabled: bool | None):
        def call(self: EC2Response) -> ActionResult:
            if enabled is not None:
                self.ec2_backend.lab_serial_console_access = enabled
            answer = {"SerialConsoleAccessEnabled": _access(self.ec2_backend)}
            if enabled is None:
                answer["ManagedBy"] = "account"
            return ActionResult(answer)

        return call

    def send_serial_console_ssh_public_key(self: Ec2InstanceConnectResponse) -> str:
        instance_id = self._get_param("InstanceId")
        ec2 = ec2_backends[self.current_account][self.region]
        if not _access(ec2):
            raise JsonRESTError(
                "SerialConsoleAccessDisabledException",
                "Your requested instance type is not supported or Serial Console Access is "
                "disabled for this account",
            )
        try:
            instance = ec2.get_instance(instance_id)
        except Exception as error:
            raise JsonRESTError(
                "EC2InstanceNotFoundException", f"Instance {instance_id} not found"
            ) from error
        if instance.state != "running":
            raise JsonRESTError(
                "EC2InstanceStateInvalidException", f"Instance {instance_id} is not running"
            )
        if instance.instance_type.startswith(xen):
            raise JsonRESTError(
                "EC2InstanceTypeInvalidException",
                f"Instance type {instance.instance_type} is not built on the Nitro System",
            )
        return json.dumps({"RequestId": str(mock_random.uuid4()), "Success": True})

    EC2Response.enable_serial_console_access = setting(True)  # type: ignore[attr-defined]
    EC2Response.disable_serial_console_access = setting(False)  # type: ignore[attr-defined]
    EC2Response.get_serial_console_access_status = setting(None)  # type: ignore[attr-defined]
    Ec2InstanceConnectResponse.send_serial_console_ssh_public_key = (  # type: ignore[attr-defined]
        send_serial_console_ssh_public_key
    )
