"""A ZIP of every frame as SVG and PNG, with manifest.json: step, phase, text and files."""

from __future__ import annotations

import io
import json
import zipfile

from ...model import Graph
from ..layouts import Layout
from . import ExportOptions, check_export, checked_size, frames
from .raster import pngs
from .rsvg import Progress

ZIP_PX = 1600


def frames_zip(graph: Graph, layout: Layout, options: ExportOptions,
               progress: Progress = None) -> bytes:
    """frames/step-NNN.svg and .png for each step of the range, and manifest.json."""
    deadline = check_export(graph, layout, options, "zip")
    shown = frames(graph, layout, options)
    pictures = pngs(shown, layout.width, ZIP_PX, deadline, options.transparent, progress)
    width = len(str(shown[-1].step))
    manifest = {"steps": len(graph.steps), "frames": []}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for frame, png in zip(shown, pictures):
            name = f"frames/step-{frame.step:0{width}d}"
            archive.writestr(name + ".svg", frame.svg)
            archive.writestr(name + ".png", png)
            manifest["frames"].append({"step": frame.step, "phase": frame.phase,
                                       "text": frame.text, "svg": name + ".svg",
                                       "png": name + ".png"})
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return checked_size(out.getvalue())
