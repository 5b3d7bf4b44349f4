#!/usr/bin/env bash
# Benchmark terjemah against transformers and CTranslate2 on CPU, from a clean clone:
#
#     bash scripts/bench.sh               # full run: 3 repetitions, about 1 h on 2 idle cores
#     bash scripts/bench.sh --quick       # smoke test
#     bash scripts/bench.sh --reps 1 --systems terjemah,ct2-int8
#
# Arguments go to scripts/bench.py (see its docstring for what is measured). Steps:
#   1. a Python venv in .venv with torch transformers ctranslate2 sentencepiece safetensors
#      (PYTHON=/path/to/python uses that interpreter instead, e.g. an existing venv);
#   2. cargo build --release;
#   3. bench-model/ (random weights, opus-mt-id-en shape, scripts/make_fixture.py opus-shape), its
#      CTranslate2 conversions bench-model/ct2-f32 and bench-model/ct2-int8, and bench-model-pt/ (the same
#      model with pytorch_model.bin instead of model.safetensors); each is made once and then reused;
#   4. scripts/bench.py: Markdown table on stdout, JSON in bench-results.json;
#   5. scripts/int8_agreement.py: how often int8 outputs equal f32 ones, terjemah and CTranslate2, on the
#      trained fixture (the random bench model says nothing about that); JSON in int8-agreement.json.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(torch transformers ctranslate2 sentencepiece safetensors)

if [[ -z "${PYTHON:-}" ]]; then
    if [[ ! -x .venv/bin/python ]]; then
        echo "== creating .venv" >&2
        python3 -m venv .venv
    fi
    PYTHON=.venv/bin/python
    if ! "$PYTHON" -c "import torch, transformers, ctranslate2, sentencepiece, safetensors" 2>/dev/null; then
        echo "== installing ${PACKAGES[*]} into .venv" >&2
        "$PYTHON" -m pip install --upgrade pip
        # CPU wheels of torch: the benchmark never uses a GPU, and they are a fraction of the size.
        "$PYTHON" -m pip install torch --index-url https://download.pytorch.org/whl/cpu \
            || "$PYTHON" -m pip install torch  # where only PyPI is reachable
        "$PYTHON" -m pip install "${PACKAGES[@]}"
    fi
fi
"$PYTHON" -c "import torch, transformers, ctranslate2, sentencepiece, safetensors" \
    || { echo "$PYTHON lacks one of: ${PACKAGES[*]}" >&2; exit 1; }
PYBIN=$(dirname "$PYTHON")

echo "== cargo build --release" >&2
cargo build --release

if [[ ! -f bench-model/model.safetensors ]]; then
    echo "== making bench-model (random weights, opus-mt-id-en shape)" >&2
    "$PYTHON" scripts/make_fixture.py opus-shape --out bench-model
fi

# The converter's entry point lives next to the interpreter; fall back to the module.
convert() {
    if [[ -x "$PYBIN/ct2-transformers-converter" ]]; then
        "$PYBIN/ct2-transformers-converter" "$@"
    else
        "$PYTHON" -m ctranslate2.converters.transformers "$@"
    fi
}
for q in f32 int8; do
    out=bench-model/ct2-$q
    # Redo the conversion when the model is newer than it.
    if [[ ! -f $out/model.bin || bench-model/model.safetensors -nt $out/model.bin ]]; then
        echo "== converting bench-model to CTranslate2 ($q)" >&2
        quant=$([[ $q == f32 ]] && echo float32 || echo int8)
        convert --model bench-model --output_dir "$out" --quantization "$quant" --force
    fi
done

if [[ ! -f bench-model-pt/pytorch_model.bin || bench-model/model.safetensors -nt bench-model-pt/pytorch_model.bin ]]; then
    echo "== making bench-model-pt (pytorch_model.bin copy)" >&2
    "$PYTHON" - <<'EOF'
"""bench-model-pt/: bench-model's files with pytorch_model.bin (zip pickle) instead of model.safetensors.
Like opus-mt's own pickles it lists the tied embedding under every name, sharing one storage."""
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file

src, dst = Path("bench-model"), Path("bench-model-pt")
dst.mkdir(exist_ok=True)
for f in src.iterdir():
    if f.is_file() and f.name != "model.safetensors":
        shutil.copy(f, dst / f.name)
state = load_file(src / "model.safetensors")
shared = state["model.shared.weight"]
for name in ["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"]:
    state[name] = shared
torch.save(state, dst / "pytorch_model.bin.tmp")
(dst / "pytorch_model.bin.tmp").replace(dst / "pytorch_model.bin")
EOF
fi

echo "== scripts/bench.py $*" >&2
"$PYTHON" scripts/bench.py "$@"

echo "== scripts/int8_agreement.py (int8 vs f32 outputs on the trained fixture)" >&2
"$PYTHON" scripts/int8_agreement.py
