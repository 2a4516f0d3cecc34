"""MP4: the step-through as an H.264 video, `delay` milliseconds a step (one video frame a
step), for slides and pages that take a video but no GIF, or want it sharper and smaller.

The frames are the GIF's pictures; ffmpeg encodes them. Its binary comes inside the
imageio-ffmpeg wheel, so nothing is downloaded when a video is made.
"""

from __future__ import annotations

import os

from ...i18n import _
from ...model import Graph
from ..layouts import Layout
from . import ExportOptions, check_export, checked_size, frames
from .gif import MAX_DELAY, MIN_DELAY
from .raster import pngs
from .rsvg import Progress, RendererMissing, run_tool, scratch

VIDEO_PX = 1280
"""The video's width at most (720p)."""
ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-crf", "20",
          "-pix_fmt", "yuv420p", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2:color=white",
          "-g", "1", "-movflags", "+faststart"]
"""H.264 that every player plays: 4:2:0 colour (which wants even sizes: padded in white),
each frame a key frame (a step is a still, and any step can be sought)."""


def ffmpeg_binary() -> str:
    """The ffmpeg that imageio-ffmpeg ships (RendererMissing when it is not installed)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RendererMissing(_("MP4 exports need the imageio-ffmpeg package "
                                "(pip install imageio-ffmpeg)")) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def step_video(graph: Graph, layout: Layout, options: ExportOptions,
               progress: Progress = None) -> bytes:
    """Every frame of the range with its caption, each shown `delay` milliseconds."""
    deadline = check_export(graph, layout, options, "mp4")
    shown = frames(graph, layout, options)
    pictures = pngs(shown, layout.width, VIDEO_PX, deadline, progress=progress)
    delay = min(max(options.delay, MIN_DELAY), MAX_DELAY)
    with scratch(pictures) as folder:
        for k, png in enumerate(pictures):
            with open(os.path.join(folder, f"{k:05d}.png"), "wb") as f:
                f.write(png)
        rate = f"1000/{delay}"
        run_tool([ffmpeg_binary(), "-loglevel", "error", "-framerate", rate, "-i", "%05d.png",
                  *ENCODE, "-r", rate, "steps.mp4"], folder, deadline)
        with open(os.path.join(folder, "steps.mp4"), "rb") as f:
            return checked_size(f.read())
