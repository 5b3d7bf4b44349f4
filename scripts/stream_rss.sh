#!/usr/bin/env bash
# Peak RSS of a streamed line run on a 50,000-line and a 5,000,000-line input:
#
#     bash scripts/stream_rss.sh            # about 2 min on 2 cores
#
# Both inputs are data/tatoeba.id sentences, one every 100 lines, the other 99 lines blank: the
# 5M-line file is 5 M lines (50,000 sentences) through the line reader, the window, the writer and
# the checkpoint, while the fixture model's time stays a minute. Blank lines are read, windowed and
# written like any other line; they only skip the model. Both run with the default --window, greedy
# search and --max-length 2 (one output token, so decoding does not dominate), -o FILE (partial,
# fsync and checkpoint per window). Prints both peaks (`/usr/bin/time -f %M`, KiB) and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sentences are the same 500 in both files (every 8th line of data/tatoeba.id, cycled), so that
# both runs see the same lengths: the peak follows the longest batch, and a 50,000-line file cut
# from the start of the data would lack the long sentences the 5M-line one meets later.
make_input() { # LINES FILE
    awk -v n="$1" 'BEGIN { while ((getline l < "data/tatoeba.id") > 0) if (r++ % 8 == 0 && k < 500) s[k++] = l
        for (i = 0; i < n; i++) print (i % 100 == 0 ? s[(i / 100) % k] : "") }' > "$2"
}

peak() { # LINES
    make_input "$1" "$work/in.txt"
    /usr/bin/time -f %M -o "$work/rss" target/release/terjemah translate --input-format lines \
        --model-dir models/fixture --beams 1 --max-length 2 -q "$work/in.txt" -o "$work/out.txt"
    [[ $(wc -l < "$work/out.txt") -eq $1 ]] || { echo "output line count differs" >&2; exit 1; }
    cat "$work/rss"
}

small=$(peak 50000)
large=$(peak 5000000)
echo "peak RSS, 50,000 lines:    $small KiB"
echo "peak RSS, 5,000,000 lines: $large KiB"
awk -v a="$small" -v b="$large" 'BEGIN { printf "ratio 5M / 50k: %.2f\n", b / a }'
