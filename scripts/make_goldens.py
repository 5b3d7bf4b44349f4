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
  attention.jsonl  greedy and beam-4 generations of a few held-out sentences, in padded batches, with
                   each generated token's cross-attention row (one decoder layer, mean over heads)
                   and the word alignment read from them (see attention_goldens)

The whole run takes about 40 minutes; `--only attention` writes attention.jsonl alone in seconds.
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


ATTENTION_SENTENCES = 12
ATTENTION_BATCH = 4


def significant(x):
    return float(f"{x:.5g}")


def word_alignment(tok, text, source_ids, generated, rows):
    """The word alignment rule of src/search/align.rs, written again from its description.

    Each generated token but EOS takes the source token its attention row weighs most (the final
    </s> left out, the first of equal maxima); tokens are grouped into words where a piece starts
    with ▁, on both sides; a (source word, target word) pair is aligned if any of their tokens are.
    """
    pieces = tok.tokenize(text)
    assert len(pieces) + 1 == len(source_ids), (text, pieces)
    source_word, n = [], -1
    for piece in pieces:
        if piece.startswith("\u2581") or n < 0:
            n += 1
        source_word.append(n)
    # The rule maps SentencePiece words to the text's words by index when they are as many.
    assert n + 1 == len(text.split()), (text, pieces)
    special = set(tok.all_special_ids)
    words, current = [], None
    for t, token in enumerate(generated):
        if token in special:
            continue
        piece = tok.convert_ids_to_tokens(token)
        if current is None or piece.startswith("\u2581"):
            current = {"pieces": [], "tokens": []}
            words.append(current)
        current["pieces"].append(piece)
        current["tokens"].append(t)
    # A word of ▁ alone has no text: the output's words do not count it.
    words = [w for w in words if "".join(w["pieces"]).replace("\u2581", " ").strip()]
    decoded = tok.decode(generated, skip_special_tokens=True)
    assert ["".join(w["pieces"]).replace("\u2581", " ").strip() for w in words] == decoded.split(), decoded
    pairs = set()
    for target, word in enumerate(words):
        for t in word["tokens"]:
            row = rows[t][: len(source_ids) - 1]
            if row:
                pairs.add((source_word[row.index(max(row))], target))
    return sorted(pairs)


def attention_goldens(tok, model, held_id, path):
    """Sentences of spread lengths, generated ATTENTION_BATCH at a time (padded): ids, the layer's
    rows (step t's row over the sentence's own source tokens, </s> included, padding cut) and the
    word alignment."""
    layer = max(model.config.decoder_layers - 2, 0)
    by_length = sorted(set(held_id), key=lambda t: (len(tok(t).input_ids), t))
    step = len(by_length) / ATTENTION_SENTENCES
    picked = [by_length[int(i * step + step / 2)] for i in range(ATTENTION_SENTENCES)]
    # Interleaved long and short, so that every batch is padded.
    texts = [t for pair in zip(picked[::2], picked[1::2][::-1]) for t in pair]
    rows_out = [{"text": t, "layer": layer} for t in texts]
    for key, beams in (("greedy", 1), ("beam4", 4)):
        for start in range(0, len(texts), ATTENTION_BATCH):
            batch = texts[start : start + ATTENTION_BATCH]
            enc = tok(batch, return_tensors="pt", padding=True)
            with torch.no_grad():
                out = model.generate(**enc, num_beams=beams, output_attentions=True, return_dict_in_generate=True)
            for i, text in enumerate(batch):
                row = rows_out[start + i]
                source_ids = tok(text).input_ids
                row["ids"] = source_ids
                generated = out.sequences[i].tolist()[1:]
                while generated and generated[-1] == model.config.pad_token_id:
                    generated.pop()
                steps = []
                for t in range(len(generated)):
                    # Beam outputs have batch × beams rows; beam_indices names, per token, the row
                    # (over all of them) whose step produced it.
                    r = i if beams == 1 else int(out.beam_indices[i, t])
                    assert r >= 0
                    probs = out.cross_attentions[t][layer][r, :, 0, :].mean(0)
                    steps.append([significant(x) for x in probs[: len(source_ids)].tolist()])
                    assert float(probs[len(source_ids):].sum()) < 1e-6, "attention on padding"
                row[key] = generated
                row[key + "_text"] = tok.decode(generated, skip_special_tokens=True)
                row[key + "_attention"] = steps
                row[key + "_alignment"] = word_alignment(tok, text, source_ids, generated, steps)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows_out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "fixture")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "parity")
    ap.add_argument("--only", choices=["attention"], help="write only this golden file")
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = MarianTokenizer.from_pretrained(str(args.model))
    # Eager attention: the fused kernels return no attention probabilities.
    model = MarianMTModel.from_pretrained(str(args.model), attn_implementation="eager").eval()
    args.out.mkdir(parents=True, exist_ok=True)

    held_id, held_en, train_id = [], [], []
    for name in ["tatoeba", "tico19"]:
        ids, ens = data_lines(name, "id"), data_lines(name, "en")
        held_id += ids[-HELD_OUT:]
        held_en += ens[-HELD_OUT:]
        train_id += ids[: -HELD_OUT][::40]
    news = (ROOT / "tests" / "data" / "news-kcna.id.txt").read_text(encoding="utf-8").splitlines()

    attention_goldens(tok, model, held_id, args.out / "attention.jsonl")
    if args.only == "attention":
        print(f"wrote {args.out / 'attention.jsonl'}")
        return

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
