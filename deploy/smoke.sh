#!/usr/bin/env bash
# The image's steps without a container engine, then a smoke test over HTTP (deploy/smoke.py):
#   deploy/smoke.sh postgres://liman:liman@127.0.0.1:5432/liman_smoke
# The database must be one to throw away. Needs msgfmt (gettext) and network access to PyPI (or a pip cache).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
DATABASE_URL=${1:?usage: deploy/smoke.sh DATABASE_URL}
WORK=$(mktemp -d /tmp/liman-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== smoke: install from the lock file into a fresh venv (as deploy/Dockerfile does)"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --upgrade pip "uv==0.13.8"
"$WORK/venv/bin/uv" export --quiet --locked --no-emit-project -o "$WORK/requirements.txt"
"$WORK/venv/bin/pip" install --quiet -r "$WORK/requirements.txt"
cp -r liman pyproject.toml README.md "$WORK/"
( cd "$WORK" && find liman/locale -name '*.po' -exec sh -c 'msgfmt --check -o "${1%.po}.mo" "$1"' _ {} \; )
"$WORK/venv/bin/pip" install --quiet --no-deps "$WORK"

# Production settings, with keys made for this run only.
export LIMAN_ENV=production DATABASE_URL LIMAN_VAR_DIR="$WORK/var" LIMAN_ALLOWED_HOSTS=127.0.0.1
eval "$("$WORK/venv/bin/python" "$REPO/deploy/probe.py" keys)"

echo "== smoke: collectstatic, migrate, createcachetable"
( cd "$WORK" && "$WORK/venv/bin/liman" collectstatic --no-input --verbosity 0 )
( cd "$WORK" && "$WORK/venv/bin/liman" migrate --no-input --verbosity 0 )
( cd "$WORK" && "$WORK/venv/bin/liman" createcachetable )
echo "== smoke: gunicorn and a worker over HTTP"
( cd "$WORK" && DJANGO_SETTINGS_MODULE=liman.settings "$WORK/venv/bin/python" "$REPO/deploy/smoke.py" )
