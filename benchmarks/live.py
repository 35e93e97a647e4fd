"""A live lab at a class's speed (`make bench-live`): how long the class waits, on the wall clock,
from the detonate button to each architecture's fix, and whether the simulated clock keeps the
speed asked for (simulated seconds / wall seconds).

Both architectures deployed by `lab live` (each in its own emulated account, the simulated on-call
person on the manual side); each technique detonated on both at once, then reverted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lab.live.session import LiveSession

TECHNIQUES = ["ec2-sg-open-ssh", "ec2-ssh-brute-force", "s3-bucket-public-acl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=300.0, help="wall seconds per technique")
    parser.add_argument("techniques", nargs="*", default=TECHNIQUES)
    args = parser.parse_args()
    console = Console(width=140)
    with tempfile.TemporaryDirectory() as work:
        session = LiveSession(["manual", "serverless"], args.speed, Path(work))
        with session:
            started = time.monotonic()
            session.start(progress=console.print)
            table = Table(title=f"lab live --speed {args.speed:g}: detonate -> fixed")
            for column in ("technique", "architecture", "wall s", "simulated s", "sim/wall", "by"):
                table.add_column(
                    column, justify="left" if column in ("technique", "by") else "right"
                )
            console.print(f"both accounts up in {time.monotonic() - started:.0f} s")
            for technique in args.techniques:
                seq = len(session.events)
                detonated = time.monotonic()
                session.detonate(technique)
                fixed: dict[str, tuple[float, dict]] = {}
                while len(fixed) < 2 and time.monotonic() - detonated < args.timeout:
                    for event in session.events_since(seq):
                        seq = event["seq"] + 1
                        if event["kind"] == "technique.remediated":
                            fixed[event["architecture"]] = (time.monotonic() - detonated, event)
                    time.sleep(0.05)
                for arm in ("serverless", "manual"):
                    if arm not in fixed:
                        table.add_row(
                            technique, arm, f"> {args.timeout:.0f}", "-", "-", "not fixed"
                        )
                        continue
                    wall, event = fixed[arm]
                    table.add_row(
                        technique,
                        arm,
                        f"{wall:.1f}",
                        f"{event['after_s']:.0f}",
                        f"{event['after_s'] / wall:.1f}",
                        event["source"],
                    )
                session.revert(technique)
                time.sleep(2)
            console.print(table)


if __name__ == "__main__":
    main()
