#!/usr/bin/env bash
# Creates a throwaway virtualenv with the Python checkers and peers the tests and benchmarks use
# (jsonschema for DSP schemas, pyshacl for DCAT-AP shapes, tantivy for the search benchmark).
# Prints the venv's python path on its last line.
set -euo pipefail
venv="${1:-$(cd "$(dirname "$0")/.." && pwd)/.build-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check jsonschema referencing pyshacl rdflib tantivy >&2
echo "$venv/bin/python"
