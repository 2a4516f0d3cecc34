#!/bin/sh
# Make sure the system (non-Python) dependencies are present.
#
#   scripts/install-system-deps.sh            Graphviz's `dot` (+ DejaVu fonts), rsvg-convert
#   scripts/install-system-deps.sh --browser  the above, plus what the tests need besides:
#                                             Chromium, zbar's QR reader (zbarimg), and npm
#                                             (for the slide tools the embed is tested in)
#   scripts/install-system-deps.sh --test     the above, plus poppler's pdftotext and
#                                             pdflatex with beamer (TeX Live) for tests
#   scripts/install-system-deps.sh --serve    Graphviz and the like, plus nginx (make serve;
#                                             --test installs it too, for the stack's tests)
#   scripts/install-system-deps.sh --postgres Graphviz and the like, plus PostgreSQL for the
#                                             link store's tests
#
# When something is missing and we are root on a Debian/Ubuntu system, it is
# installed with apt-get. Otherwise the script says what to install and fails.
# When everything is present it does nothing and returns at once.
#
# Environment:
#   CHROMIUM_PATH  browser binary the tests use (default: /usr/bin/chromium)

set -eu

DEFAULT_CHROMIUM=/usr/bin/chromium
CHROMIUM_PATH=${CHROMIUM_PATH:-$DEFAULT_CHROMIUM}
DEJAVU_FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

want_browser=0
want_test=0
want_serve=0
want_postgres=0
for arg in "$@"; do
    case "$arg" in
        --browser) want_browser=1 ;;
        --test) want_test=1; want_serve=1 ;;
        --serve) want_serve=1 ;;
        --postgres) want_postgres=1 ;;
        -h | --help)
            sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install-system-deps: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

say() { echo "install-system-deps: $*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

have_apt() { command -v apt-get >/dev/null 2>&1; }

have_chromium() { [ -x "$CHROMIUM_PATH" ]; }

have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }

# The tests start a throwaway server with Debian's versioned binaries (initdb, pg_ctl).
have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

# Packages apt must install, and whether any of them is strictly required.
packages=""
required_missing=0

if ! command -v dot >/dev/null 2>&1; then
    packages="$packages graphviz fonts-dejavu-core"
    required_missing=1
elif [ ! -e "$DEJAVU_FONT" ] && is_root && have_apt; then
    # Graph labels render with DejaVu Sans; without it Graphviz falls back to
    # whatever font it finds. Install it when that is cheap, but don't fail.
    packages="$packages fonts-dejavu-core"
fi

# Exports (PDF, slides, GIF, ZIP) draw many frames with librsvg's rsvg-convert.
if ! command -v rsvg-convert >/dev/null 2>&1; then
    packages="$packages librsvg2-bin"
    required_missing=1
fi

# The export tests read PDFs with poppler's pdfinfo and pdftotext, and compile the README's
# Beamer recipe with pdflatex (beamer needs the recommended set and pgf, in pictures).
if [ "$want_test" -eq 1 ] && ! command -v pdftotext >/dev/null 2>&1; then
    packages="$packages poppler-utils"
    required_missing=1
fi
if [ "$want_test" -eq 1 ] && ! kpsewhich beamer.cls >/dev/null 2>&1; then
    packages="$packages texlive-latex-base texlive-latex-recommended texlive-pictures"
    required_missing=1
fi

# The production stack (scripts/serve.py) puts nginx in front of gunicorn.
if [ "$want_serve" -eq 1 ] && ! have_nginx; then
    packages="$packages nginx"
    required_missing=1
fi

if [ "$want_browser" -eq 1 ] && ! have_chromium; then
    if [ "$CHROMIUM_PATH" != "$DEFAULT_CHROMIUM" ]; then
        say "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file."
        say "Point CHROMIUM_PATH at a Chromium/Chrome binary, or unset it to use $DEFAULT_CHROMIUM."
        exit 1
    fi
    packages="$packages chromium"
    case "$packages" in
        *fonts-dejavu-core*) ;;
        *) [ -e "$DEJAVU_FONT" ] || packages="$packages fonts-dejavu-core" ;;
    esac
    required_missing=1
fi

if [ "$want_browser" -eq 1 ] && ! command -v zbarimg >/dev/null 2>&1; then
    packages="$packages zbar-tools"
    required_missing=1
fi

if [ "$want_browser" -eq 1 ] && ! command -v npm >/dev/null 2>&1; then
    packages="$packages npm"
    required_missing=1
fi

if [ "$want_postgres" -eq 1 ] && ! have_postgres; then
    packages="$packages postgresql"
    required_missing=1
fi

if [ -z "$packages" ]; then
    exit 0
fi

if is_root && have_apt; then
    say "installing:$packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    if [ "$want_postgres" -eq 1 ]; then
        # No cluster of the package's own: the tests make theirs, and a container has no init.
        mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/no-main.conf
    fi
    apt-get install -y -q $packages
else
    if [ "$required_missing" -eq 0 ]; then
        # Only optional extras are missing (fonts); carry on.
        exit 0
    fi
    say "missing system packages:$packages"
    if ! command -v dot >/dev/null 2>&1; then
        cat >&2 <<'EOF'

Graphviz (the `dot` program) is required to draw computation graphs. Install it with one of:
    Debian/Ubuntu:  sudo apt-get install graphviz fonts-dejavu-core
    macOS (Homebrew):  brew install graphviz
    conda:  conda install -c conda-forge graphviz
EOF
    fi
    if [ "$want_browser" -eq 1 ] && ! command -v zbarimg >/dev/null 2>&1; then
        say "the QR code test reads codes with zbarimg: apt-get install zbar-tools"
    fi
    if [ "$want_browser" -eq 1 ] && ! have_chromium; then
        cat >&2 <<EOF

The browser tests need Chromium at $CHROMIUM_PATH. Install it with one of:
    Debian:  sudo apt-get install chromium
    Ubuntu:  install Chromium or Google Chrome, then set CHROMIUM_PATH to its binary
    macOS:   brew install --cask chromium, then
             CHROMIUM_PATH="/Applications/Chromium.app/Contents/MacOS/Chromium"
EOF
    fi
    if [ "$want_postgres" -eq 1 ] && ! have_postgres; then
        cat >&2 <<'EOF'

The link store's tests start their own PostgreSQL server. Install it with one of:
    Debian/Ubuntu:  sudo apt-get install postgresql
    macOS (Homebrew):  brew install postgresql
EOF
    fi
    echo >&2
    if is_root; then
        say "apt-get was not found; install the packages above with your package manager and re-run."
    else
        say "not running as root, so nothing was installed; install the packages above and re-run."
    fi
    exit 1
fi

# Verify that the install gave us what we need.
status=0
if ! command -v dot >/dev/null 2>&1; then
    say "Graphviz was installed but \`dot\` is still not on PATH."
    status=1
fi
if ! command -v rsvg-convert >/dev/null 2>&1; then
    say "librsvg2-bin was installed but \`rsvg-convert\` is still not on PATH."
    status=1
fi
if [ "$want_serve" -eq 1 ] && ! have_nginx; then
    say "nginx was installed but is still not found."
    status=1
fi
if [ "$want_browser" -eq 1 ] && ! have_chromium; then
    say "chromium was installed but $CHROMIUM_PATH does not exist."
    status=1
fi
if [ "$want_browser" -eq 1 ] && ! command -v zbarimg >/dev/null 2>&1; then
    say "zbar-tools was installed but zbarimg is still not on PATH."
    status=1
fi
if [ "$want_browser" -eq 1 ] && ! command -v npm >/dev/null 2>&1; then
    say "npm was installed but is still not on PATH."
    status=1
fi
if [ "$want_postgres" -eq 1 ] && ! have_postgres; then
    say "postgresql was installed but initdb was not found."
    status=1
fi
exit "$status"
