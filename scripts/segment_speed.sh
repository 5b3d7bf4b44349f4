#!/usr/bin/env bash
# Throughput of `terjemah segment` (the sentence segmenter, src/text/segment.rs) in MB/s:
#
#     bash scripts/segment_speed.sh                        # target/release/terjemah, built if missing
#     bash scripts/segment_speed.sh /tmp/seg-before/terjemah  # also that binary, and the ratio
#
# The input is about 20 MB: the lines of data/tico19.id and data/tatoeba.id, repeated (SOURCES="a b"
# repeats other files instead, e.g. the gold files for text dense in abbreviations). Each binary
# segments it RUNS times (default 5) with its output discarded; the median wall time gives MB/s.
# The time includes reading the file and writing the sentences, so it is a floor on the
# segmenter's own speed.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
read -r -a SOURCES <<<"${SOURCES:-data/tico19.id data/tatoeba.id}"
BASELINE=${1:-}
BIN=target/release/terjemah
[[ -x $BIN ]] || cargo build --release --quiet

INPUT=$(mktemp --suffix=.id)
trap 'rm -f "$INPUT"' EXIT
while (($(stat -c %s "$INPUT") < 20 * 1000 * 1000)); do
    cat "${SOURCES[@]}" >>"$INPUT"
done
BYTES=$(stat -c %s "$INPUT")

# Median wall seconds of RUNS runs of `$1 segment INPUT`.
median_seconds() {
    local times=() start end
    for ((run = 0; run < RUNS; run++)); do
        start=$(date +%s%N)
        "$1" segment "$INPUT" >/dev/null
        end=$(date +%s%N)
        times+=("$(((end - start) / 1000))")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{t[NR] = $1} END {print t[int((NR + 1) / 2)] / 1e6}'
}

report() {
    awk -v name="$1" -v s="$2" -v b="$BYTES" 'BEGIN {printf "%-32s %6.3f s  %7.1f MB/s\n", name, s, b / s / 1e6}'
}

echo "input: $BYTES bytes of ${SOURCES[*]}, median of $RUNS runs"
NEW=$(median_seconds "$BIN")
report "$BIN" "$NEW"
if [[ -n $BASELINE ]]; then
    OLD=$(median_seconds "$BASELINE")
    report "$BASELINE" "$OLD"
    awk -v new="$NEW" -v old="$OLD" 'BEGIN {printf "ratio (baseline time / new time): %.2f\n", old / new}'
fi
