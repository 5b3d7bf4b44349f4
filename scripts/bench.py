#!/usr/bin/env python3
"""CPU benchmark of terjemah against transformers and CTranslate2 on an opus-mt-id-en-shaped model.

Run everything (venv, build, model, conversions, benchmark) from the repository root with

    bash scripts/bench.sh                    # full run: 3 repetitions
    bash scripts/bench.sh --quick            # smoke test: 32 sentences, 1 repetition
    PYTHON=/path/to/python bash scripts/bench.sh --reps 1 --systems terjemah,ct2-int8

or, once bench.sh has prepared bench-model/, bench-model/ct2-f32, bench-model/ct2-int8 and bench-model-pt/,
call this script directly with the same options: `python scripts/bench.py --reps 3 --json out.json`.

Model: random weights with the real opus-mt-id-en dimensions (d_model 512, 6+6 layers, vocabulary 54796),
written by `scripts/make_fixture.py opus-shape`. Its translations are noise; only the cost is realistic.

Input: data/bench.id, 200 Indonesian sentences from the held-out tails (last 150 lines) of data/tico19.id and
data/tatoeba.id, 100 from each, spread over the range of lengths (see `write_bench_input`; the file is
rewritten only if it is missing).

Settings, identical for every system:
  * batches of 16 sentences, built the way terjemah builds them: source token lengths (MarianTokenizer's,
    `</s>` included), a stable sort longest first, then consecutive groups of 16. terjemah does this itself
    (`--batch-size 16 --max-batch-tokens 100000`, so the token budget never binds); the Python systems get
    exactly these batches, one call per batch.
  * greedy search and beam search with 4 beams;
  * end-of-sentence suppressed so that every sentence takes exactly 48 decoder steps:
      - terjemah: `--min-new-tokens 48 --max-length 49` (max length counts the decoder start token);
      - transformers: `generate(min_new_tokens=48, max_new_tokens=48)`;
    both follow transformers' rules, so the 48th token is the EOS that `forced_eos_token_id` forces at the last
    position: 47 tokens + EOS;
      - CTranslate2: `min_decoding_length=48, max_decoding_length=48` (CT2 counts EOS as a decoding step
        when one is produced; here none can be), so 48 tokens and no EOS.
    In all three that is 48 decoder forward passes per sentence (per beam).
  * 2 CPU threads (`--threads`): terjemah `--threads`, torch.set_num_threads, CT2 intra_threads with
    inter_threads=1; OMP/MKL thread variables are set in every child too. terjemah also runs with 1 thread
    to show its thread scaling.

Systems (`--systems`, comma-separated): terjemah (f32), terjemah-int8 (`--quantize int8`, only if
`terjemah translate --help` offers it), transformers (f32, PyTorch), ct2-f32, ct2-int8.
`--baseline BINARY` also runs every terjemah system with another terjemah build, as `terjemah@baseline`
and `terjemah-int8@baseline`, in the same rotation: before/after figures of a change, side by side (copy
`target/release/terjemah` away before the change, e.g. `cp target/release/terjemah /tmp/terjemah-before`).

Measured, per system and mode:
  * sentences/s and generated tokens/s: terjemah's own stderr summary ("translated N sentences in X s"),
    which covers tokenization, batching, generation and detokenization but not process start or model load;
    for the Python systems the same span (tokenize + generate + decode), timed in the child around the loop.
    Median over repetitions.
  * wall and process CPU seconds (user + system): the whole child process, start and model load included
    (median); CPU time is the figure least disturbed by other load on the machine.
  * peak RSS: ru_maxrss of that child alone, from os.wait4 (maximum over repetitions).
  * others' CPUs: how many CPUs other processes kept busy during each run (/proc/stat minus the child's
    CPU time); the table shows the maximum over repetitions. On a shared machine this says which numbers to
    distrust: 2-thread OpenMP programs (PyTorch, CTranslate2) slow down badly when a core is taken. Before
    each run the script waits up to `--idle-wait` seconds (default 60) for the other processes to go quiet.
  * mean generated tokens per sentence, counted from each system's output ids: transformers' and CT2's ids
    directly; terjemah prints text only, so its outputs are compared with transformers' ids rendered the way
    terjemah renders ids (same search, same model): a match means the same 48 ids. Sentences that do not
    match are counted by re-tokenizing their text (approximate; marked "~").
  * every system's speed as a ratio to terjemah f32 in the same mode (>1: faster than terjemah).
  * terjemah's time per stage (`--timings`): encoder, decoder layers, output projection, search, and the rest
    (tokenizing, detokenizing), median seconds over repetitions.
Each (system, mode) runs in its own subprocess; repetitions rotate the order of the runs.

Also: terjemah start-up (wall time of translating a 1-line input, model from model.safetensors and from a
pytorch_model.bin copy in bench-model-pt/), and a scale check (terjemah greedy on the input vs the input
repeated 10 times, alternated once per repetition: median ratio of translation times; 10.0 is linear).

Output: a Markdown table on stdout and JSON in bench-results.json (or `--json PATH`).
"""
import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = 150  # as in make_fixture.py: the last HELD_OUT lines of each corpus are never trained on
NEW_TOKENS = 48
BATCH = 16
ALL_SYSTEMS = ["terjemah", "terjemah-int8", "transformers", "ct2-f32", "ct2-int8"]
MODES = {"greedy": 1, "beam4": 4}
FILLER = re.compile(r"<filler_\d+>")


# ----------------------------------------------------------------------------------------------- inputs


def write_bench_input(path, per_corpus=100):
    """data/bench.id: per corpus, `per_corpus` distinct held-out lines evenly spread over their lengths,
    kept in file order; the two corpora interleaved."""
    picked = []
    for name in ["tico19", "tatoeba"]:
        lines = (ROOT / "data" / f"{name}.id").read_text(encoding="utf-8").splitlines()[-HELD_OUT:]
        lines = [l for i, l in enumerate(lines) if l.strip() and l not in lines[:i]]
        by_len = sorted(range(len(lines)), key=lambda i: (len(lines[i]), i))
        ranks = {round(k * (len(by_len) - 1) / (per_corpus - 1)) for k in range(per_corpus)}
        chosen = sorted(by_len[r] for r in ranks)
        picked.append([lines[i] for i in chosen])
    out = [s for pair in zip(*picked) for s in pair]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def plan_batches(lengths, size=BATCH):
    """terjemah's batch plan (src/search/batch.rs) without the token budget: stable sort longest first, groups."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]


def source_pieces(sp, text):
    """MarianTokenizer's source pieces (a leading >>xx<< code kept whole), `</s>` appended."""
    code = []
    m = re.match(r">>.+?<<", text)
    if m:
        code, text = [m.group(0)], text[m.end() :]
    return code + sp.encode(text, out_type=str) + ["</s>"]


# ----------------------------------------------------------------------------------------------- workers
# A worker runs one (system, mode) in a fresh process and writes {"seconds", "outputs", "lengths",
# "src_tokens"} as JSON. It imports only what its system needs, so peak RSS is that system's own.


def limit_threads(threads):
    for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"]:
        os.environ[var] = str(threads)


def worker_transformers(job):
    import torch
    from transformers import MarianMTModel, MarianTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    torch.set_num_threads(job["threads"])
    tok = MarianTokenizer.from_pretrained(job["model"])
    model = MarianMTModel.from_pretrained(job["model"]).eval()
    sentences = job["sentences"]
    outputs, ids_out, src_tokens = [None] * len(sentences), [None] * len(sentences), 0
    start = time.perf_counter()
    with torch.inference_mode():
        for batch in job["batches"]:
            enc = tok([sentences[i] for i in batch], return_tensors="pt", padding=True)
            src_tokens += int(enc["attention_mask"].sum())
            gen = model.generate(
                **enc,
                num_beams=job["beams"],
                do_sample=False,
                min_new_tokens=NEW_TOKENS,
                max_new_tokens=NEW_TOKENS,
            )
            texts = tok.batch_decode(gen, skip_special_tokens=True)
            for i, row, text in zip(batch, gen.tolist(), texts):
                row = row[1:]  # the decoder start token
                while row and row[-1] == model.config.pad_token_id:  # padding after an early EOS
                    row.pop()
                ids_out[i], outputs[i] = row, text
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "outputs": outputs,
        "ids": ids_out,
        "lengths": [len(r) for r in ids_out],
        "src_tokens": src_tokens,
    }


def worker_ct2(job):
    import ctranslate2
    import sentencepiece as spm

    model_dir = Path(job["model"])
    src = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    tgt = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    translator = ctranslate2.Translator(
        job["ct2_path"], device="cpu", intra_threads=job["threads"], inter_threads=1
    )
    sentences = job["sentences"]
    outputs, lengths, src_tokens = [None] * len(sentences), [None] * len(sentences), 0
    start = time.perf_counter()
    for batch in job["batches"]:
        tokens = [source_pieces(src, sentences[i]) for i in batch]
        src_tokens += sum(len(t) for t in tokens)
        results = translator.translate_batch(
            tokens,
            beam_size=job["beams"],
            max_batch_size=BATCH,
            min_decoding_length=NEW_TOKENS,
            max_decoding_length=NEW_TOKENS,
            return_end_token=True,  # so that an EOS, if one came, would be counted
        )
        for i, r in zip(batch, results):
            hyp = r.hypotheses[0]
            lengths[i] = len(hyp)
            outputs[i] = tgt.decode_pieces([p for p in hyp if p != "</s>"])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "outputs": outputs, "lengths": lengths, "src_tokens": src_tokens}


def run_worker(job_path):
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    limit_threads(job["threads"])
    fn = worker_transformers if job["system"] == "transformers" else worker_ct2
    result = fn(job)
    Path(job["result"]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# ----------------------------------------------------------------------------------------------- running


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy since boot (/proc/stat), or None off Linux."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_idle(max_wait, threshold=0.3, window=2.0):
    """Waits (at most max_wait seconds) until other processes use under `threshold` CPUs; returns the last
    measured use. The benchmark is only meaningful on an otherwise idle machine."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, t0 = busy_cpu_seconds(), time.monotonic()
        time.sleep(window)
        b1 = busy_cpu_seconds()
        if b0 is None or b1 is None:
            return None
        load = (b1 - b0) / (time.monotonic() - t0)
        if load < threshold or time.monotonic() >= deadline:
            return load


class Child:
    """Result of one child process: exit status, wall seconds, CPU seconds (user + system), peak RSS in MB
    (ru_maxrss of that child alone, from wait4), CPUs used by other processes meanwhile, stderr text."""

    def __init__(self, cmd, env=None):
        with tempfile.TemporaryFile() as err:
            busy0 = busy_cpu_seconds()
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            self.wall = time.perf_counter() - start
            busy1 = busy_cpu_seconds()
            proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting
            err.seek(0)
            self.stderr = err.read().decode("utf-8", "replace")
        self.rc = proc.returncode
        self.cpu = usage.ru_utime + usage.ru_stime
        self.rss_mb = usage.ru_maxrss / 1024
        self.others_cpus = None
        if busy0 is not None and busy1 is not None:
            self.others_cpus = max(0.0, (busy1 - busy0 - self.cpu) / self.wall)

    def stats(self):
        return {"wall": self.wall, "cpu_s": self.cpu, "rss_mb": self.rss_mb, "others_cpus": self.others_cpus}


def child_env(threads):
    env = dict(os.environ)
    for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"]:
        env[var] = str(threads)
    return env


SUMMARY = re.compile(r"translated (\d+) sentences in ([\d.]+) s \(([\d.]+) sentences/s\)")
# terjemah's `--timings` line; stage names as the binary prints them.
STAGES = ["encoder", "decoder layers", "output projection", "search", "outside the model"]
STAGE_LINE = re.compile(r"time per stage: " + ", ".join(rf"{name} ([\d.]+) s \(\d+%\)" for name in STAGES))


def run_terjemah(args, input_path, beams, threads, quantize=None, model_dir=None, binary=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.en"
        cmd = [
            str(binary or args.terjemah), "translate", "--input-format", "lines",
            "--model-dir", str(model_dir or args.model),
            "--device", "cpu", "--threads", str(threads), "--beams", str(beams),
            "--batch-size", str(BATCH), "--max-batch-tokens", "100000",
            "--min-new-tokens", str(NEW_TOKENS), "--max-length", str(NEW_TOKENS + 1),
            "--timings", str(input_path), "-o", str(out),
        ]  # fmt: skip
        if quantize:
            cmd += ["--quantize", quantize]
        child = Child(cmd, env=child_env(threads))
        if child.rc != 0:
            sys.exit(f"terjemah failed ({child.rc}): {' '.join(cmd)}\n{child.stderr}")
        m = SUMMARY.search(child.stderr)
        if not m:
            sys.exit(f"no 'translated N sentences in X s' line from terjemah:\n{child.stderr}")
        n, secs, per_s = int(m.group(1)), float(m.group(2)), float(m.group(3))
        # Both numbers are printed with one decimal: take the one with the smaller relative rounding error.
        seconds = secs if secs >= per_s or per_s == 0 else n / per_s
        stages = STAGE_LINE.search(child.stderr)
        if not stages:
            sys.exit(f"no 'time per stage' line from terjemah:\n{child.stderr}")
        outputs = out.read_text(encoding="utf-8").split("\n")[:n]
        stage_s = {name: float(x) for name, x in zip(STAGES, stages.groups())}
        return {"seconds": seconds, "outputs": outputs, "stage_s": stage_s, **child.stats()}


def run_python_system(args, system, sentences, batches, beams, threads):
    with tempfile.TemporaryDirectory() as tmp:
        job = {
            "system": system,
            "model": str(args.model),
            "ct2_path": str(args.model / ("ct2-int8" if system == "ct2-int8" else "ct2-f32")),
            "sentences": sentences,
            "batches": batches,
            "beams": beams,
            "threads": threads,
            "result": str(Path(tmp) / "result.json"),
        }
        job_path = Path(tmp) / "job.json"
        job_path.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(job_path)]
        child = Child(cmd, env=child_env(threads))
        if child.rc != 0:
            sys.exit(f"{system} worker failed ({child.rc}):\n{child.stderr}")
        result = json.loads(Path(job["result"]).read_text(encoding="utf-8"))
        result.update(child.stats())
        return result


class TargetRenderer:
    """Renders ids as terjemah does (src/marian/tokenizer.rs: pieces joined, specials dropped, ▁ → space,
    stripped), and re-tokenizes text to estimate a token count when no ids are available."""

    def __init__(self, model_dir):
        import sentencepiece as spm

        vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
        self.pieces = {i: p for p, i in vocab.items()}
        self.special = {vocab["</s>"], vocab["<unk>"], vocab["<pad>"]}
        self.tgt = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
        self.control = {
            self.tgt.id_to_piece(i) for i in range(self.tgt.get_piece_size()) if self.tgt.is_control(i)
        }

    def render(self, ids):
        text = "".join(
            self.pieces.get(i, "") for i in ids if i not in self.special and self.pieces.get(i) not in self.control
        )
        return text.replace("\u2581", " ").strip(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")

    def estimate_tokens(self, text):
        fillers = len(FILLER.findall(text))
        rest = [s for s in FILLER.split(text) if s.strip()]
        # +1: the EOS that transformers' rules force at the last position.
        return fillers + sum(len(self.tgt.encode(s)) for s in rest) + 1


def generated_counts(system, result, transformers_result, renderer):
    """Generated tokens per sentence, whether they are exact, and how they were obtained.

    transformers and CT2 return ids. terjemah returns text: an f32 output equal to transformers' ids
    rendered terjemah's way (same model, same search) is taken to have transformers' ids; any other output
    is re-tokenized, which only approximates its length."""
    if "lengths" in result:
        return result["lengths"], True, "ids"
    counts, matched = [], 0
    for i, text in enumerate(result["outputs"]):
        if system == "terjemah" and transformers_result and renderer.render(transformers_result["ids"][i]) == text:
            counts.append(transformers_result["lengths"][i])
            matched += 1
        else:
            counts.append(renderer.estimate_tokens(text))
    if system == "terjemah" and transformers_result:
        note = f"{matched}/{len(counts)} = transformers"
        if matched < len(counts):
            note += ", rest re-tokenized"
    else:
        note = "re-tokenized"
    return counts, matched == len(counts), note


def terjemah_has_quantize(binary):
    r = subprocess.run([str(binary), "translate", "--help"], capture_output=True, text=True)
    return "--quantize" in r.stdout


# ----------------------------------------------------------------------------------------------- main


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def max_or_none(xs):
    xs = [x for x in xs if x is not None]
    return max(xs) if xs else None


def fmt_cpus(x):
    return "?" if x is None else f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every run (default 3)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 32 sentences, 1 repetition")
    ap.add_argument("--systems", default=",".join(ALL_SYSTEMS), help="comma-separated subset of " + ", ".join(ALL_SYSTEMS))
    ap.add_argument("--modes", default="greedy,beam4", help="comma-separated subset of greedy, beam4")
    ap.add_argument("--threads", type=int, default=2, help="threads for every system (default 2)")
    ap.add_argument("--no-single-thread", action="store_true", help="skip terjemah's 1-thread runs")
    ap.add_argument("--no-extras", action="store_true", help="skip the start-up and scale checks")
    ap.add_argument("--idle-wait", type=float, default=60.0, metavar="SECONDS",
                    help="before each run, wait up to this long for other processes to leave the CPUs idle "
                    "(default 60; 0: do not wait)")  # fmt: skip
    ap.add_argument("--scale", type=int, default=10, help="repeat factor of the scale check (default 10)")
    ap.add_argument("--model", type=Path, default=ROOT / "bench-model")
    ap.add_argument("--model-pt", type=Path, default=ROOT / "bench-model-pt")
    ap.add_argument("--input", type=Path, default=ROOT / "data" / "bench.id")
    ap.add_argument("--terjemah", type=Path, default=ROOT / "target" / "release" / "terjemah")
    ap.add_argument("--baseline", type=Path, metavar="BINARY",
                    help="another terjemah build, run beside --terjemah as terjemah@baseline (before/after a change)")
    ap.add_argument("--json", type=Path, default=ROOT / "bench-results.json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return run_worker(args.worker)
    if args.quick:
        args.reps = 1

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for s in systems:
        if s not in ALL_SYSTEMS:
            ap.error(f"unknown system {s!r}; choose from {', '.join(ALL_SYSTEMS)}")
    for m in modes:
        if m not in MODES:
            ap.error(f"unknown mode {m!r}; choose from {', '.join(MODES)}")
    needs_terjemah = any(s.startswith("terjemah") for s in systems) or not args.no_extras
    if needs_terjemah and not args.terjemah.exists():
        sys.exit(f"{args.terjemah} is missing: run `cargo build --release` (bash scripts/bench.sh does)")
    if "terjemah-int8" in systems and not terjemah_has_quantize(args.terjemah):
        print("note: `terjemah translate --help` has no --quantize; skipping terjemah-int8", file=sys.stderr)
        systems.remove("terjemah-int8")
    for s, sub in [("ct2-f32", "ct2-f32"), ("ct2-int8", "ct2-int8")]:
        if s in systems and not (args.model / sub / "model.bin").exists():
            sys.exit(f"{args.model / sub} is missing: bash scripts/bench.sh converts the model")
    if not (args.model / "config.json").exists():
        sys.exit(f"{args.model} is missing: bash scripts/bench.sh makes it")

    if not args.input.exists():
        write_bench_input(args.input)
    sentences = [l for l in args.input.read_text(encoding="utf-8").splitlines() if l.strip()]
    if args.quick:
        sentences = sentences[:32]
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(args.model / "source.spm"))
    lengths = [len(source_pieces(sp, s)) for s in sentences]
    batches = plan_batches(lengths)
    renderer = TargetRenderer(args.model)

    work = tempfile.TemporaryDirectory()
    if needs_terjemah:
        # A private copy: a rebuild of target/release during the run must not change what is measured.
        pinned = Path(work.name) / "terjemah"
        shutil.copy2(args.terjemah, pinned)
        args.terjemah_sha256 = hashlib.sha256(pinned.read_bytes()).hexdigest()[:16]
        args.terjemah = pinned
    if args.baseline:
        if not args.baseline.exists():
            sys.exit(f"{args.baseline} is missing")
        pinned = Path(work.name) / "terjemah-baseline"
        shutil.copy2(args.baseline, pinned)
        args.baseline_sha256 = hashlib.sha256(pinned.read_bytes()).hexdigest()[:16]
        args.baseline = pinned
    input_path = Path(work.name) / "input.id"
    input_path.write_text("\n".join(sentences) + "\n", encoding="utf-8")

    # Every (system, mode, threads) to run.
    runs = []
    for mode in modes:
        for s in systems:
            variants = [s, s + "@baseline"] if args.baseline and s.startswith("terjemah") else [s]
            for v in variants:
                runs.append((v, mode, args.threads))
                if s.startswith("terjemah") and not args.no_single_thread and args.threads != 1:
                    runs.append((v, mode, 1))

    print(f"{len(sentences)} sentences, {len(batches)} batches of <= {BATCH}, {sum(lengths)} source tokens; "
          f"{len(runs)} runs x {args.reps} repetitions", file=sys.stderr)  # fmt: skip
    results = {r: [] for r in runs}
    for rep in range(args.reps):
        shift = rep % len(runs)
        for run in runs[shift:] + runs[:shift]:  # rotate the order each repetition
            system, mode, threads = run
            beams = MODES[mode]
            if args.idle_wait > 0:
                wait_for_idle(args.idle_wait)
            t0 = time.perf_counter()
            if system.startswith("terjemah"):
                name, _, build = system.partition("@")
                quant = "int8" if name == "terjemah-int8" else None
                binary = args.baseline if build == "baseline" else None
                res = run_terjemah(args, input_path, beams, threads, quantize=quant, binary=binary)
            else:
                res = run_python_system(args, system, sentences, batches, beams, threads)
            results[run].append(res)
            print(f"  rep {rep + 1}/{args.reps} {system:13} {mode:6} {threads}T: "
                  f"{len(sentences) / res['seconds']:7.2f} sent/s, wall {time.perf_counter() - t0:6.1f} s, "
                  f"RSS {res['rss_mb']:6.0f} MB, other processes {fmt_cpus(res['others_cpus'])} CPUs",
                  file=sys.stderr, flush=True)  # fmt: skip

    rows = []
    for run in runs:
        system, mode, threads = run
        reps = results[run]
        for r in reps:
            if r.get("src_tokens") not in (None, sum(lengths)):
                print(f"warning: {system} saw {r['src_tokens']} source tokens, not {sum(lengths)}", file=sys.stderr)
        reference = results.get(("transformers", mode, args.threads))
        counts, exact, note = generated_counts(system, reps[-1], reference and reference[-1], renderer)
        mean_len = sum(counts) / len(counts)
        secs = [r["seconds"] for r in reps]
        sent_s = [len(sentences) / s for s in secs]
        rows.append({
            "system": system,
            "mode": mode,
            "threads": threads,
            "sentences": len(sentences),
            "sentences_per_s": median(sent_s),
            "tokens_per_s": median(sent_s) * mean_len,
            "translate_s": median(secs),
            "wall_s": median([r["wall"] for r in reps]),
            "cpu_s": median([r["cpu_s"] for r in reps]),
            "others_cpus_max": max_or_none([r["others_cpus"] for r in reps]),
            "peak_rss_mb": max(r["rss_mb"] for r in reps),
            "mean_generated_tokens": mean_len,
            "generated_tokens_exact": exact,
            "generated_tokens_check": note,
            "min_generated_tokens": min(counts),
            "max_generated_tokens": max(counts),
            "src_tokens": reps[-1].get("src_tokens"),
            "all_sentences_per_s": sent_s,
            # terjemah only: median seconds per stage (`--timings`).
            "stage_s": {name: median([r["stage_s"][name] for r in reps]) for name in STAGES}
            if "stage_s" in reps[0] else None,
        })  # fmt: skip
    for row in rows:
        base = next((r for r in rows if r["system"] == "terjemah" and r["mode"] == row["mode"]
                     and r["threads"] == args.threads), None)  # fmt: skip
        row["speed_vs_terjemah"] = row["sentences_per_s"] / base["sentences_per_s"] if base else None
        row["rss_vs_terjemah"] = row["peak_rss_mb"] / base["peak_rss_mb"] if base else None

    extras = {}
    if not args.no_extras:
        extras = run_extras(args, sentences, work.name)

    cpu = cpu_model()
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "python": platform.python_version(),
        "versions": versions(args),
        "settings": {
            "sentences": len(sentences),
            "batch_size": BATCH,
            "batches": len(batches),
            "source_tokens": sum(lengths),
            "new_tokens": NEW_TOKENS,
            "threads": args.threads,
            "reps": args.reps,
            "quick": args.quick,
            "input": str(args.input),
        },
        "results": rows,
        "extras": extras,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown(report))
    print(f"\nJSON: {args.json}")


def run_extras(args, sentences, tmp):
    """terjemah start-up (1-line input; safetensors and pytorch_model.bin) and the scale check."""
    extras = {}
    one = Path(tmp) / "one.id"
    one.write_text(sentences[0] + "\n", encoding="utf-8")
    startup = {}
    for label, model_dir in [("safetensors", args.model), ("pytorch_model.bin", args.model_pt)]:
        if not model_dir.exists():
            print(f"note: {model_dir} is missing; no start-up time from {label}", file=sys.stderr)
            continue
        run_terjemah(args, one, 1, args.threads, model_dir=model_dir)  # warm the page cache
        runs = []
        for _ in range(max(args.reps, 3)):
            if args.idle_wait > 0:
                wait_for_idle(args.idle_wait)
            runs.append(run_terjemah(args, one, 1, args.threads, model_dir=model_dir))
        startup[label] = {
            "wall_s": median([r["wall"] for r in runs]),
            "cpu_s": median([r["cpu_s"] for r in runs]),
            "translate_s": median([r["seconds"] for r in runs]),
            # Process start, config, tokenizer and weights: everything before the first sentence.
            "ready_s": median([r["wall"] - r["seconds"] for r in runs]),
            "peak_rss_mb": max(r["rss_mb"] for r in runs),
            "others_cpus_max": max_or_none([r["others_cpus"] for r in runs]),
            "all_wall_s": [r["wall"] for r in runs],
        }
        print(f"  start-up {label}: {startup[label]['wall_s']:.2f} s, model ready after "
              f"{startup[label]['ready_s']:.2f} s", file=sys.stderr, flush=True)
    extras["startup_1_line_greedy"] = startup

    big = Path(tmp) / "scaled.id"
    big.write_text("\n".join(sentences * args.scale) + "\n", encoding="utf-8")
    small_path = Path(tmp) / "small.id"
    small_path.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    # Small and large runs alternate, one pair per repetition, and the median of the pairs' ratios
    # is reported: one pair alone swung by 10% with the machine's load.
    pairs = []
    for _ in range(args.reps):
        pair = []
        for path in (small_path, big):
            if args.idle_wait > 0:
                wait_for_idle(args.idle_wait)
            pair.append(run_terjemah(args, path, 1, args.threads))
        pairs.append(pair)
    ratios = [large["seconds"] / small["seconds"] for small, large in pairs]
    extras["scale"] = {
        "factor": args.scale,
        "sentences": [len(sentences), len(sentences) * args.scale],
        "translate_s": [median([p[i]["seconds"] for p in pairs]) for i in (0, 1)],
        "wall_s": [median([p[i]["wall"] for p in pairs]) for i in (0, 1)],
        "peak_rss_mb": [max(p[i]["rss_mb"] for p in pairs) for i in (0, 1)],
        "others_cpus": [max_or_none([p[i]["others_cpus"] for p in pairs]) for i in (0, 1)],
        "time_ratios": ratios,
        "time_ratio": median(ratios),
    }
    print(f"  scale x{args.scale}: time ratio {extras['scale']['time_ratio']:.2f}", file=sys.stderr, flush=True)
    return extras


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions(args):
    out = {}
    if getattr(args, "terjemah_sha256", None):
        r = subprocess.run([str(args.terjemah), "--version"], capture_output=True, text=True)
        out["terjemah"] = f"{r.stdout.strip().removeprefix('terjemah ') or '?'} (binary sha256 {args.terjemah_sha256})"
    if getattr(args, "baseline", None):
        out["terjemah@baseline"] = f"binary sha256 {args.baseline_sha256}"
    for mod in ["torch", "transformers", "ctranslate2"]:
        r = subprocess.run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                           capture_output=True, text=True)  # fmt: skip
        out[mod] = r.stdout.strip() or "missing"
    return out


def markdown(report):
    s = report["settings"]
    lines = [
        f"{report['date']}, {report['cpu']} ({report['cpus']} CPUs), load average at end "
        + ", ".join(f"{x:.2f}" for x in report["load_average_at_end"]),
        f"{s['sentences']} sentences, batches of {s['batch_size']}, {s['new_tokens']} generated tokens each, "
        f"median of {s['reps']} repetition(s); versions: "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        "",
        "| system | mode | threads | sentences/s | gen. tokens/s | speed vs terjemah f32 | translate s | wall s "
        "| process CPU s | peak RSS MB | RSS vs terjemah f32 | gen. tokens/sentence | others' CPUs (max) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in report["results"]:
        speed = f"{r['speed_vs_terjemah']:.2f}x" if r["speed_vs_terjemah"] else "-"
        rss = f"{r['rss_vs_terjemah']:.2f}x" if r["rss_vs_terjemah"] else "-"
        approx = "" if r["generated_tokens_exact"] else "~"
        span = "" if r["min_generated_tokens"] == r["max_generated_tokens"] else (
            f", {r['min_generated_tokens']}-{r['max_generated_tokens']}")
        lines.append(
            f"| {r['system']} | {r['mode']} | {r['threads']} | {r['sentences_per_s']:.2f} | {r['tokens_per_s']:.0f} "
            f"| {speed} | {r['translate_s']:.2f} | {r['wall_s']:.2f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} "
            f"| {rss} | {approx}{r['mean_generated_tokens']:.2f} ({r['generated_tokens_check']}{span}) "
            f"| {fmt_cpus(r['others_cpus_max'])} |"
        )
    base_rows = {(r["system"].removesuffix("@baseline"), r["mode"], r["threads"]): r
                 for r in report["results"] if r["system"].endswith("@baseline")}  # fmt: skip
    if base_rows:
        lines += ["", "This build against --baseline, the same runs alternated (ratio > 1: this build is faster):", "",
                  "| system | mode | threads | sentences/s | baseline sentences/s | ratio | peak RSS MB | baseline peak RSS MB |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for r in report["results"]:
            b = base_rows.get((r["system"], r["mode"], r["threads"]))
            if b:
                lines.append(f"| {r['system']} | {r['mode']} | {r['threads']} | {r['sentences_per_s']:.2f} "
                             f"| {b['sentences_per_s']:.2f} | {r['sentences_per_s'] / b['sentences_per_s']:.3f} "
                             f"| {r['peak_rss_mb']:.0f} | {b['peak_rss_mb']:.0f} |")  # fmt: skip
    staged = [r for r in report["results"] if r.get("stage_s")]
    if staged:
        lines += ["", "terjemah's time per stage (`--timings`; median seconds, share of their sum):", ""]
        lines += ["| system | mode | threads | " + " | ".join(STAGES) + " |",
                  "| --- | --- | ---: |" + " ---: |" * len(STAGES)]  # fmt: skip
        for r in staged:
            total = sum(r["stage_s"].values()) or 1.0
            cells = " | ".join(f"{r['stage_s'][n]:.2f} ({100 * r['stage_s'][n] / total:.0f}%)" for n in STAGES)
            lines.append(f"| {r['system']} | {r['mode']} | {r['threads']} | {cells} |")
    ex = report["extras"]
    if ex.get("startup_1_line_greedy"):
        lines += ["", "terjemah start-up, 1-line input, greedy (wall time of the whole run, median):", ""]
        lines += ["| weights | wall s | model ready s | of which translating s | process CPU s | peak RSS MB "
                  "| others' CPUs (max) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for label, v in ex["startup_1_line_greedy"].items():
            lines.append(f"| {label} | {v['wall_s']:.2f} | {v['ready_s']:.2f} | {v['translate_s']:.2f} "
                         f"| {v['cpu_s']:.2f} | {v['peak_rss_mb']:.0f} | {fmt_cpus(v['others_cpus_max'])} |")  # fmt: skip
    if ex.get("scale"):
        sc = ex["scale"]
        lines += [
            "",
            f"Scale check (terjemah greedy, {s['threads']} threads, {len(sc['time_ratios'])} alternated "
            f"pairs): {sc['sentences'][0]} sentences in {sc['translate_s'][0]:.2f} s, {sc['sentences'][1]} in "
            f"{sc['translate_s'][1]:.2f} s (medians); median ratio {sc['time_ratio']:.2f} (linear = "
            f"{sc['factor']:.1f}; pairs: {', '.join(f'{r:.2f}' for r in sc['time_ratios'])}); other processes "
            f"used at most {fmt_cpus(sc['others_cpus'][0])} and {fmt_cpus(sc['others_cpus'][1])} CPUs meanwhile.",
        ]
    lines += [
        "",
        "model ready s: wall s minus translating s (process start, config, tokenizer, weights). "
        "translate s: tokenize + generate + detokenize, no model load (terjemah's own summary line; timed in the "
        "child for the Python systems). wall s and process CPU s: the whole child process, start-up and model "
        "load included. others' CPUs: CPUs that other processes kept busy during the run (from /proc/stat); "
        "anything well above 0 means the numbers are disturbed.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
