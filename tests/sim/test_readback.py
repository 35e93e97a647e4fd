"""Read-back caches: re-read after a write to their services (whoever makes it), not after reads,
writes elsewhere or the reader's own writes; GuardDuty's sliding window counts as a full recount."""

from collections import deque

from hypothesis import given
from hypothesis import strategies as st

from lab.sim.guardduty import _Window
from lab.sim.readback import Readback


def test_reads_again_only_after_a_write_to_its_services(emulator):
    sns = emulator.endpoints.client("sns", "harness")
    reads = []

    def read():
        reads.append(1)
        return sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])

    topics = Readback(emulator.recorder, {"sns.amazonaws.com"})
    assert topics.get(read) == []
    sns.list_topics()  # a read: nothing changed
    emulator.endpoints.client("sqs", "harness").create_queue(QueueName="elsewhere")
    assert topics.get(read) == [] and len(reads) == 1
    arn = sns.create_topic(Name="written")["TopicArn"]
    assert topics.get(read) == [arn] and len(reads) == 2


def test_own_write_keeps_what_was_read_other_writes_do_not(emulator):
    sns = emulator.endpoints.client("sns", "harness")
    arn = sns.create_topic(Name="own")["TopicArn"]
    reads = []

    def read():
        reads.append(1)
        return sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"]

    names = Readback(emulator.recorder, {"sns.amazonaws.com"})
    assert names.get(read, arn) == ""
    with names.own_write():
        sns.publish(TopicArn=arn, Message="changes no attribute")
    assert names.get(read, arn) == "" and len(reads) == 1
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="x")
    assert names.get(read, arn) == "x" and len(reads) == 2


@given(
    st.lists(
        st.tuples(st.floats(0, 50, allow_nan=False), st.integers(1, 30)), min_size=1, max_size=60
    ),
    st.floats(1, 100, allow_nan=False),
)
def test_window_counts_as_a_full_recount(steps, window_s):
    window, times, ports, t = _Window(), deque(), {}, 0.0
    for gap, port in steps:
        t += gap
        got = window.add(t, port, window_s)
        times.append(t)
        ports[port] = t
        expected = (
            sum(1 for x in times if x >= t - window_s),
            sum(1 for x in ports.values() if x >= t - window_s),
        )
        assert got == expected
