#!/usr/bin/env python3
"""Validate DSP 2025-1 messages against the official JSON Schemas.

usage: validate_dsp.py REFERENCE_DIR MESSAGES.json
MESSAGES.json is a list of {"schema": "catalog/catalog-schema.json", "message": {...}}.
Prints one line per message and exits 1 if any fails.
"""
import json
import pathlib
import sys

from jsonschema import Draft201909Validator
from referencing import Registry, Resource

from schema_report import report


def load_registry(root: pathlib.Path):
    resources = []
    schemas = {}
    for path in root.rglob("*-schema.json"):
        text = path.read_text()
        # Known quirk of the published files: '#definitions/...' (also after a file URI) lacks the slash.
        text = text.replace('#definitions/', '#/definitions/')
        schema = json.loads(text)
        schemas[str(path.relative_to(root))] = schema
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources), schemas


def main() -> int:
    root = pathlib.Path(sys.argv[1]) / "dsp-2025-1"
    registry, schemas = load_registry(root)
    items = json.loads(pathlib.Path(sys.argv[2]).read_text())
    return report(items, lambda item: Draft201909Validator(schemas[item["schema"]], registry=registry), "message")


if __name__ == "__main__":
    sys.exit(main())
