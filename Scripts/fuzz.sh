#!/usr/bin/env bash
# Runs one fuzz target (or all) under libFuzzer with AddressSanitizer.
#   usage: Scripts/fuzz.sh TARGET|all SECONDS [extra libFuzzer flags]
# Targets are in Sources/DataspaceFuzzTargets; seeds in Fuzz/corpus/TARGET (plus, for json, dsp
# and odrl, the DSP 2025-1 examples in $DATASPACE_REFERENCE when set). The growing corpus lives in
# .build-fuzz/corpus/TARGET; a crash is written to .build-fuzz/crashes/ and the script fails —
# copy the input to Fuzz/regressions/TARGET/ so `swift test` keeps replaying it.
# Prints one line per target: executions, executions per second, corpus size, result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${1:?usage: Scripts/fuzz.sh TARGET|all SECONDS}"
seconds="${2:?usage: Scripts/fuzz.sh TARGET|all SECONDS}"
shift 2
scratch="$root/.build-fuzz"
mkdir -p "$scratch"
# The sanitizer runtime makes the linker warn about symbols it cannot export; keep the build's
# output in a log and show it only if the build fails.
if ! swift build --scratch-path "$scratch" --product dataspace-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -parse-as-library >"$scratch/build.log" 2>&1; then
  cat "$scratch/build.log" >&2
  exit 1
fi
bin="$scratch/debug/dataspace-fuzz"
if [ "$target" = all ]; then targets=$(ls Fuzz/corpus); else targets="$target"; fi
status=0
for t in $targets; do
  [ -d "Fuzz/corpus/$t" ] || { echo "unknown target $t; one of: $(ls Fuzz/corpus | tr '\n' ' ')" >&2; exit 64; }
  work="$scratch/corpus/$t"
  mkdir -p "$work" "$scratch/crashes"
  seeds=("Fuzz/corpus/$t")
  if [ -n "${DATASPACE_REFERENCE:-}" ] && [ -d "$DATASPACE_REFERENCE/dsp-2025-1" ] && [[ "$t" =~ ^(json|dsp|odrl|records)$ ]]; then
    extra="$scratch/reference-seeds"
    mkdir -p "$extra"
    find "$DATASPACE_REFERENCE/dsp-2025-1" -path '*example*' -name '*.json' -exec cp {} "$extra/" \;
    seeds+=("$extra")
  fi
  log="$scratch/$t.log"
  if DATASPACE_FUZZ_TARGET="$t" ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -timeout=10 \
      -artifact_prefix="$scratch/crashes/$t-" -print_final_stats=1 "$@" "$work" "${seeds[@]}" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log and $scratch/crashes/)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  corpus=$(ls "$work" | wc -l)
  printf '%-14s %12s execs %8s/s  corpus %6s  %s\n' "$t" "$runs" "$rate" "$corpus" "$result"
done
exit $status
