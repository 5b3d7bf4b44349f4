//! What word alignment costs: `translate_with` against `translate_aligned_with` on the same
//! sentences, greedy and beam search, rounds interleaved so that both see the same machine.
//!
//!     TERJEMAH_BENCH_MODEL=/tmp/bench-model cargo bench --bench alignment
//!     cargo bench --bench alignment -- /tmp/bench-model
//!
//! Settings (environment): `TERJEMAH_BENCH_SENTENCES` (first lines of data/bench.id, default
//! 16), `TERJEMAH_BENCH_ROUNDS` (default 5), `TERJEMAH_BENCH_NEW_TOKENS` (tokens generated per
//! sentence, default 48: fixed, as scripts/bench.py fixes them, since a random-weight model's
//! outputs would otherwise run to `max_length`). `scripts/align_bench.sh` makes the model and
//! runs this.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use terjemah::marian::hub::{resolve, ModelSource};
use terjemah::search::batch::BatchLimits;
use terjemah::{TranslateOptions, Translator};

fn setting(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name}={v}: not a number")),
        Err(_) => Ok(default),
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; the first other argument is the model.
    let dir = std::env::var("TERJEMAH_BENCH_MODEL")
        .ok()
        .or_else(|| std::env::args().skip(1).find(|a| !a.starts_with("--")))
        .context("name the model folder: TERJEMAH_BENCH_MODEL=DIR or `-- DIR`")?;
    let count = setting("TERJEMAH_BENCH_SENTENCES", 16)?;
    let rounds = setting("TERJEMAH_BENCH_ROUNDS", 5)?.max(1);
    let new_tokens = setting("TERJEMAH_BENCH_NEW_TOKENS", 48)?.max(1);
    let input = concat!(env!("CARGO_MANIFEST_DIR"), "/data/bench.id");
    let text = std::fs::read_to_string(input).with_context(|| input.to_string())?;
    let sentences: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(count)
        .collect();
    let files = resolve(&ModelSource::Dir(dir.clone().into()), false)?;
    let translator = Translator::load(&files, &candle_core::Device::Cpu)?;
    let default_beams = translator.options().decode.num_beams;
    let searches = [
        ("greedy", 1),
        ("beam", if default_beams > 1 { default_beams } else { 4 }),
    ];
    println!(
        "{dir}: {} sentences, {new_tokens} new tokens each, {rounds} rounds",
        sentences.len()
    );
    for (name, beams) in searches {
        let mut opts: TranslateOptions = translator.options();
        opts.decode.num_beams = beams;
        opts.decode.min_new_tokens = new_tokens;
        opts.decode.max_length = new_tokens + 1;
        opts.batch = BatchLimits {
            max_tokens: 100_000,
            max_sentences: 16,
        };
        let (mut plain, mut aligned) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Alternate which goes first, so that neither always runs on a warmer machine.
            for aligned_now in [round % 2 == 1, round % 2 == 0] {
                let start = Instant::now();
                if aligned_now {
                    let out = translator.translate_aligned_with(&sentences, &opts, &mut |_| {})?;
                    aligned.push(start.elapsed());
                    std::hint::black_box(out);
                } else {
                    let out = translator.translate_with(&sentences, &opts, &mut |_| {})?;
                    plain.push(start.elapsed());
                    std::hint::black_box(out);
                }
            }
        }
        let (p, a) = (median(&mut plain), median(&mut aligned));
        println!(
            "{name} ({beams} beam{}): plain {:.3} s, aligned {:.3} s (medians), aligned/plain {:.3}",
            if beams == 1 { "" } else { "s" },
            p.as_secs_f64(),
            a.as_secs_f64(),
            a.as_secs_f64() / p.as_secs_f64()
        );
    }
    Ok(())
}
