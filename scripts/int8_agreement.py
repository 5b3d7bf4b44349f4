#!/usr/bin/env python3
"""How often int8 translations equal f32 ones, for terjemah and for CTranslate2, on a trained model.

The benchmark's opus-shaped model has random weights, where agreement says nothing, so this uses the trained
fixture (models/fixture) and its held-out sentences (the last 150 lines of data/tatoeba.id and data/tico19.id,
which training never saw). For each engine and each search (greedy, beam 4) it translates them at f32 and at
int8 and counts identical outputs: terjemah compares its output text, CTranslate2 its output tokens (same
model, converted with ct2-transformers-converter to float32 and int8 in a temporary folder).

    python scripts/int8_agreement.py [--model models/fixture] [--json int8-agreement.json]

Needs ctranslate2 and sentencepiece (scripts/bench.sh installs them) and a release build of terjemah.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = 150


def held_out_sentences():
    lines = []
    for name in ["tatoeba.id", "tico19.id"]:
        text = (ROOT / "data" / name).read_text(encoding="utf-8").splitlines()
        lines += [l for l in text[-HELD_OUT:] if l.strip()]
    return lines


def terjemah(binary, model, input_path, beams, quantize):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.en"
        cmd = [str(binary), "translate", "--input-format", "lines", "--model-dir", str(model), "--device", "cpu",
               "--beams", str(beams), "-q", str(input_path), "-o", str(out)]  # fmt: skip
        if quantize:
            cmd += ["--quantize", "int8"]
        subprocess.run(cmd, check=True)
        return out.read_text(encoding="utf-8").split("\n")


def converter():
    exe = Path(sys.executable).parent / "ct2-transformers-converter"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ctranslate2.converters.transformers"]


def ctranslate2_outputs(model, sentences, tmp):
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model / "source.spm"))
    tokens = [sp.encode(s, out_type=str) + ["</s>"] for s in sentences]
    outputs = {}
    for quant in ["float32", "int8"]:
        out_dir = Path(tmp) / f"ct2-{quant}"
        subprocess.run(converter() + ["--model", str(model), "--output_dir", str(out_dir), "--quantization", quant,
                                      "--force"], check=True, capture_output=True)  # fmt: skip
        translator = ctranslate2.Translator(str(out_dir), device="cpu", compute_type=quant, intra_threads=2)
        for beams in [1, 4]:
            results = translator.translate_batch(tokens, beam_size=beams, max_batch_size=64)
            outputs[(quant, beams)] = [" ".join(r.hypotheses[0]) for r in results]
    return outputs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "fixture")
    ap.add_argument("--terjemah", type=Path, default=ROOT / "target" / "release" / "terjemah")
    ap.add_argument("--json", type=Path, default=ROOT / "int8-agreement.json")
    args = ap.parse_args()
    sentences = held_out_sentences()
    report = {"model": str(args.model), "sentences": len(sentences), "agreement": []}
    with tempfile.TemporaryDirectory() as tmp:
        input_path = Path(tmp) / "held-out.id"
        input_path.write_text("\n".join(sentences) + "\n", encoding="utf-8")
        for beams in [1, 4]:
            f32 = terjemah(args.terjemah, args.model, input_path, beams, False)
            int8 = terjemah(args.terjemah, args.model, input_path, beams, True)
            same = sum(a == b for a, b in zip(f32[: len(sentences)], int8[: len(sentences)]))
            report["agreement"].append({"engine": "terjemah", "beams": beams, "same": same})
        if _has_ctranslate2():
            ct2 = ctranslate2_outputs(args.model, sentences, tmp)
            for beams in [1, 4]:
                a, b = ct2[("float32", beams)], ct2[("int8", beams)]
                report["agreement"].append({"engine": "ctranslate2", "beams": beams,
                                            "same": sum(x == y for x, y in zip(a, b))})  # fmt: skip
        else:
            print("ctranslate2 is not installed: terjemah only", file=sys.stderr)
    n = report["sentences"]
    print(f"int8 vs f32 on {n} held-out sentences, model {args.model}:")
    print("| engine | search | int8 = f32 |")
    print("| --- | --- | ---: |")
    for row in report["agreement"]:
        search = "greedy" if row["beams"] == 1 else f"beam {row['beams']}"
        print(f"| {row['engine']} | {search} | {row['same']}/{n} ({100 * row['same'] / n:.1f}%) |")
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _has_ctranslate2():
    try:
        import ctranslate2  # noqa: F401
        import sentencepiece  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
