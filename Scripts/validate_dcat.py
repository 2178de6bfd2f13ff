#!/usr/bin/env python3
"""Validate a DCAT-AP 3 JSON-LD export against the mandatory DCAT-AP 3.0.1 SHACL shapes.

usage: validate_dcat.py REFERENCE_DIR EXPORT.jsonld
Exits 1 and prints the report if the graph does not conform.
"""
import pathlib
import sys

from pyshacl import validate
from rdflib import Graph


def main() -> int:
    root = pathlib.Path(sys.argv[1]) / "dcat-ap-3.0.1"
    data = Graph().parse(sys.argv[2], format="json-ld")
    shapes = Graph().parse(root / "shapes.ttl", format="turtle")
    conforms, _, report = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    print(f"triples: {len(data)}; conforms: {conforms}")
    if not conforms:
        print(report)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
