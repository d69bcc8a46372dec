#!/usr/bin/env bash
# Regenerate the initial migration from the models (only while no deployment exists).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/flask --app wsgi db migrate -m "initial schema" --rev-id 0001
rm -rf "$tmp"
