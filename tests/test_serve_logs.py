"""scripts/serve.py's copy of nginx's error log: no query and no referrer ever reaches it."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from serve import scrubbed  # noqa: E402

UPSTREAM = (
    "2026/12/02 08:00:00 [error] 12#12: *5 upstream prematurely closed connection while "
    'reading response header from upstream, client: 127.0.0.1, server: , request: "GET '
    '/png?src=w%20%3D%202&step=3 HTTP/1.1", upstream: "http://unix:/tmp/g.sock:/png?src=w", '
    'host: "127.0.0.1:8000", referrer: "http://127.0.0.1:8000/?src=w%20%3D%202"\n'
)


def test_the_request_keeps_its_method_and_path_only():
    assert scrubbed(UPSTREAM) == (
        "2026/12/02 08:00:00 [error] 12#12: *5 upstream prematurely closed connection while "
        'reading response header from upstream, client: 127.0.0.1, server: , '
        'request: "GET /png"\n'
    )


@pytest.mark.parametrize("line", [
    UPSTREAM,
    '[info] 1#1: *3 client sent invalid header line: "X: /a?src=w, client: z", client: '
    '1.2.3.4, server: a, request: "GET /a?client: src=w HTTP/1.1"\n',
    '[error] 1#1: *3 x, client: 1.2.3.4, server: a, request: "GET /a"b?src=w HTTP/1.1", '
    'referrer: "/?src=w"\n',
    "[warn] 1#1: *3 an upstream response is buffered to a temporary file /t/1 while reading "
    'upstream, client: 1.2.3.4, server: a, request: "GET /svg?src=w HTTP/1.1"\n',
])
def test_no_query_survives(line):
    assert "src=" not in scrubbed(line) and "w%20" not in scrubbed(line)


def test_lines_without_a_request_pass_unchanged():
    line = '2026/12/02 [notice] 1#1: signal 15 (SIGTERM) received from 7, exiting\n'
    assert scrubbed(line) == line
