"""Run inside a private mount namespace by test_links_disk.py: the link store on a tiny tmpfs,
filled until the disk is full. Prints what happened as JSON.

usage: links_full_disk.py FOLDER   (FOLDER is the tmpfs, mounted by the caller)
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from tests.test_links import boot_of  # noqa: E402

FILLER_BYTES = 700 * 1024


def program(k: int, rng: random.Random) -> str:
    """A different program of ~6 KB each time (comments of random letters)."""
    noise = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(6_000))
    return f"x{k} = {k}.5\n# {noise}\ny = x{k} * x{k}"


def main(folder: Path) -> dict:
    filler = folder / "filler"
    filler.write_bytes(os.urandom(FILLER_BYTES))
    database = folder / "links.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}",
                      "LINKS_RATE_LIMIT": "100000 per minute"})
    client = app.test_client()
    rng = random.Random(7)
    acked: dict[str, str] = {}
    refused = None
    for k in range(1_000):
        src = program(k, rng)
        res = client.post("/api/links", json={"src": src})
        if res.status_code in (200, 201):
            acked[res.get_json()["id"]] = src
            continue
        refused = {"status": res.status_code, "body": res.get_json(),
                   "retry_after": res.headers.get("Retry-After")}
        break
    readable = sum(boot_of(client.get(f"/s/{i}"))["src"] == src for i, src in acked.items())
    check = sqlite3.connect(database)
    integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()
    filler.unlink()  # room again: storing works without a restart
    again = client.post("/api/links", json={"src": program(10_000, rng)}).status_code
    still = sum(client.get(f"/s/{i}").status_code == 200 for i in acked)
    return {"acked": len(acked), "refused": refused, "readable": readable,
            "integrity": integrity, "after_freeing": again, "still_readable": still}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
