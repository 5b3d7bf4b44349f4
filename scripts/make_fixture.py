#!/usr/bin/env python3
"""Build the small Marian fixture model, or a random model of the real opus-mt-id-en shape.

    python3 -m pip install torch transformers sentencepiece safetensors   # once
    python3 scripts/make_fixture.py fixture --out models/fixture --minutes 4
    python3 scripts/make_fixture.py opus-shape --out bench-model

`fixture` trains SentencePiece models on data/*.id and data/*.en, builds a small MarianMTModel with the
opus-mt conventions (ids </s>=0, <unk>=1, <pad>=last; pad is the decoder start; swish; scaled embeddings;
sinusoidal positions; tied embeddings; final_logits_bias; forced_eos_token_id) and trains it for a few
minutes, so that its outputs depend on the input and end on their own. It writes the Hugging Face layout
(safetensors) to --out and a copy with `pytorch_model.bin` instead of safetensors to --out + "-pt".

`opus-shape` writes random weights with the real model's dimensions (d_model 512, 6+6 layers, vocab 54796)
and the fixture's tokenizers, for benchmarks only: its translations are noise.

The last HELD_OUT lines of each data file are never trained on; scripts/make_goldens.py uses them.
"""
import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import GenerationConfig, MarianConfig, MarianMTModel

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ["tatoeba", "tico19"]
HELD_OUT = 150


def read_pairs():
    train, held = [], []
    for name in CORPORA:
        ids = (ROOT / "data" / f"{name}.id").read_text(encoding="utf-8").splitlines()
        ens = (ROOT / "data" / f"{name}.en").read_text(encoding="utf-8").splitlines()
        assert len(ids) == len(ens)
        pairs = list(zip(ids, ens))
        train += pairs[:-HELD_OUT]
        held += pairs[-HELD_OUT:]
    return train, held


def train_spm(lines, prefix, vocab_size):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines))
    # Default nmt_nfkc normalisation gives the model a precompiled charsmap, as the opus-mt models have;
    # character_coverage below 1 leaves rare characters out, so <unk> handling is exercised.
    spm.SentencePieceTrainer.train(
        input=f.name,
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=0.9995,
        bos_id=-1,
        eos_id=0,
        unk_id=1,
        pad_id=-1,
        minloglevel=2,
    )
    Path(f.name).unlink()


def build_vocab(out, min_size=0):
    """One vocab.json for both sides, as opus-mt-id-en has: </s>=0, <unk>=1, pieces, <pad> last."""
    vocab = {"</s>": 0, "<unk>": 1}
    for side in ["source", "target"]:
        sp = spm.SentencePieceProcessor(model_file=str(out / f"{side}.spm"))
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if piece not in vocab:
                vocab[piece] = len(vocab)
    # Filler entries let the benchmark model reach the real vocabulary size with the fixture's tokenizers.
    while len(vocab) < min_size - 1:
        vocab[f"<filler_{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=0), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({"source_lang": "id", "target_lang": "en"}))
    return vocab


def marian_config(vocab_size, **dims):
    pad = vocab_size - 1
    return MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        activation_function="swish",
        scale_embedding=True,
        static_position_embeddings=True,
        normalize_before=False,
        normalize_embedding=False,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        bos_token_id=0,
        forced_eos_token_id=0,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        **dims,
    )


def generation_config(cfg, num_beams, max_length):
    return GenerationConfig(
        decoder_start_token_id=cfg.decoder_start_token_id,
        pad_token_id=cfg.pad_token_id,
        eos_token_id=0,
        bos_token_id=0,
        forced_eos_token_id=0,
        bad_words_ids=[[cfg.pad_token_id]],
        num_beams=num_beams,
        max_length=max_length,
        length_penalty=1.0,
    )


def train(model, tok, pairs, minutes, seed):
    random.seed(seed)
    torch.manual_seed(seed)
    enc = tok([s for s, _ in pairs], text_target=[t for _, t in pairs], truncation=True, max_length=96)
    # Short pairs only: a small model learns input-dependent translations of them within minutes.
    examples = [e for e in zip(enc["input_ids"], enc["labels"]) if len(e[0]) <= 32 and len(e[1]) <= 32]
    pad = model.config.pad_token_id
    probe = batch_tensors(examples[:32], pad)
    shuffled = batch_tensors([(s, t) for (s, _), (_, t) in zip(examples[:32][::-1], examples[:32])], pad)
    # A post-norm Marian this small tends to switch its encoder off (layer-norm gains driven to zero)
    # before cross-attention learns anything; fixing the encoder's gains keeps the source visible.
    for name, p in model.named_parameters():
        if name.startswith("model.encoder.") and "layer_norm.weight" in name:
            p.requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 100))
    start, step = time.time(), 0
    while time.time() - start < minutes * 60:
        random.shuffle(examples)
        batches = []
        for i in range(0, len(examples), 2000):
            b = []
            for e in sorted(examples[i : i + 2000], key=lambda e: len(e[0])):
                b.append(e)
                if len(b) * len(e[0]) > 1500:
                    batches.append(b)
                    b = []
            if b:
                batches.append(b)
        random.shuffle(batches)
        for b in batches:
            model.train()
            loss = model(**batch_tensors(b, pad)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 100 == 0:
                # The gap between these two losses shows how much the model uses its source.
                model.eval()
                with torch.no_grad():
                    real, fake = model(**probe).loss.item(), model(**shuffled).loss.item()
                print(f"step {step} ({time.time() - start:.0f}s) loss {loss.item():.3f} "
                      f"probe {real:.3f} with wrong sources {fake:.3f}", flush=True)
            if time.time() - start >= minutes * 60:
                break
    model.eval()


def batch_tensors(pairs, pad):
    src_len = max(len(s) for s, _ in pairs)
    tgt_len = max(len(t) for _, t in pairs)
    input_ids = torch.tensor([s + [pad] * (src_len - len(s)) for s, _ in pairs])
    labels = torch.tensor([t + [-100] * (tgt_len - len(t)) for _, t in pairs])
    return {"input_ids": input_ids, "attention_mask": (input_ids != pad).long(), "labels": labels}


def save(model, gen, src_dir, out):
    out.mkdir(parents=True, exist_ok=True)
    for name in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"]:
        if src_dir != out:
            shutil.copy(src_dir / name, out / name)
    model.save_pretrained(out, safe_serialization=True)
    gen.save_pretrained(out)


def save_pytorch_copy(model, out, pt_out):
    """The opus-mt repos' main branch ships a pickle with every key, tied ones included."""
    if pt_out.exists():
        shutil.rmtree(pt_out)
    shutil.copytree(out, pt_out, ignore=shutil.ignore_patterns("model.safetensors"))
    state = {k: v.contiguous().clone() for k, v in model.state_dict().items()}
    state["model.encoder.embed_tokens.weight"] = state["model.shared.weight"].clone()
    state["model.decoder.embed_tokens.weight"] = state["model.shared.weight"].clone()
    state["lm_head.weight"] = state["model.shared.weight"].clone()
    torch.save(state, pt_out / "pytorch_model.bin")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["fixture", "opus-shape"])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=4.0, help="training time for the fixture")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--resume", type=Path, help="continue training the fixture saved in this directory")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    train_pairs, _ = read_pairs()

    if args.resume:
        for name in ["source.spm", "target.spm"]:
            if args.resume.resolve() != out:
                shutil.copy(args.resume / name, out / name)
    elif args.kind == "fixture":
        train_spm([s for s, _ in train_pairs], out / "source", 1200)
        train_spm([t for _, t in train_pairs], out / "target", 1000)
    else:
        fixture = ROOT / "models" / "fixture"
        for side in ["source", "target"]:
            shutil.copy(fixture / f"{side}.spm", out / f"{side}.spm")
    for side in ["source", "target"]:
        (out / f"{side}.model").replace(out / f"{side}.spm") if (out / f"{side}.model").exists() else None
        (out / f"{side}.vocab").unlink(missing_ok=True)

    if args.kind == "fixture":
        vocab = build_vocab(out)
        # Encoder and decoder depths differ on purpose: nothing may assume they are equal.
        cfg = marian_config(
            len(vocab),
            d_model=96,
            encoder_layers=3,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=256,
            decoder_ffn_dim=192,
            max_position_embeddings=256,
        )
        gen = generation_config(cfg, num_beams=4, max_length=128)
    else:
        vocab = build_vocab(out, min_size=54796)
        cfg = marian_config(
            len(vocab),
            d_model=512,
            encoder_layers=6,
            decoder_layers=6,
            encoder_attention_heads=8,
            decoder_attention_heads=8,
            encoder_ffn_dim=2048,
            decoder_ffn_dim=2048,
            max_position_embeddings=512,
        )
        gen = generation_config(cfg, num_beams=4, max_length=512)
    model = MarianMTModel.from_pretrained(str(args.resume)) if args.resume else MarianMTModel(cfg)

    if args.kind == "fixture":
        from transformers import MarianTokenizer

        tok = MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"))
        # Transformer-style embedding scale (d_model ** -0.5): with transformers' default 0.02 the
        # scaled token embeddings are drowned by the sinusoidal positions.
        if not args.resume:
            with torch.no_grad():
                model.model.shared.weight.normal_(0.0, cfg.d_model**-0.5)
        train(model, tok, train_pairs, args.minutes, args.seed)
        # A trained final_logits_bias stays zero (it is a buffer); give it values so loaders must add it.
        with torch.no_grad():
            model.final_logits_bias.normal_(0.0, 0.1)
            model.final_logits_bias[0, cfg.pad_token_id] = 0.0
    else:
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() > 1:
                    p.normal_(0.0, 0.02)
    model.eval()
    save(model, gen, out, out)
    if args.kind == "fixture":
        save_pytorch_copy(model, out, out.parent / (out.name + "-pt"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
