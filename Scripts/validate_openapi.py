#!/usr/bin/env python3
"""Validate management API answers against the schemas of the node's own OpenAPI document.

usage: validate_openapi.py OPENAPI.json ANSWERS.json
ANSWERS.json is a list of {"schema": "LeakTrace", "answer": {...}}: each answer is checked
against #/components/schemas/<schema> (JSON Schema 2020-12, as OpenAPI 3.1 uses).
Prints one line per answer and exits 1 if any fails.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator

from schema_report import report


def main() -> int:
    document = json.loads(pathlib.Path(sys.argv[1]).read_text())
    answers = json.loads(pathlib.Path(sys.argv[2]).read_text())

    def validator_for(item):
        # The document's components travel with the reference, so $refs between schemas resolve.
        schema = {"$ref": "#/components/schemas/" + item["schema"], "components": document["components"]}
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    return report(answers, validator_for, "answer")


if __name__ == "__main__":
    sys.exit(main())
