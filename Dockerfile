# Production image: nginx in front of gunicorn (scripts/serve.py, as `make serve`), with
# Graphviz for drawing graphs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000

# Graphviz's `dot` renders the graphs; DejaVu gives labels a predictable font; rsvg-convert
# draws exports; nginx holds the clients' connections and buffers requests and answers for
# gunicorn: what `make serve` installs (scripts/install-system-deps.sh --serve). Versions
# follow the base image's Debian release, which keeps them patched (hence no pins).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz fonts-dejavu-core librsvg2-bin \
       nginx \
    && rm -rf /var/lib/apt/lists/* \
    && dot -V

# Run as an unprivileged user, named by number so the host can resolve it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes don't invalidate this layer.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code stays owned by root: the app user can read it but not change it.
COPY . .

# Short links live in a SQLite file here unless DATABASE_URL names PostgreSQL: a volume, so
# they outlive the container; the app's user owns it (docs/operations.md).
RUN mkdir -p /app/instance && chown app:app /app/instance
VOLUME ["/app/instance"]

USER 10001:10001

EXPOSE 8000

# slim has no curl; urlopen raises (non-zero exit) on connection errors and HTTP errors.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["python", "scripts/serve.py"]
