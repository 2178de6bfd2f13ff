#!/usr/bin/env python3
"""Policy decision peers for `dataspace bench policy`: the same offers as Cedar policies (cedarpy,
batch API) and as an OPA Rego module (regopy, compiled bundle), evaluated on the same requests.

usage: policy_peers.py POLICY-SET.json
Prints one JSON object: per engine the decisions per second, how many decisions were checked
against ours (the 'expected' array) and how many differ.
"""
import json
import sys
import time

import cedarpy
from regopy import Interpreter


def region_parents(code: str) -> list:
    province = code[:2] + "0000"
    city = code[:4] + "00"
    parents = []
    if city not in (code, province):
        parents.append(city)
    if province != code:
        parents.append(province)
    return parents


def cedar(spec):
    policies = []
    for i, o in enumerate(spec["offers"]):
        purpose = " || ".join(f'context.purpose in Purpose::"{p}"' for p in o["purposes"])
        conditions = [
            f"({purpose})",
            f'context.region in Region::"{o["province"]}"',
            f'context.count <= {o["max_count"]}',
            f'context.now < {o["not_after"]}',
        ]
        if o["sector"]:
            conditions.append(f'context.sector == "{o["sector"]}"')
        policies.append(
            f'permit(principal, action == Action::"download", resource == Dataset::"d{i}") when {{ {" && ".join(conditions)} }};'
        )
        policies.append(f'forbid(principal, action == Action::"distribute", resource == Dataset::"d{i}");')
    entities = []
    for p in spec["purposes"]:
        parents = [{"type": "Purpose", "id": p.rsplit(".", 1)[0]}] if "." in p else []
        entities.append({"uid": {"type": "Purpose", "id": p}, "attrs": {}, "parents": parents})
    codes = set(spec["regions"])
    for o in spec["offers"]:
        codes.add(o["province"])
    for c in list(codes):
        codes.update(region_parents(c))
    for c in sorted(codes):
        entities.append({"uid": {"type": "Region", "id": c}, "attrs": {}, "parents": [{"type": "Region", "id": p} for p in region_parents(c)]})
    # Pre-parsed handles, so the timed loop measures decisions, not parsing.
    policy_set = cedarpy.PolicySet.from_str("\n".join(policies))
    entity_handle = cedarpy.Entities.from_json_str(json.dumps(entities))
    requests = [
        {
            "principal": 'User::"consumer"',
            "action": 'Action::"download"',
            "resource": f'Dataset::"d{r["offer"]}"',
            "context": {
                "purpose": {"__entity": {"type": "Purpose", "id": r["purpose"]}},
                "region": {"__entity": {"type": "Region", "id": r["region"]}},
                "count": r["count"],
                "now": spec["now"],
                "sector": r["sector"],
            },
        }
        for r in spec["requests"]
    ]
    # Partitioned, as an application would store them: each product's own policies, pre-parsed.
    own = [cedarpy.PolicySet.from_str(policies[2 * i] + "\n" + policies[2 * i + 1]) for i in range(len(spec["offers"]))]
    by_offer = {}
    for index, r in enumerate(spec["requests"]):
        by_offer.setdefault(r["offer"], []).append(index)
    partitioned = [None] * len(requests)
    start = time.perf_counter()
    for offer, indices in by_offer.items():
        results = cedarpy.is_authorized_batch([requests[i] for i in indices], own[offer], entity_handle)
        for i, result in zip(indices, results):
            partitioned[i] = result.allowed
    partitioned_elapsed = time.perf_counter() - start
    # One policy set holding every product's policies (Cedar evaluates all of them per request).
    limit = min(len(requests), 2000)
    cedarpy.is_authorized_batch(requests[:10], policy_set, entity_handle)  # warm-up
    start = time.perf_counter()
    whole = [r.allowed for r in cedarpy.is_authorized_batch(requests[:limit], policy_set, entity_handle)]
    whole_elapsed = time.perf_counter() - start
    return (partitioned, partitioned_elapsed), (whole, whole_elapsed)


REGO = """package policy
import rego.v1

default allow := false

allow if {
  p := data.offers[input.offer]
  some x in p.purposes
  purpose_isa(input.purpose, x)
  substring(input.region, 0, 2) == substring(p.province, 0, 2)
  input.count <= p.max_count
  data.now < p.not_after
  sector_ok(p)
}

purpose_isa(p, x) if p == x
purpose_isa(p, x) if startswith(p, concat("", [x, "."]))

sector_ok(p) if p.sector == null
sector_ok(p) if p.sector == input.sector
"""


def rego(spec, limit):
    build = Interpreter()
    build.add_data({"offers": spec["offers"], "now": spec["now"]})
    build.add_module("policy.rego", REGO)
    bundle = build.build("x = data.policy.allow", ["policy/allow"])
    run = Interpreter()
    requests = spec["requests"][:limit]
    decisions = []
    start = time.perf_counter()
    for r in requests:
        run.set_input(r)
        output = run.query_bundle(bundle)  # keep the output alive while its node is read
        decisions.append(output.binding("x").json() == "true")
    elapsed = time.perf_counter() - start
    return decisions, elapsed


def report(decisions, elapsed, expected):
    mismatches = sum(1 for a, b in zip(decisions, expected) if a != b)
    return {"decisions_per_second": len(decisions) / elapsed, "checked": len(decisions), "mismatches": mismatches, "seconds": elapsed}


def main():
    spec = json.load(open(sys.argv[1]))
    expected = spec["expected"]
    out = {}
    (decisions, elapsed), (whole, whole_elapsed) = cedar(spec)
    out["cedar"] = report(decisions, elapsed, expected)
    out["cedar_single_set"] = report(whole, whole_elapsed, expected)
    decisions, elapsed = rego(spec, min(len(spec["requests"]), 5000))
    out["rego"] = report(decisions, elapsed, expected)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
