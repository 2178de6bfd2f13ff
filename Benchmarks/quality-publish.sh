#!/usr/bin/env bash
# Publish time against the assessment alone, on the quality benchmark's file: `dataspace quality`
# (profile + six rules + duplicate rows) and then `dataspace publish` of the same file with the
# same rules to a node on loopback (upload, SHA-256, store, assessment, signed report, record).
#   usage: Benchmarks/quality-publish.sh [ROWS]   (after Benchmarks/quality-peer.sh made the file)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rows="${1:-10000000}"
bin="${DATASPACE_BIN:-$root/.build/release/dataspace}"
if [ ! -x "$bin" ]; then
  # Before any timing starts, but a first release build takes minutes: say so.
  echo "no release build at $bin: building one first (several minutes on two cores; DATASPACE_BIN=path skips this)" >&2
  swift build -c release --product dataspace >&2
fi
dir="${TMPDIR:-/tmp}/dataspace-quality-bench"
file="$dir/bench-$rows.csv"
rules="$dir/quality.yaml"
[ -f "$file" ] || { echo "no $file: run Benchmarks/quality-peer.sh $rows first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" init --dir "$work/node" --name "publish-bench" --credit-code 11440100MB2C921900 --region 440100 --sector urban-governance --port "$port" >/dev/null
"$bin" serve --dir "$work/node" --log-level error & pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
cat "$file" > /dev/null   # both runs start with the file in the page cache
start=$(date +%s%N)
"$bin" quality "$file" --rules "$rules" --json > "$work/quality.json"
assessed=$(date +%s%N)
"$bin" publish "$file" --dir "$work/node" --title "质量基准 $rows 行" --description "benchmark" --sector urban-governance --rules "$rules" --json > "$work/publish.json"
published=$(date +%s%N)
python3 - "$start" "$assessed" "$published" <<'PY'
import sys
start, assessed, published = (int(x) for x in sys.argv[1:])
a, p = (assessed - start) / 1e9, (published - assessed) / 1e9
print(f"assessment alone (dataspace quality): {a:.2f} s")
print(f"publish (upload, store, assess, sign, record): {p:.2f} s")
print(f"publish / assessment: {p / a:.2f}x")
PY
