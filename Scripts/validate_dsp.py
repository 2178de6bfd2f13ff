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
    failures = 0
    for item in items:
        schema = schemas[item["schema"]]
        validator = Draft201909Validator(schema, registry=registry)
        errors = sorted(validator.iter_errors(item["message"]), key=lambda e: list(e.path))
        if errors:
            failures += 1
            print(f"FAIL {item['schema']}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:3]))
        else:
            print(f"ok   {item['schema']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
