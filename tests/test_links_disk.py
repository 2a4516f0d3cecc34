"""A full disk under the link store: the real ENOSPC of a 1 MiB tmpfs, mounted in a private
mount namespace (unshare) so nothing outside the test sees it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TMPFS_SIZE = "1m"

pytestmark = pytest.mark.slow


def test_a_full_disk_answers_503_and_harms_nothing(tmp_path):
    if shutil.which("unshare") is None:
        raise RuntimeError("unshare (util-linux) is needed to mount a private tmpfs")
    folder = tmp_path / "disk"
    folder.mkdir()
    # As root a mount namespace is enough; otherwise a user namespace maps us to root in it.
    namespace = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        namespace.insert(1, "--map-root-user")
    script = (f"mount -t tmpfs -o size={TMPFS_SIZE} tmpfs '{folder}' && "
              f"exec '{sys.executable}' '{HERE / 'links_full_disk.py'}' '{folder}'")
    done = subprocess.run([*namespace, "sh", "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["acked"] >= 5, result  # the disk held some links before it was full
    refused = result["refused"]
    assert refused is not None and refused["status"] == 503, result
    assert refused["body"]["error"]["message"] == (
        "the link store is full, so the link was not saved; try again later")
    assert int(refused["retry_after"]) > 0
    assert result["integrity"] == "ok"
    assert result["readable"] == result["acked"]  # every acknowledged link, intact
    assert result["after_freeing"] == 201
    assert result["still_readable"] == result["acked"]
