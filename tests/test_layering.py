"""The rooms and their one direction: engine → drawing → web, never back."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGES = {"__main__.py"}
"""The command line is an edge like app.py: it turns arguments into calls of the engine and
the drawing, so it may import the drawing (never the web)."""
ENGINE = sorted(p for p in (ROOT / "autodiff").glob("*.py") if p.name not in EDGES)
LAZY_DRAWING = {"notebook.py"}
"""The one exception inside the engine: a notebook shows a graph as a picture, so
`notebook.py` imports the drawing inside the functions that draw, never at module level;
`import autodiff` still loads no drawing (tested below)."""
DRAWING = sorted((ROOT / "autodiff" / "draw").rglob("*.py"))
WEB = sorted((ROOT / "web").glob("*.py"))


def imported_modules(path: Path, module_level: bool = False) -> set[str]:
    """Every module a file imports (or only its module-level statements import), relative
    imports resolved to absolute names."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    nodes = _module_level(tree) if module_level else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _module_level(tree: ast.Module):
    """The statements that run on import: the module's own, not those inside functions."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def touches(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in modules if m.startswith(prefixes)}


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_the_engine_imports_neither_drawing_nor_web(path):
    upward = ("autodiff.draw", "web", "flask", "graphviz", "cairosvg", "app")
    bad = touches(imported_modules(path, module_level=True), upward)
    assert not bad, f"{path.name} imports {sorted(bad)}"
    if path.name not in LAZY_DRAWING:
        bad = touches(imported_modules(path), upward)
        assert not bad, f"{path.name} imports {sorted(bad)} (even inside a function)"
    else:
        bad = touches(imported_modules(path), ("web", "flask", "app"))
        assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("name", sorted(EDGES))
def test_the_command_line_imports_the_drawing_but_not_the_web(name):
    bad = touches(imported_modules(ROOT / "autodiff" / name), ("web", "flask", "app", "werkzeug"))
    assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", DRAWING, ids=lambda p: p.name)
def test_the_drawing_imports_nothing_of_the_web(path):
    bad = touches(imported_modules(path), ("web", "flask", "app", "werkzeug"))
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", WEB, ids=lambda p: p.name)
def test_the_web_library_does_not_import_the_flask_app(path):
    bad = {m for m in imported_modules(path) if m == "app" or m.startswith("app.")}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_importing_the_engine_loads_no_web_or_drawing_library_and_starts_nothing():
    """`import autodiff` in a fresh interpreter: NumPy only, no child process."""
    probe = (
        "import sys, os, autodiff\n"
        "g = autodiff.build('x = 2; f = x * x')\n"
        "loaded = [m for m in ('flask', 'graphviz', 'cairosvg', 'werkzeug', 'autodiff.draw', 'web',"
        " 'pptx', 'PIL', 'tqdm', 'IPython')"
        " if m in sys.modules]\n"
        "print(loaded, float(g.gradients['x']))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[] 4.0"
    ps = subprocess.run(
        [sys.executable, "-c", "import autodiff, os, time; print(os.getpid()); "
         "import subprocess; print(subprocess.run(['ps', '--ppid', str(os.getpid()), '-o', 'comm='],"
         " capture_output=True, text=True).stdout.split())"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout.splitlines()
    assert ps[1] == "['ps']", "importing the engine started a process"


def test_the_engine_build_is_a_pure_function_of_its_arguments():
    """Two builds of one program give equal answers and share no mutable state."""
    import autodiff

    a = autodiff.build("w = 2.0; f = w * sin(w)")
    b = autodiff.build("w = 2.0; f = w * sin(w)")
    assert a is not b and a.nodes[0] is not b.nodes[0]
    assert [s.text for s in a.steps] == [s.text for s in b.steps]
    assert float(a.gradients["w"]) == float(b.gradients["w"])
