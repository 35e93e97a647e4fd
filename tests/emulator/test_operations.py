from lab.emulator.operations import query_to_nested, resolve


def test_ec2_lists_are_items():
    pairs = [
        ("Action", "X"),
        ("GroupId", "sg-1"),
        ("IpPermissions.1.IpProtocol", "tcp"),
        ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0"),
        ("IpPermissions.1.IpRanges.2.CidrIp", "10.0.0.0/8"),
    ]
    assert query_to_nested(pairs, ec2_style=True) == {
        "groupId": "sg-1",
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": "tcp",
                    "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}, {"cidrIp": "10.0.0.0/8"}]},
                }
            ]
        },
    }


def test_query_member_lists_are_plain_lists():
    pairs = [("Tags.member.1.Key", "a"), ("Tags.member.2.Key", "b"), ("UserName", "u")]
    assert query_to_nested(pairs, ec2_style=False) == {
        "tags": [{"key": "a"}, {"key": "b"}],
        "userName": "u",
    }


def test_unsigned_request_is_not_an_aws_call():
    assert resolve("GET", "/", "", {}, b"") is None


def test_unknown_signing_name_is_ignored():
    auth = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/no-such-service/aws4_request"
    assert resolve("POST", "/", "", {"authorization": auth}, b"") is None
