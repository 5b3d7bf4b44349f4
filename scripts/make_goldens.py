#!/usr/bin/env python3
"""Record transformers' behaviour on the fixture model, for the Rust parity tests.

    python3 -m pip install torch transformers sentencepiece safetensors   # once
    python3 scripts/make_goldens.py --model models/fixture --out tests/data/parity

Writes JSON Lines files:
  tokenizer.jsonl  source text → MarianTokenizer ids and their decoding (skip_special_tokens=True),
                   English text → target ids and their decoding
  generate.jsonl   source text → ids, greedy and beam-4 generations (ids without the decoder start
                   token, and decoded text), each sentence generated alone
  short.jsonl      the same with max_length=6, where EOS is forced at the last position
  norepeat.jsonl   greedy generations with no_repeat_ngram_size=3 (the pipeline's retry of
                   looping outputs), for the sentences whose plain greedy output it changes
"""
import argparse
import json
from pathlib import Path

import torch
from transformers import MarianMTModel, MarianTokenizer

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = 150  # as in make_fixture.py

TRICKY = [
    "",
    " ",
    "  Halo   dunia  ",
    "Halo\tdunia\t",
    "Halo\ndunia",
    "ŁŁŁ test ŁŁŁŁ",
    "Ｆｕｌｌｗｉｄｔｈ １２３ ｋｍ",
    "ﬁnal ﬂoor ½ ²",
    "Ada emoji 😀🙏 di sini.",
    ">>eng<< Saya makan nasi.",
    "Café naïve résumé.",
    "Harga Rp15.720,00 naik 2,75%.",
    "Kirim e-mail ke redaksi@kompas.co.id atau https://kompas.com/a.b?c=d.",
    "Jarak\u00a0tipis dan\u2009sempit.",
    "e\u0301 dan e\u0301\u0301",
    "zero\u200bwidth\u200djoin",
    "日本語 dan 中文",
    "مرحبا بالعالم",
    "Teks <unk> dan </s> serta <pad>.",
    "\u2581 awal",
    "bel\x07 kontrol\x1f",
    "baris\u2028pemisah",
    "“Kutipan” «lain» ‘tunggal’ — pisah…",
    "SEMUA HURUF BESAR DI JUDUL",
    "[iklan_2]",
    "Foto: KCNA",
]


def data_lines(name, side):
    return (ROOT / "data" / f"{name}.{side}").read_text(encoding="utf-8").splitlines()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "fixture")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "parity")
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = MarianTokenizer.from_pretrained(str(args.model))
    model = MarianMTModel.from_pretrained(str(args.model)).eval()
    args.out.mkdir(parents=True, exist_ok=True)

    held_id, held_en, train_id = [], [], []
    for name in ["tatoeba", "tico19"]:
        ids, ens = data_lines(name, "id"), data_lines(name, "en")
        held_id += ids[-HELD_OUT:]
        held_en += ens[-HELD_OUT:]
        train_id += ids[: -HELD_OUT][::40]
    news = (ROOT / "tests" / "data" / "news-kcna.id.txt").read_text(encoding="utf-8").splitlines()

    with open(args.out / "tokenizer.jsonl", "w", encoding="utf-8") as f:
        for text in TRICKY + news + held_id + train_id:
            ids = tok(text).input_ids
            f.write(json.dumps({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")
        for text in held_en:
            ids = tok(text_target=text).input_ids
            f.write(json.dumps({"target": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")

    def generations(texts, searches=(("greedy", 1), ("beam4", 4)), **kw):
        rows = []
        for text in texts:
            enc = tok([text], return_tensors="pt")
            row = {"text": text, "ids": enc.input_ids[0].tolist()}
            for key, beams in searches:
                with torch.no_grad():
                    out = model.generate(**enc, num_beams=beams, **kw)[0].tolist()[1:]
                while out and out[-1] == model.config.pad_token_id:
                    out.pop()
                row[key] = out
                row[key + "_text"] = tok.decode(out, skip_special_tokens=True)
            rows.append(row)
        return rows

    sentences = [t for t in TRICKY if t.strip()] + news + held_id + train_id[:100]
    plain = generations(sentences)
    with open(args.out / "generate.jsonl", "w", encoding="utf-8") as f:
        for row in plain:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    blocked = generations(sentences, searches=(("greedy", 1),), no_repeat_ngram_size=3)
    with open(args.out / "norepeat.jsonl", "w", encoding="utf-8") as f:
        for row, before in zip(blocked, plain):
            if row["greedy"] != before["greedy"]:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(args.out / "short.jsonl", "w", encoding="utf-8") as f:
        for row in generations(held_id[:40], max_length=6):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
