"""Resource ids from the emulator depend on what was asked, not on the order it was asked in (a
deploy's parallel apply changes the order from run to run)."""

from concurrent.futures import ThreadPoolExecutor

from lab.emulator import EmulatorServer


def _groups(emulator: EmulatorServer, names: list[str], parallel: bool = False) -> dict[str, str]:
    ec2 = emulator.endpoints.client("ec2", "terraform")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]

    def create(name: str) -> tuple[str, str]:
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)
        return name, group["GroupId"]

    if parallel:
        with ThreadPoolExecutor(max_workers=4) as pool:
            return dict(pool.map(create, names))
    return dict(map(create, names))


def _fresh(emulator: EmulatorServer, seed: int) -> None:
    emulator.reset()
    emulator.seed(seed)


def test_the_same_requests_in_any_order_get_the_same_ids(emulator):
    # moto draws more the first time a process makes an EC2 backend (its caches fill): a run's
    # worker always starts that way; here every compared account is made after the first.
    _fresh(emulator, 7)
    emulator.endpoints.client("ec2").describe_vpcs()
    names = [f"lab-order-{k}" for k in range(8)]
    _fresh(emulator, 7)
    forwards = _groups(emulator, names)
    _fresh(emulator, 7)
    backwards = _groups(emulator, names[::-1])
    _fresh(emulator, 7)
    concurrent = _groups(emulator, names, parallel=True)
    assert forwards == backwards == concurrent
    assert len(set(forwards.values())) == len(names)  # distinct requests, distinct ids
    _fresh(emulator, 8)
    assert _groups(emulator, names) != forwards  # another seed, other ids


def test_identical_requests_get_distinct_ids_and_tokens_do_not_count(emulator):
    emulator.seed(3)
    ec2 = emulator.endpoints.client("ec2", "terraform")
    first, second = (
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, ClientToken=token)["VolumeId"]
        for token in ("token-a", "token-b")
    )
    assert first != second
    emulator.reset()
    emulator.seed(3)
    ec2 = emulator.endpoints.client("ec2", "terraform")
    again = [
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, ClientToken=token)["VolumeId"]
        for token in ("other-1", "other-2")  # SDKs fill tokens with random or time-based values
    ]
    assert again == [first, second]


def _query_log_config(emulator: EmulatorServer) -> str:
    emulator.reset()
    emulator.seed(4)
    resolver = emulator.endpoints.client("route53resolver", "baseline")
    config = resolver.create_resolver_query_log_config(  # CreatorRequestId: the SDK's own UUID
        Name="lab-dns", DestinationArn="arn:aws:logs:us-east-1:123456789012:log-group:dns"
    )
    return config["ResolverQueryLogConfig"]["Id"]


def test_idempotency_tokens_the_sdk_fills_whatever_their_name_do_not_count(emulator):
    """botocore fills every parameter its models mark ``idempotencyToken`` with a random UUID
    (here Route 53 Resolver's ``CreatorRequestId``): two runs got two ids."""
    _query_log_config(emulator)  # a process's first backend draws more (see above)
    assert _query_log_config(emulator) == _query_log_config(emulator)


def _message_id(emulator: EmulatorServer) -> str:
    emulator.reset()
    emulator.seed(5)
    sqs = emulator.endpoints.client("sqs")
    url = sqs.create_queue(QueueName="lab-ids")["QueueUrl"]  # holds the server's address
    return sqs.send_message(QueueUrl=url, MessageBody="x")["MessageId"]


def test_ids_do_not_depend_on_the_port_the_emulator_listens_on(session_emulator):
    """Every worker's emulator listens on a free port of its own, which queue URLs name: a
    request naming one gets the same ids on any port (a kept deploy replays on another)."""
    first = _message_id(session_emulator)
    with EmulatorServer() as other:
        assert other.port != session_emulator.port
        assert _message_id(other) == first
