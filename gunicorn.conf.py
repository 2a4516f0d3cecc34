"""Gunicorn settings for serving the app in production (see Dockerfile)."""

import multiprocessing
import os
import threading

# Listen on all interfaces so the container's published port reaches us; PORT as on most PaaS.
# BIND overrides it: scripts/serve.py puts gunicorn on a unix socket behind nginx.
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# Drawing graphs is CPU-bound in `dot`, so scale with cores, but cap memory use on big hosts.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))

# Threads let a worker keep serving static files and small requests while one waits on `dot`.
worker_class = "gthread"

# Per-worker thread count: enough to overlap I/O without oversubscribing the CPU.
threads = 4

# Requests run in those threads, and the deepest program the app takes (1,000 levels of
# brackets, unary minus or calls) recurses through Python's parser there. A worker thread
# with 512 KiB of stack crashed on the hostile sample and one with 1 MiB did not; threads get
# the platform's default otherwise (8 MiB on glibc with the usual ulimit, 128 KiB on musl).
# Forked workers inherit this size, so it holds wherever the image runs.
THREAD_STACK_BYTES = 8 * 1024 * 1024
threading.stack_size(THREAD_STACK_BYTES)

# Above the app's own 10 s Graphviz timeout, so the app answers with an error first.
timeout = 30

# On restart, give in-flight requests a short grace period before killing them.
graceful_timeout = 10

# Keep idle keep-alive connections briefly so a page and its assets reuse one connection.
keepalive = 5

# Gunicorn's default line limit: keeps a long ?src= permalink working while bounding headers.
limit_request_line = 8190

# A browser sends well under 50 headers; refusing more bounds per-request memory.
limit_request_fields = 50

# Cap on one header's size (cookies, referers carrying a permalink).
limit_request_field_size = 8190

# Recycle each worker after this many requests, bounding any slow memory growth.
max_requests = 2000

# Randomise recycling so the workers do not all restart at the same moment.
max_requests_jitter = 200

# Heartbeat files on tmpfs: a slow container filesystem must not make workers look hung.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# No control socket: nothing here uses `gunicornc`, and by default gunicorn makes the socket
# under $HOME, which the image's user does not have (it logged an error at every start).
control_socket_disable = True

# Access and error logs to stdout/stderr, where container runtimes collect them.
# ACCESS_LOG="" turns gunicorn's off (scripts/serve.py: nginx in front logs each request).
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"

# The path without its query, and no referer: a query (and a permalink in a referer) holds a
# student's whole program, which is theirs, not the log's. Then the seconds it took.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'



def post_worker_init(worker):
    """Once a worker has loaded the app: the garbage collector set for serving (app.tune_gc)."""
    from app import tune_gc

    tune_gc()
