"""The lecture hall's share: a QR code of the current view that a phone reads back."""

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs, quote, urlsplit

import cairosvg
import pytest
from links_long_program import long_program

from app import create_app
from autodiff.examples import by_slug
from web.permalink import deflate

REUSE = by_slug("reuse").source


def decoded(svg: bytes, tmp_path) -> str:
    """What zbar (a QR reader independent of the writer) reads in the picture."""
    png = tmp_path / "qr.png"
    png.write_bytes(cairosvg.svg2png(bytestring=svg, scale=2))
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: scripts/install-system-deps.sh --browser installs it"
    out = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode().rstrip("\n")


@pytest.mark.parametrize("src", [REUSE, "θ = 0.5\nα = 2.0\ny = α * sin(θ) + θ ** 2"])
def test_the_qr_code_reads_back_as_the_view(client, tmp_path, src):
    query = f"src={quote(src)}&step=7&theme=projector&direction=tb&unused=1"
    res = client.get(f"/qr?{query}")
    assert res.status_code == 200 and res.mimetype == "image/svg+xml"
    address = decoded(res.data, tmp_path)
    parts = urlsplit(address)
    assert f"{parts.scheme}://{parts.netloc}/" == "http://localhost/"
    assert parse_qs(parts.query) == {
        "src": [src], "step": ["7"], "theme": ["projector"], "direction": ["tb"]
    }
    boot = boot_of(client.get(f"{parts.path}?{parts.query}").get_data(as_text=True))
    assert (boot["src"], boot["step"], boot["theme"]) == (src, "7", "projector")


def boot_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                                page, re.S).group(1))


LONG_VIEW = {"step": "4", "theme": "dark", "direction": "tb", "font": "130", "lr": "0.05",
             "updates": "3"}


@pytest.mark.parametrize("form", ["src", "z", "id"])
def test_a_long_program_s_qr_code_is_its_short_link(client, tmp_path, form):
    """A program whose own address would make a dense code gets its short link instead: zbar
    reads it back from the picture, and following it opens the program with every option."""
    src = long_program()
    given = {"src": quote(src), "z": deflate(src)}
    if form == "id":
        given["id"] = client.post("/api/links", json={"src": src, **LONG_VIEW}).get_json()["id"]
    options = "&".join(f"{k}={v}" for k, v in LONG_VIEW.items())
    res = client.get(f"/qr?{form}={given[form]}&{options}")
    assert res.status_code == 200 and res.mimetype == "image/svg+xml"
    address = decoded(res.data, tmp_path)
    assert re.fullmatch(r"http://localhost/s/[0-9A-Za-z]{11}", address), address
    assert segno_version(res.data) <= 4  # a small code: 33 × 33 modules at most
    page = client.get(urlsplit(address).path)
    assert page.status_code == 200
    boot = boot_of(page.get_data(as_text=True))
    assert boot["src"] == src
    assert {k: str(boot[k]) for k in LONG_VIEW} == LONG_VIEW


def segno_version(svg: bytes) -> int:
    """A QR code's version from its SVG's size: 4 pixels a module, 4 modules of quiet zone
    each side, and version v is 17 + 4v modules wide."""
    width = int(re.search(rb'width="(\d+)"', svg).group(1))
    return (width // 4 - 8 - 17) // 4


def test_a_short_program_s_qr_code_stays_its_own_address(client, tmp_path):
    """No link is stored for a view whose address fits a small code."""
    store = client.application.extensions["links"]
    before = store.count()
    res = client.get(f"/qr?src={quote(REUSE)}&step=2")
    assert decoded(res.data, tmp_path).startswith("http://localhost/?src=")
    assert segno_version(res.data) <= 10
    assert store.count() == before


def test_qr_codes_that_store_a_link_count_against_the_limit_on_storing(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'l.sqlite3'}",
                      "LINKS_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    long = [f"x = {k}.5\n" + "\n".join(f"y{i} = x * {i}" for i in range(40)) for k in range(3)]
    assert client.post("/api/links", json={"src": long[0]}).status_code == 201
    assert client.get(f"/qr?src={quote(long[1])}").status_code == 200
    for _ in range(5):  # plain codes store nothing and are not counted
        assert client.get(f"/qr?src={quote(REUSE)}").status_code == 200
    assert client.get(f"/qr?src={quote(long[2])}").status_code == 200
    refused = client.get(f"/qr?src={quote(long[0] + '# more')}")
    assert refused.status_code == 429 and "too many links" in refused.get_json()["error"]["message"]
    assert client.post("/api/links", json={"src": "x = 9"}).status_code == 429
    assert client.get(f"/qr?src={quote(REUSE)}").status_code == 200
    assert app.extensions["links"].count() == 3


def test_a_qr_code_of_a_view_that_would_not_open_is_a_400(client):
    assert client.get("/qr").status_code == 400
    assert client.get(f"/qr?src={quote(REUSE)}&theme=neon").status_code == 400
