"""OpenDP on Polars as the peer of `dataspace bench dp`: the same file, the same release — a
count and a sum of cost bounded to 0..5000 per district, districts public (invariant keys), each
row one privacy unit, pure ε with Laplace-family integer noise. The file is read into memory
first (as our engine's store is built once per product version); the median of the releases
is reported. Prints one JSON object.
    usage: dp_peer.py CSV EPSILON REPEATS
"""
import json
import statistics
import sys
import time
import warnings

import opendp.prelude as dp
import polars as pl

dp.enable_features("contrib")
# dp.len()'s default (counts clamped at zero) is announced to change; it does not change the timing.
warnings.filterwarnings("ignore", category=FutureWarning)


def margin(rows):
    # The margin's parameter names changed across OpenDP releases.
    try:
        return dp.polars.Margin(by=["district"], invariant="keys", max_length=rows)
    except TypeError:
        return dp.polars.Margin(by=["district"], public_info="keys", max_partition_length=rows)


def context(frame, epsilon):
    args = dict(data=frame.lazy(), privacy_unit=dp.unit_of(contributions=1), privacy_loss=dp.loss_of(epsilon=epsilon), split_evenly_over=1)
    try:
        return dp.Context.compositor(margins=[margin(frame.height)], **args)
    except TypeError:
        return dp.Context.compositor(margins={("district",): margin(frame.height)}, **args)


def main():
    path, epsilon, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    start = time.perf_counter()
    frame = pl.read_csv(path, schema_overrides={"resident": pl.String, "district": pl.String, "cost": pl.Int64})
    load = time.perf_counter() - start
    times = []
    released = None
    for _ in range(repeats):
        query = context(frame, epsilon).query().group_by("district").agg(dp.len(), pl.col("cost").fill_null(0).dp.sum((0, 5000)))
        start = time.perf_counter()
        released = query.release().collect()
        times.append(time.perf_counter() - start)
    print(json.dumps({"loadSeconds": load, "seconds": statistics.median(times), "groups": released.height, "opendp": dp.__version__ if hasattr(dp, "__version__") else "?"}))


if __name__ == "__main__":
    main()
