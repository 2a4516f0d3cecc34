"""The command line, run as a user runs it: `python -m autodiff ...` in a child process."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest
from PIL import Image
from pptx import Presentation

import autodiff
from autodiff.draw.decorate import caption_text
from autodiff.examples import by_slug

ROOT = Path(__file__).resolve().parent.parent
REUSE = by_slug("reuse").source
STEPS = len(autodiff.build(REUSE).steps)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autodiff", *args], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def frames_in(kind: str, data: bytes, tmp_path: Path) -> int:
    """How many steps the file holds, read by an outside reader of its kind."""
    if kind == "pdf":
        path = tmp_path / "count.pdf"
        path.write_bytes(data)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        return int(info.split("Pages:")[1].split()[0])
    if kind == "pptx":
        return len(Presentation(io.BytesIO(data)).slides)
    if kind == "gif":
        return Image.open(io.BytesIO(data)).n_frames
    if kind == "mp4":
        with av.open(io.BytesIO(data)) as video:
            return sum(1 for _ in video.decode(video=0))
    if kind == "zip":
        return len(json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))["frames"])
    if kind == "html":
        return data.decode().count('"start"') and STEPS + 1
    if kind == "tex":
        return data.decode().count("{Step ")
    if kind == "svg":
        return int(data.startswith(b"<svg"))
    return int(data.startswith(b"\x89PNG"))


EXPECTED = {"pdf": STEPS + 1, "pptx": STEPS + 1, "gif": STEPS + 1, "mp4": STEPS + 1,
            "zip": STEPS + 1,
            "html": STEPS + 1, "tex": STEPS + 1, "svg": 1, "png": 1}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("where", ["file", "stdin"])
def test_export_makes_each_format_from_a_file_and_from_stdin(kind, where, tmp_path):
    program = tmp_path / "reuse.txt"
    program.write_text(REUSE)
    out = tmp_path / f"out.{kind}"
    name, stdin = (str(program), None) if where == "file" else ("-", REUSE)
    done = run("export", name, "--format", kind, "-o", str(out), stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert frames_in(kind, out.read_bytes(), tmp_path) == EXPECTED[kind]


def test_export_takes_the_language_of_its_captions(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autodiff", "export", "-", "-f", "pdf",
                           "--lang", "ru", "--from", "3", "--to", "3", "-o", "-"],
                          input=REUSE.encode(), capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "ru.pdf"
    path.write_bytes(done.stdout)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Шаг 3 · прямой: z3 = cos(z2)" in " ".join(text.split())
    assert run("export", "-", "--lang", "fr", stdin=REUSE).returncode == 2


def test_export_to_stdout_and_a_range(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autodiff", "export", "-", "-f", "pdf",
                           "--from", "2", "--to", "4", "-o", "-"], input=REUSE.encode(),
                          capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0
    assert frames_in("pdf", done.stdout, tmp_path) == 3


def test_a_bad_program_exits_3_with_message_and_position(tmp_path):
    done = run("export", "-", "-o", str(tmp_path / "x.pdf"), stdin="x = 1\ny = x +* 2\n")
    assert done.returncode == 3
    assert done.stderr.startswith("-:2:8: error: syntax error")
    assert not (tmp_path / "x.pdf").exists()
    assert run("check", "-", stdin="y = q * 2").returncode == 3


def test_explain_prints_both_passes_and_the_gradients():
    done = run("explain", "-", stdin=REUSE)
    graph = autodiff.build(REUSE)
    assert done.returncode == 0
    assert "Forward pass" in done.stdout and "Backward pass" in done.stdout
    for step in graph.steps:
        assert step.text.split("\n")[0] in done.stdout
    assert f"= {float(graph.gradients['w1']):.4g}" in done.stdout


def test_check_exits_0_when_every_gradient_agrees():
    done = run("check", "-", stdin=REUSE)
    assert done.returncode == 0
    assert done.stdout.count(" yes") == len(autodiff.build(REUSE).inputs)


def test_help_and_bad_arguments():
    done = run("export", "--help")
    assert done.returncode == 0 and "--format" in done.stdout and "--from" in done.stdout
    assert run("export", "-", "--format", "docx", stdin=REUSE).returncode == 2
    assert run("export", "/nonexistent/program.txt").returncode == 2


@pytest.mark.slow
def test_an_export_beyond_the_bound_exits_4(tmp_path):
    big = "x = 0.5\n" + "\n".join(f"x{i} = sin(x) * {i}" for i in range(400)) + "\ny = x399"
    done = run("export", "-", "-f", "pdf", "-o", str(tmp_path / "x.pdf"), stdin=big)
    assert done.returncode == 4
    assert "from" in done.stderr


def test_a_frame_is_captioned_with_its_step():
    done = run("export", "-", "-f", "svg", "--step", "3", "-o", "-", stdin=REUSE)
    assert caption_text(autodiff.build(REUSE), 3).split(": ")[1] in done.stdout
    assert 'class="caption"' in done.stdout
