#!/usr/bin/env bash
# Creates (or reuses) a throwaway virtualenv with the Python checkers the tests use: jsonschema
# for the DSP 2025-1 schemas, pyshacl for the DCAT-AP 3 shapes, duckdb to cross-check the profiler,
# schemathesis to fuzz the management API from its OpenAPI document, selenium to drive Chromium
# through the portal. Extra packages (the search
# benchmark's tantivy peer) can be named as arguments. Prints the venv's python on its last line.
#   usage: Scripts/setup-python.sh [extra-package ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${DATASPACE_VENV:-$root/.build-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check jsonschema referencing pyshacl rdflib duckdb schemathesis selenium "$@" >&2
echo "$venv/bin/python"
