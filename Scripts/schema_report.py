"""The report both schema checkers print: one line per item, the first three errors of a failure.

validate_dsp.py and validate_openapi.py differ only in how they find an item's schema.
"""


def report(items, validator_for, instance_key):
    """Validates item[instance_key] with validator_for(item); prints a line each; 1 if any failed."""
    failures = 0
    for item in items:
        validator = validator_for(item)
        errors = sorted(validator.iter_errors(item[instance_key]), key=lambda e: list(e.path))
        if errors:
            failures += 1
            print(f"FAIL {item['schema']}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:3]))
        else:
            print(f"ok   {item['schema']}")
    return 1 if failures else 0
