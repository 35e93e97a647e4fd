"""An instance's user data as the instance reads it: DescribeInstanceAttribute's base64 value,
gunzipped when it is gzip-compressed (cloud-init accepts gzip user data, which is how the manual
baseline fits its bootstrap under EC2's 16 KB limit)."""

from __future__ import annotations

import base64
import gzip
from typing import Any

GZIP_MAGIC = b"\x1f\x8b"


def decode_user_data(encoded: str | None) -> str | None:
    """The text of base64 user data (gunzipped if compressed); None if there is none."""
    if not encoded:
        return None
    raw = base64.b64decode(encoded)
    if raw.startswith(GZIP_MAGIC):
        raw = gzip.decompress(raw)
    return raw.decode(errors="replace")


def read_user_data(ec2: Any, instance_id: str) -> str | None:
    """``instance_id``'s user data text, read back from the account."""
    attribute = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    return decode_user_data((attribute.get("UserData") or {}).get("Value"))
