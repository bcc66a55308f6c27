#!/usr/bin/env bash
# Whole-process benchmark: regenerates the corpora and compares breachscope with the ripgrep
# baseline of ../shared/bench/README.md in the same run (hyperfine, warm page cache), then
# prints the ratios, peak memory, start-up time and the document-heavy corpus throughput.
#
#   scripts/bench.sh                 # 1 GiB corpus, 5 runs each
#   SIZE=100M RUNS=3 scripts/bench.sh
#   PAIRS=0 scripts/bench.sh         # no interleaved pairs for scaling (5 by default)
#   BIG=1 scripts/bench.sh           # also peak memory on a 4 GiB text file and on a 2 GiB gzip
#                                    # member inside a zip (needs about 7 GB of disk in $WORK)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
RUNS=${RUNS:-5}
DOCS_SIZE=${DOCS_SIZE:-200M}
SHARED=${SHARED:-../shared}
WORK=${WORK:-/tmp/breachscope-bench}
mkdir -p "$WORK"
corpus="$WORK/corpus_$SIZE"
docs="$WORK/docs_$DOCS_SIZE"
[ -d "$corpus" ] || python3 "$SHARED/bench/gen_corpus.py" --size "$SIZE" --out "$corpus" --seed 42
[ -d "$docs" ] || python3 scripts/gen_docs_corpus.py --size "$DOCS_SIZE" --out "$docs" --seed 42
command -v rg >/dev/null && command -v hyperfine >/dev/null || {
  echo "needs ripgrep and hyperfine (apt-get install ripgrep hyperfine)" >&2
  exit 2
}
cargo build --release --quiet
bin=target/release/breachscope
export BREACHSCOPE_FINGERPRINT_KEY=bench-fingerprint-key-0123456789
# Warm the page cache so both tools read from memory.
find "$corpus" "$docs" -type f -exec cat {} + >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# `--threads 1` sets the detection workers; the walker, the aggregator and the threads that
# write findings.csv and the tables still run beside them, on the second core when there is
# one. The last command pins the whole process to one core, so scaling is also measured per core.
one_core=()
command -v taskset >/dev/null && one_core=(-n "breachscope, one core" "taskset -c 0 $bin scan $corpus --out $WORK/report1c --force --quiet --threads 1")
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/main.json" \
  -n "ripgrep -j2 (baseline)" "rg --no-config -uu -a --no-unicode -j 2 --count-matches -f $SHARED/bench/rg-baseline-patterns.txt $corpus > /dev/null" \
  -n "breachscope --threads 2" "$bin scan $corpus --out $WORK/report2 --force --quiet --threads 2" \
  -n "breachscope --threads 1" "$bin scan $corpus --out $WORK/report1 --force --quiet --threads 1" \
  "${one_core[@]}"
python3 - "$WORK/main.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = results["ripgrep -j2 (baseline)"]["median"]
for name, r in results.items():
    print(f"{name:28s} median {r['median']:7.3f} s   ratio to ripgrep {r['median'] / base:5.2f}x")
one, two = results["breachscope --threads 1"]["median"], results["breachscope --threads 2"]["median"]
print(f"scaling: 2 threads are {one / two:.2f}x faster than 1")
if "breachscope, one core" in results:
    core = results["breachscope, one core"]["median"]
    print(f"scaling per core: 2 threads on 2 cores are {core / two:.2f}x faster than 1 thread on 1 core")
PY
# hyperfine runs each command's runs in one block, so a machine that slows down while one block
# runs and not the other moves the scaling ratio. Pairs run back to back (2 threads, then 1)
# share their minutes: the median of their ratios is the scaling figure the noise moves least.
PAIRS=${PAIRS:-5}
for i in $(seq "$PAIRS"); do
  for t in 2 1; do
    /usr/bin/time -f %e -o "$WORK/pair-$i-$t" "$bin" scan "$corpus" --out "$WORK/report$t" --force --quiet --threads "$t"
  done
done
if [ "$PAIRS" -gt 0 ]; then
  python3 - "$WORK" "$PAIRS" <<'PY'
import statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
seconds = lambda i, t: float(open(f"{work}/pair-{i}-{t}").read().split()[-1])
ratios = []
for i in range(1, pairs + 1):
    two, one = seconds(i, 2), seconds(i, 1)
    ratios.append(one / two)
    print(f"pair {i}: 2 threads {two:.2f} s, 1 thread {one:.2f} s, ratio {one / two:.2f}x")
print(f"scaling in interleaved pairs: median {statistics.median(ratios):.2f}x "
      f"(lowest {min(ratios):.2f}x, highest {max(ratios):.2f}x)")
PY
fi
echo "peak RSS (KiB), 2 threads: $(/usr/bin/time -f %M "$bin" scan "$corpus" --out "$WORK/report2" --force --quiet --threads 2 2>&1 >/dev/null | tail -1)"
mkdir -p "$WORK/empty"
# Rule regexes compile when a chunk first needs them: the empty share measures start-up, the
# sample share a small share that wakes most rules.
hyperfine --warmup 3 --runs 20 -N -n "start-up (empty share)" "$bin scan $WORK/empty --out $WORK/report-empty --force --quiet" | grep -E "Time|start-up"
hyperfine --warmup 3 --runs 20 -N -n "sample share (examples/sample-share)" "$bin scan examples/sample-share --out $WORK/report-sample --force --quiet" | grep -E "Time|sample"
hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/docs.json" -n "breachscope docs --threads 2" "$bin scan $docs --out $WORK/report-docs --force --quiet --threads 2" >/dev/null
python3 - "$WORK/docs.json" "$docs" "$WORK/report-docs/summary.json" <<'PY'
import json, os, sys
median = json.load(open(sys.argv[1]))["results"][0]["median"]
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[2]) for f in fs)
text = json.load(open(sys.argv[3]))["counts"]["text_bytes"]
print(f"document corpus: {size / 2**20:.0f} MiB in {median:.2f} s = {size / 2**20 / median:.0f} MiB/s of input, "
      f"{text / 2**20:.0f} MiB of extracted text = {text / 2**20 / median:.0f} MiB/s of text (2 threads)")
PY
if [ "${BIG:-0}" = 1 ]; then
  big="$WORK/big"
  mkdir -p "$big/text" "$big/zip"
  log="$corpus/var/log/api-gateway/api-server.log"
  # 4 GiB of real log lines (the corpus's largest log, repeated), one file.
  if [ ! -f "$big/text/big4g.log" ]; then
    while [ "$(stat -c %s "$big/text/big4g.log" 2>/dev/null || echo 0)" -lt 4294967296 ]; do
      cat "$log" >> "$big/text/big4g.log"
    done
  fi
  # A 2 GiB text as a gzip member, stored in a zip.
  if [ ! -f "$big/zip/logs.zip" ]; then
    head -c 2147483648 "$big/text/big4g.log" | gzip -1 > "$big/logs-2g.log.gz"
    (cd "$big" && zip -0 -q zip/logs.zip logs-2g.log.gz && rm logs-2g.log.gz)
  fi
  for target in "$big/text" "$big/zip"; do
    /usr/bin/time -f "$(basename "$target"): %e s wall, peak RSS %M KiB" \
      "$bin" scan "$target" --out "$WORK/report-big" --force --quiet --threads 2
  done
fi
