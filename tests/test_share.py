"""The lecture hall's share: a QR code of the current view that a phone reads back."""

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs, quote, urlsplit

import cairosvg
import pytest

from autodiff.examples import by_slug

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
    page = client.get(f"{parts.path}?{parts.query}").get_data(as_text=True)
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                                page, re.S).group(1))
    assert (boot["src"], boot["step"], boot["theme"]) == (src, "7", "projector")


def test_a_program_too_long_for_a_qr_code_is_a_400_that_says_so(client):
    src = "x = 1.0\n" + "\n".join(f"y{i} = x * {i}" for i in range(400))
    res = client.get(f"/qr?src={quote(src)}")
    assert res.status_code == 400
    assert "too long for a QR code" in res.get_json()["error"]["message"]


def test_a_qr_code_of_a_view_that_would_not_open_is_a_400(client):
    assert client.get("/qr").status_code == 400
    assert client.get(f"/qr?src={quote(REUSE)}&theme=neon").status_code == 400
