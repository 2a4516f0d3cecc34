"""The `z=` form of a program: raw DEFLATE in base64url, read by every route that draws."""

from __future__ import annotations

import base64
import json
import time
import zlib
from urllib.parse import quote

import pytest
from test_links import boot_of

from autodiff.errors import EvaluationError
from web.permalink import deflate, inflate

REUSE = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
GREEK = "θ = 0.5\nα = 2\nβ = α * sin(θ)  # ∂β/∂θ"


def raw_deflate(data: bytes) -> str:
    """What the browser's CompressionStream('deflate-raw') makes, encoded independently."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = packer.compress(data) + packer.flush()
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


@pytest.mark.parametrize("source", [REUSE, GREEK, "x = 1\n" * 3_000])
def test_z_round_trips_any_program(source):
    assert inflate(deflate(source)) == source
    assert inflate(raw_deflate(source.encode())) == source
    assert set(deflate(source)) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_")


@pytest.mark.parametrize("z, message", [
    ("a*b", "not base64url"),
    (raw_deflate(b"x = 1")[:-3], "cut short"),
    (base64.urlsafe_b64encode(b"not deflate at all").decode(), "not a compressed program"),
    (raw_deflate(b"\xff\xfe x = 1"), "UTF-8"),
    (raw_deflate(b"x" * 80_001), "longer than 20,000 characters"),
])
def test_a_bad_z_says_what_is_wrong(z, message):
    with pytest.raises(EvaluationError, match=message):
        inflate(z)


def test_a_small_z_that_inflates_to_gigabytes_is_refused_at_once():
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = b"".join(packer.compress(b"\0" * 1_000_000) for _ in range(200)) + packer.flush()
    z = base64.urlsafe_b64encode(bomb).decode()
    assert len(z) < 300_000
    started = time.perf_counter()
    with pytest.raises(EvaluationError, match="longer than"):
        inflate(z)
    assert time.perf_counter() - started < 1.0


def test_the_drawing_routes_read_z_as_they_read_src(client):
    z = raw_deflate(REUSE.encode())
    assert client.get(f"/svg?z={z}&step=3").data == client.get(
        f"/svg?src={quote(REUSE)}&step=3").data
    png = client.get(f"/png?z={z}&step=2")
    assert png.status_code == 200 and png.data == client.get(f"/png?src={quote(REUSE)}&step=2").data
    answer = client.get(f"/api/graph?z={raw_deflate(GREEK.encode())}")
    assert answer.status_code == 200 and set(answer.get_json()["gradients"]) == {"θ", "α"}
    assert boot_of(client.get(f"/embed?z={z}"))["src"] == REUSE
    assert boot_of(client.get(f"/?z={z}&step=4"))["step"] == "4"


def test_a_bad_z_is_a_400_on_the_routes(client):
    res = client.get("/svg?z=%%%")
    assert res.status_code == 400 and "not base64url" in res.get_json()["error"]["message"]
    res = client.post("/api/graph", data=json.dumps({"z": "AAAA"}),
                      content_type="application/json")
    assert res.status_code == 400
