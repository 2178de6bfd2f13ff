#!/usr/bin/env bash
# Measures node start-up: from exec of `dataspace serve` to the first 200 from /healthz,
# on a node directory holding the demo's products (initialized once), RUNS times.
#   usage: Benchmarks/startup.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-20}"
bin="$root/.build/release/dataspace"
[ -x "$bin" ] || swift build -c release --product dataspace >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" init --dir "$work/node" --name "startup" --credit-code 11440100MB2C921900 --region 440100 --sector urban-governance --port "$port" >/dev/null
# Give it some products to index at start-up.
"$bin" serve --dir "$work/node" --log-level error & pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
for i in $(seq 1 200); do
  printf 'station,aqi\nGZ%03d,%d\n' "$i" "$i" > "$work/p.csv"
  "$bin" publish "$work/p.csv" --dir "$work/node" --title "广州市空气质量 $i" --description "AQI $i" --sector green-low-carbon --json >/dev/null
done
kill "$pid"; wait "$pid" || true
times=()
for _ in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$bin" serve --dir "$work/node" --log-level error & pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.005; done
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
  kill "$pid"; wait "$pid" || true
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "start-up to first healthy response, ${runs} runs, 200 products: median ${sorted[$((runs / 2))]} ms, max ${sorted[$((runs - 1))]} ms"
