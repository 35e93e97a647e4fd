"""The embedded AWS account: a moto server on 127.0.0.1, in this process, with the API-call recorder.

``with EmulatorServer() as emulator:`` starts it on a free port, waits until it answers, and stops it
on exit. ``emulator.endpoints`` hands the endpoint settings to every client.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from lab.emulator import compat
from lab.emulator.actors import DEFAULT_ACCOUNT_ID
from lab.emulator.capture import Capture, Request, replay
from lab.emulator.compat import running
from lab.emulator.compat.policies import assumed_role
from lab.emulator.endpoints import Endpoints
from lab.emulator.ids import OrderFreeIds
from lab.emulator.recorder import ApiCallRecorder, wall_clock
from lab.emulator.retries import SdkRetries


class EmulatorError(RuntimeError):
    """The emulator did not start or did not answer."""


class _LabRoutes:
    """The lab's routes beside moto's (``compat.routes()``: each service module's) and health."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.routes = compat.routes()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path == "/_lab/health":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        for route in self.routes:
            if path.startswith(route.prefix + "/"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length) if length else b""
                status, content_type, answer = route.handle(path[len(route.prefix) + 1 :], body)
                start_response(status, [("Content-Type", content_type)])
                return [answer]
        return self.app(environ, start_response)


def _assumed_role_identity(access_key_id: str) -> dict[str, Any] | None:
    """CloudTrail's userIdentity for temporary credentials issued by the emulator's STS."""
    role = assumed_role(access_key_id)
    if role is not None:
        return {
            "type": "AssumedRole",
            "principalId": role.user_id,
            "arn": role.arn,
            "accountId": role.account_id,
            "accessKeyId": access_key_id,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": role.role_arn,
                    "userName": role.role_arn.rsplit("/", 1)[-1],
                },
            },
        }
    return None


class EmulatorServer:
    """A moto server on 127.0.0.1 (free port by default), with the recorder in front of it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = "us-east-1"):
        compat.apply()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.host = host
        self.port = port
        self.region = region
        self.ids = OrderFreeIds(DomainDispatcherApplication(create_backend_app))
        self.recorder = ApiCallRecorder(self.ids, account_id=DEFAULT_ACCOUNT_ID)
        self.recorder.identity_resolver = _assumed_role_identity
        self.capture = Capture(_LabRoutes(self.recorder))
        self.retries = SdkRetries(self.capture)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(url=self.url, region=self.region)

    def start(self, timeout_s: float = 10.0) -> EmulatorServer:
        """Start serving and wait until the health check answers."""
        if self._server is not None:
            return self
        try:
            self._server = make_server(
                self.host,
                self.port,
                self.retries,
                threaded=True,
                request_handler=MotoRequestHandler,
            )
        except SystemExit as exc:  # werkzeug exits the process when the port is taken
            raise EmulatorError(f"cannot listen on {self.host}:{self.port} (port in use?)") from exc
        self.port = self._server.server_port
        self.ids.address = f"{self.host}:{self.port}".encode()
        running.started(self.url, self.recorder)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lab-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.healthy():
            if time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(
                    f"the emulator at {self.url} did not answer within {timeout_s}s"
                )
            time.sleep(0.05)
        self._warm_up()
        return self

    def _warm_up(self) -> None:
        """Open a throwaway account once. moto draws from its seeded random stream while it builds
        a service's first backend in a process (state it caches afterwards), so the first account a
        process opened had other ids (its default VPC, its subnets) than every later one: a worker
        that opened its account twice (a resumed deploy) differed from one that opened it once."""
        self.reset()
        self.open_account(0)
        self.reset()

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            running.stopped(self.url, self.recorder)
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_lab/health", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def reset(self) -> None:
        """Forget every resource and every record: a fresh account."""
        from moto.core.base_backend import BackendDict

        self.ids.seed(0)  # what the reset makes anew (default VPCs...) gets the same ids each time
        loaded = list(BackendDict._instances)  # type: ignore[attr-defined]
        self._post("/moto-api/reset")
        # moto's reset re-initialises each loaded backend before dropping it, and a backend whose
        # __init__ asks for another service's (autoscaling asks for EC2's) makes that one again
        # after it was dropped: the next account then had EC2's default VPC from the reset's random
        # stream instead of its own first use, and ids that differ from a fresh process's. Dropped
        # here, an account opened after a reset is the one a fresh process opens (a worker that
        # runs several units gives the results of one process per unit).
        for backends in loaded:
            backends.clear()
        BackendDict._instances.clear()  # type: ignore[attr-defined]
        self.recorder.forget()
        self.retries.forget()
        self.recorder.clock = wall_clock  # a simulation may have left its virtual clock

    def forget_log_events(self) -> None:
        """Drop every log stream of every log group (and every Logs Insights query), keeping the
        groups and their configuration (metric filters, subscriptions, retention, keys).

        Log events are what a simulation writes (the trail's delivery, the agents), never a deploy
        or a technique. Each trial runs on a virtual clock of its own, and trials in one account
        overlap in virtual time (each technique's trial k is drawn in the same week): events a trial
        before it wrote fell inside a later trial's windows, so a person's ``filter-log-events``
        found another technique's calls, and which ones depended on the techniques a split
        worker had taken before (``lab.experiment.trial.run_trial`` calls this first)."""
        from moto.logs.models import logs_backends

        with self.ids.exclusive():  # no request is half-way through a stream
            for regions in logs_backends.values():
                for backend in regions.values():
                    backend.queries.clear()
                    for group in backend.groups.values():
                        group.streams.clear()

    def forget_terminated_instances(self) -> None:
        """Drop the instances terminated so far (and reservations left empty). AWS shows a
        terminated instance for a while ("usually less than one hour", DescribeInstances) and then
        no more; moto keeps it for good, so a technique that enumerates the account's instances
        (ec2-get-password-data, ec2-get-user-data) called each one every technique before it had
        terminated. A trial starts days after the trials before it on the scenario's calendar:
        theirs are long gone (``lab.experiment.trial.run_trial`` calls this first)."""
        from moto.ec2.models import ec2_backends

        with self.ids.exclusive():
            for regions in ec2_backends.values():
                for backend in regions.values():
                    for reservation_id, reservation in list(backend.reservations.items()):
                        reservation.instances = [
                            i for i in reservation.instances if i.state != "terminated"
                        ]
                        if not reservation.instances:
                            del backend.reservations[reservation_id]

    def restore_alarm_states(self) -> None:
        """Put every alarm back in the state it was created in (its first state in its history),
        its history emptied. A simulation sets the states (``lab.sim.alarms``) and a trial starts
        from the state an alarm has in the account: an alarm a trial before it left in ALARM
        (another technique's, in a split worker's account or not) made this trial's first
        evaluation an ALARM -> OK of its own, and would have kept an attack's datapoint from
        raising it (``lab.experiment.trial.run_trial`` calls this first)."""
        from moto.cloudwatch.models import cloudwatch_backends

        with self.ids.exclusive():
            for regions in cloudwatch_backends.values():
                for backend in regions.values():
                    for alarm in backend.alarms.values():
                        if alarm.history:  # moto's: ("StateUpdate", the state before) per change
                            _, reason, reason_data, value, moment = alarm.history[0]
                            alarm.state_reason, alarm.state_reason_data = reason, reason_data
                            alarm.state_value, alarm.state_updated_timestamp = value, moment
                            alarm.history = []

    # Services whose account state moto makes on first use, some of it with random ids (EC2's
    # default VPC, subnets and security group; IAM's managed policies): touched in this order.
    _MADE_ON_FIRST_USE = (
        ("ec2", "describe_vpcs", {}),
        ("iam", "list_policies", {"MaxItems": 1}),
        ("sts", "get_caller_identity", {}),
    )

    def open_account(self, seed: int) -> None:
        """Seed the ids and make what the account has from the start, by the same requests in the
        same order every time, so that its ids do not depend on which request came first."""
        self.seed(seed)
        for service, operation, params in self._MADE_ON_FIRST_USE:
            getattr(self.endpoints.client(service, "observer"), operation)(**params)

    def seed(self, seed: int) -> None:
        """Seed moto's id generator so resource ids repeat from run to run (whatever order the
        requests come in, see ``ids.py``)."""
        self._post(f"/moto-api/seed?a={int(seed)}")
        self.ids.seed(int(seed))
        self.recorder.seed_ids(int(seed))

    def replay(self, requests: list[Request], rewrite: dict[str, str]) -> None:
        """Send captured ``requests`` again, in process and in order (``capture.replay``), each
        ``old -> new`` of ``rewrite`` applied first (the URL of the emulator that captured them)."""
        pairs = sorted(
            ((old.encode(), new.encode()) for old, new in rewrite.items() if old != new),
            key=lambda pair: -len(pair[0]),
        )

        def adapt(data: bytes) -> bytes:
            for old, new in pairs:
                data = data.replace(old, new)
            return data

        replay(self.capture.app, requests, adapt)

    def _post(self, path: str) -> None:
        """A control request (reset, seed). It waits its turn behind the request being served
        (``ids`` serves one at a time): on a loaded machine a reset after a large deploy took
        more than 10 s, hence the minute."""
        request = urllib.request.Request(f"{self.url}{path}", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status >= 300:
                raise EmulatorError(f"POST {path} answered {response.status}")

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
