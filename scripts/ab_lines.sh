#!/usr/bin/env bash
# Two terjemah binaries side by side on the same line-mode run, interleaved, ROUNDS times
# (default 7): median seconds of each and the ratio B/A, greedy and beam 4. Used to show that a
# change adds nothing to runs that do not use it (e.g. word alignment: A built from the commit
# before it, B from main). The outputs must be byte-identical, or it fails.
#   bash scripts/ab_lines.sh A_BIN B_BIN [MODEL_DIR] [LINES]
# MODEL_DIR defaults to /tmp/bench-model (the random opus-mt-id-en-shape model that
# scripts/align_bench.sh makes); LINES to the first 32 lines of data/bench.id. Outputs are fixed
# at 48 new tokens, as in scripts/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 model=${3:-/tmp/bench-model} rounds=${ROUNDS:-7}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -n ${4:-} ]]; then cp "$4" "$tmp/in.id"; else head -n 32 data/bench.id >"$tmp/in.id"; fi
run() { # BIN BEAMS OUT -> seconds
    local start end
    start=$(date +%s.%N)
    "$1" translate --input-format lines --model-dir "$model" --device cpu --beams "$2" \
        --batch-size 16 --max-batch-tokens 100000 --min-new-tokens 48 --max-length 49 --quiet \
        "$tmp/in.id" -o "$3"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for beams in 1 4; do
    : >"$tmp/a.t"
    : >"$tmp/b.t"
    for ((r = 0; r < rounds; r++)); do
        run "$a" "$beams" "$tmp/a.en" >>"$tmp/a.t"
        run "$b" "$beams" "$tmp/b.en" >>"$tmp/b.t"
        cmp -s "$tmp/a.en" "$tmp/b.en" || { echo "outputs differ (beams $beams)"; exit 1; }
    done
    ma=$(median <"$tmp/a.t") mb=$(median <"$tmp/b.t")
    printf 'beams %d: A %.2f s, B %.2f s (medians of %d), B/A %.3f\n' "$beams" "$ma" "$mb" "$rounds" \
        "$(echo "$mb / $ma" | bc -l)"
done
