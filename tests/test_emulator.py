import socket
import urllib.request

import pytest

from lab.emulator import EmulatorError, EmulatorServer


def test_starts_on_a_free_port_answers_and_stops():
    with EmulatorServer() as server:
        assert server.port > 0
        assert server.healthy()
        identity = server.endpoints.client("sts").get_caller_identity()
        assert identity["Account"] == "123456789012"
        url = server.url
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/_lab/health", timeout=1)


def test_port_in_use_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(EmulatorError, match="port in use"):
            EmulatorServer(port=busy.getsockname()[1]).start()


def test_reset_forgets_resources(emulator):
    sns = emulator.endpoints.client("sns")
    sns.create_topic(Name="forget-me")
    emulator.reset()
    assert sns.list_topics()["Topics"] == []
    assert emulator.recorder.records()[-1]["eventName"] == "ListTopics"


def test_export_lines_point_the_cli_at_the_emulator(emulator):
    lines = emulator.endpoints.export_lines("attacker")
    assert f"export AWS_ENDPOINT_URL={emulator.url}" in lines
    assert "export AWS_ACCESS_KEY_ID=AKIALABATTACKER00001" in lines
