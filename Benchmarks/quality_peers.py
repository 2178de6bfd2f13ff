"""Peers for `dataspace bench quality`: DuckDB (SUMMARIZE, and the six rules plus duplicate rows
in one scan) and Great Expectations on pandas, on the file the benchmark generated. Each mode
runs in its own process so its peak memory is its own; prints one JSON object.

    python quality_peers.py summarize FILE
    python quality_peers.py rules FILE [--no-duplicates]
    python quality_peers.py ge FILE
"""
import json
import os
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
import resource
import sys
import time

CITIES = ["GZ", "SZ", "FS", "DG", "ZH", "ST", "HZ", "JM"]
COLUMNS = ["id", "station", "start_ts", "end_ts", "city", "category", "reading", "ratio", "count", "status", "email", "note"]


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def summarize(path):
    import duckdb
    con = duckdb.connect()
    started = time.perf_counter()
    rows = con.execute(f"SUMMARIZE SELECT * FROM read_csv('{path}', header=true)").fetchall()
    return {"seconds": time.perf_counter() - started, "columns": len(rows)}


def rules(path, duplicates):
    import duckdb
    con = duckdb.connect()
    cities = ", ".join(f"'{c}'" for c in CITIES)
    dup = ", count(*) - count(DISTINCT {" + ", ".join(f"'{c}': \"{c}\"" for c in COLUMNS) + "}) AS duplicate_rows" if duplicates else ""
    query = f"""
        SELECT count(*) AS rows,
               count(*) FILTER (WHERE reading IS NULL) AS reading_required,
               count(*) FILTER (WHERE reading < 0) AS reading_min,
               count(*) FILTER (WHERE reading > 500) AS reading_max,
               count(*) FILTER (WHERE city IS NOT NULL AND city NOT IN ({cities})) AS city_enum,
               count(*) FILTER (WHERE station IS NOT NULL AND NOT regexp_full_match(station, 'ST[0-9]{{4}}')) AS station_regex,
               count(*) - count(DISTINCT id) AS id_unique,
               count(*) FILTER (WHERE end_ts < start_ts) AS check_end_after_start
               {dup}
        FROM read_csv('{path}', header=true)
    """
    started = time.perf_counter()
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    values = cursor.fetchone()
    return {"seconds": time.perf_counter() - started, "counts": dict(zip(names, values))}


def ge(path):
    import pandas as pd
    import great_expectations as gx
    started = time.perf_counter()
    df = pd.read_csv(path)
    loaded = time.perf_counter()
    context = gx.get_context(mode="ephemeral")
    # No progress bars (GE draws its own tqdm bars whatever TQDM_DISABLE says).
    from great_expectations.data_context.types.base import ProgressBarsConfig
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("bench")
    asset = source.add_dataframe_asset("file")
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(name="six-rules")
    E = gx.expectations
    suite.add_expectation(E.ExpectColumnValuesToNotBeNull(column="reading"))
    suite.add_expectation(E.ExpectColumnValuesToBeBetween(column="reading", min_value=0, max_value=500))
    suite.add_expectation(E.ExpectColumnValuesToBeInSet(column="city", value_set=CITIES))
    suite.add_expectation(E.ExpectColumnValuesToMatchRegex(column="station", regex="^ST[0-9]{4}$"))
    suite.add_expectation(E.ExpectColumnValuesToBeUnique(column="id"))
    suite.add_expectation(E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="end_ts", column_B="start_ts", or_equal=True))
    suite.add_expectation(E.ExpectCompoundColumnsToBeUnique(column_list=COLUMNS))
    # BASIC has the unexpected counts the comparison needs; SUMMARY also counts each unexpected
    # value, about 0.7 s more per million rows.
    result = batch.validate(suite, result_format="BASIC")
    done = time.perf_counter()
    counts = {}
    for r in result.results:
        config = r.expectation_config
        counts[f"{config.type}:{config.kwargs.get('column') or config.kwargs.get('column_A') or 'all'}"] = r.result.get("unexpected_count")
    # pandas 3 keeps text columns in Arrow arrays when pyarrow is installed (as pandas recommends),
    # else in Python objects: GE then took twice as long. Said in the table.
    strings = getattr(df["station"].dtype, "storage", "object")
    return {"seconds": done - started, "loadSeconds": loaded - started, "validateSeconds": done - loaded, "rows": len(df), "counts": counts,
            "version": gx.__version__, "pandas": pd.__version__, "strings": strings}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "summarize":
        out = summarize(path)
    elif mode == "rules":
        out = rules(path, "--no-duplicates" not in sys.argv)
    elif mode == "ge":
        out = ge(path)
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["peakBytes"] = peak_bytes()
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
