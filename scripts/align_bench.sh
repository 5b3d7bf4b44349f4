#!/usr/bin/env bash
# What word alignment costs: benches/alignment.rs on a random-weight model of opus-mt-id-en's shape
# (d_model 512, 6+6 layers, vocabulary 54796), made once into /tmp/bench-model by
# scripts/make_fixture.py opus-shape as scripts/bench.sh makes bench-model/.
#
#     bash scripts/align_bench.sh                            # 16 sentences, 5 rounds
#     TERJEMAH_BENCH_SENTENCES=32 TERJEMAH_BENCH_ROUNDS=3 bash scripts/align_bench.sh
#
# PYTHON (default python3) needs torch, transformers, sentencepiece and safetensors, and only when
# the model is missing; BENCH_MODEL puts the model elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=${BENCH_MODEL:-/tmp/bench-model}
if [[ ! -f $MODEL/model.safetensors ]]; then
    echo "== making $MODEL (random weights, opus-mt-id-en shape)" >&2
    "${PYTHON:-python3}" scripts/make_fixture.py opus-shape --out "$MODEL"
fi
TERJEMAH_BENCH_MODEL=$MODEL cargo bench --bench alignment
