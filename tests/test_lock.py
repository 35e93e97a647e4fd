"""The lock as the lab reads it: pins with their environment markers, and what an installed set
does differently (what `lab run` warns about and the manifest records)."""

import hashlib

from lab.lock import LOCK_FILE, compare, installed_versions, lock_state, pins

LOCK = """\
# comment
moto[server]==5.2.5 \\
    --hash=sha256:aa
appnope==1.0.0 ; sys_platform == 'darwin' \\
    --hash=sha256:bb
Jinja2==3.1.6 \\
    --hash=sha256:cc
"""


def test_pins_read_names_versions_and_markers():
    assert pins(LOCK) == {"moto": "5.2.5", "appnope": "1.0.0", "jinja2": "3.1.6"}
    assert "appnope" not in pins(LOCK, here=True)  # a macOS package, not this platform's


def test_what_the_installed_set_does_differently_is_named():
    assert compare({"moto": "5.2.5", "boto3": "1.44.18"}, {"moto": "5.2.6"}) == (
        "boto3 1.44.18 locked, not installed",
        "moto 5.2.6 installed, 5.2.5 locked",
    )


def test_this_venv_is_the_lock_s_and_its_digest_is_the_file_s():
    state = lock_state()
    assert state.sha256 == hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()
    assert state.differs == ()
    locked = pins(LOCK_FILE.read_text(), here=True)
    assert installed_versions()["moto"] == locked["moto"]
