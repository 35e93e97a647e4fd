"""The console in a real browser (headless Chromium from Debian, driven by Selenium): a finished
run replayed, and a live lab attacked, alerted and fixed, by the Lambda on one side and by a student
with the aws CLI on the other."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from lab.console.diagrams import diagram, node_for
from tests.lab_command import LAB

CHROMIUM = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LAB_CHROMEDRIVER", "/usr/bin/chromedriver")
# As the machine's probe starts it: without the background-networking flags Chromium keeps trying
# hosts a closed network refuses.
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1000",
]
SCREENSHOTS = (
    Path(os.environ.get("LAB_SCREENSHOTS", "")) if os.environ.get("LAB_SCREENSHOTS") else None
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"{CHROMIUM} / {CHROMEDRIVER} missing: `make browser` installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lab(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*LAB, *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the console stopped: {log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"no console at {url} after {timeout_s} s: {log.read_text()[-3000:]}")


def _order(driver, arm: str, node: str) -> int:
    found = driver.find_elements(By.CSS_SELECTOR, f"#node-{arm}-{node}[data-order]")
    assert found, f"{arm}: node {node} never lit"
    return int(found[0].get_attribute("data-order"))


def _shot(driver, tmp_path: Path, name: str) -> Path:
    path = (SCREENSHOTS or tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a page was drawn, not a blank
    return path


def test_events_light_the_nodes_the_diagram_file_names():
    assert node_for({"kind": "technique.detonated"}) == "C"
    assert node_for({"kind": "logs.ingested", "source": "agent:i-1"}) == "B"
    assert node_for({"kind": "logs.ingested", "source": "cloudtrail:lab-trail"}) == "G"
    assert node_for({"kind": "cloudwatch.alarm_state", "new_state": "OK"}) is None
    assert node_for({"kind": "api_call", "actor": "monitor"}) is None
    manual = {n["id"] for n in diagram("manual")["nodes"]}
    assert "Q" not in manual and "cron" in manual  # no Lambda in the manual architecture
    with pytest.raises(KeyError, match="known: manual, serverless"):
        diagram("hybrid")


def test_console_refuses_a_folder_that_is_not_a_run(tmp_path):
    answer = subprocess.run([*LAB, "console", str(tmp_path)], capture_output=True, text=True)
    assert answer.returncode == 2
    assert "not a run folder" in answer.stderr + answer.stdout


def test_replay_of_a_finished_run_lights_the_path_in_order(browser, tmp_path):
    scenario = tmp_path / "replay.yaml"
    scenario.write_text(
        "name: replay\ndescription: one trial for the console\nseed: 7\ntrials: 1\n"
        "techniques: [ec2-sg-open-ssh]\narchitectures:\n  manual: {}\n"
        "operator: soc-24x7\nmax_trial_s: 86400\n"
    )
    subprocess.run(
        [
            *LAB,
            "run",
            str(scenario),
            "--out",
            str(tmp_path / "out"),
            "--no-report",
        ],
        check=True,
        capture_output=True,
    )
    (run_dir,) = (tmp_path / "out" / "replay").iterdir()
    port = _port()
    log = tmp_path / "console.log"
    console = _lab("console", str(run_dir), "--port", str(port), log=log)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/info", console, log, 60)
        browser.get(f"http://127.0.0.1:{port}/")
        WebDriverWait(browser, 30).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready")
        )
        # Loaded, not played: the clock is just before the attack, not a time after it.
        assert browser.find_element(By.ID, "clock").text == "t = 5.0 s before the attack"
        Select(browser.find_element(By.ID, "speed")).select_by_value("3600")
        browser.find_element(By.ID, "play").click()
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#node-manual-L.fixed")
        )
        # API call -> cron detector -> SNS -> the person -> fixed, in that order.
        orders = [_order(browser, "manual", n) for n in ("C", "cron", "N", "S", "L")]
        assert orders == sorted(orders)
        inbox = browser.find_element(By.ID, "inbox").text
        assert "open to the Internet" in inbox
        trials = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/trials").read())
        row = trials[0]["arms"]["manual"]
        assert row["outcome"] == "remediated"
        assert row["remediated_by"] in browser.find_element(By.ID, "outcome").text
        browser.find_elements(By.CSS_SELECTOR, "#timeline li")[0].click()
        assert json.loads(browser.find_element(By.ID, "raw").text)["architecture"] == "manual"
        _shot(browser, tmp_path, "console-replay.png")
    finally:
        console.terminate()
        console.wait(20)


def test_live_lab_attack_alert_and_fix_by_lambda_and_by_a_student(browser, tmp_path):
    port = _port()
    log = tmp_path / "live.log"
    live = _lab(
        "live",
        "--exercise",
        "--speed",
        "120",
        "--port",
        str(port),
        "--workdir",
        str(tmp_path / "live"),
        "--minutes",
        "15",
        log=log,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/info", live, log, 600)
        info = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info").read())
        browser.get(f"http://127.0.0.1:{port}/")
        WebDriverWait(browser, 30).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready")
        )
        Select(browser.find_element(By.ID, "technique")).select_by_value("ec2-sg-open-ssh")
        browser.find_element(By.ID, "player").send_keys("alice")
        browser.find_element(By.ID, "detonate").click()
        # The serverless stack: CloudTrail -> EventBridge -> Lambda -> fixed, without anyone.
        WebDriverWait(browser, 120).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#node-serverless-L.fixed")
        )
        orders = [_order(browser, "serverless", n) for n in ("C", "D", "P", "Q", "L")]
        assert orders == sorted(orders)
        # The manual one: the cron detector's e-mail reaches the inbox and waits for the student.
        WebDriverWait(browser, 120).until(
            lambda d: re.search(
                r"manual.*(sg-[0-9a-f]+) open to the Internet", d.find_element(By.ID, "inbox").text
            )
        )
        _shot(browser, tmp_path, "console-live-alert.png")
        # The attack's own CloudTrail record, whole, behind its line of the timeline.
        record_line = next(
            li
            for li in browser.find_elements(By.CSS_SELECTOR, "#timeline li")
            if "cloudtrail.record" in li.text and "AuthorizeSecurityGroupIngress" in li.text
        )
        record_line.click()
        raw = json.loads(browser.find_element(By.ID, "raw").text)["record"]
        assert raw["eventSource"] == "ec2.amazonaws.com"
        assert raw["userIdentity"]["type"] == "IAMUser" and raw["requestParameters"]
        assert not browser.find_elements(By.CSS_SELECTOR, "#node-manual-L.fixed")
        group = re.search(
            r"manual.*(sg-[0-9a-f]+) open", browser.find_element(By.ID, "inbox").text
        )[1]
        # The student fixes it with the aws CLI, as the on-call person, from the console's lines.
        exports = dict(
            re.findall(r"export (\w+)=(.*)", info["accounts"]["manual"]["exports"]["operator"])
        )
        env = {**os.environ, **{k: v.strip("'") for k, v in exports.items()}}
        subprocess.run(
            [
                "aws",
                "ec2",
                "revoke-security-group-ingress",
                "--group-id",
                group,
                "--protocol",
                "tcp",
                "--port",
                "22",
                "--cidr",
                "0.0.0.0/0",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#node-manual-L.fixed")
        )
        assert "by student" in browser.find_element(By.ID, "diagram-manual").text
        WebDriverWait(browser, 30).until(
            lambda d: "alice" in d.find_element(By.ID, "scoreboard").text
        )
        score = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/scoreboard").read())
        assert score[0]["player"] == "alice" and score[0]["technique"] == "ec2-sg-open-ssh"
        assert 0 < score[0]["automation_s"] < score[0]["student_s"]
        _shot(browser, tmp_path, "console-live-fixed.png")
    finally:
        live.terminate()
        live.wait(60)


def test_live_refuses_bad_input_before_deploying_anything(tmp_path):
    def live(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*LAB, "live", "--workdir", str(tmp_path / "w"), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert "unknown architecture" in live("-a", "hybrid").stderr
    assert "--speed must be positive" in live("--speed", "0").stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        answer = live("--port", str(busy.getsockname()[1]))
    assert answer.returncode == 2 and "in use" in answer.stderr
    assert not (tmp_path / "w").exists()  # nothing deployed, nothing written
