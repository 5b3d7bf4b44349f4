//! Parity with transformers on the fixture model: tokenizer ids and decoding, greedy and beam-4
//! generations, greedy with `no_repeat_ngram_size` (goldens from scripts/make_goldens.py), batch-versus-alone invariance, and the
//! pytorch_model.bin loading path.

use candle_core::Device;
use terjemah::marian::hub::{resolve, ModelSource};
use terjemah::search::batch::BatchLimits;
use terjemah::{TranslateOptions, Translator};

use crate::util::{fixture, fixture_pt, golden, ids};

fn load(dir: std::path::PathBuf) -> Translator {
    let files = resolve(&ModelSource::Dir(dir), false).unwrap();
    Translator::load(&files, &Device::Cpu).unwrap()
}

fn options(t: &Translator, beams: usize, max_tokens: usize) -> TranslateOptions {
    let mut o = t.options();
    o.decode.num_beams = beams;
    o.batch = BatchLimits {
        max_tokens,
        max_sentences: 64,
    };
    o
}

#[test]
fn tokenizer_matches_marian_tokenizer() {
    let t = load(fixture());
    let tok = t.tokenizer();
    let rows = golden("tokenizer.jsonl");
    let (mut encoded, mut decoded) = (0, 0);
    for row in &rows {
        let want = ids(&row["ids"]);
        if let Some(text) = row["text"].as_str() {
            assert_eq!(tok.encode(text).unwrap(), want, "encode {text:?}");
            encoded += 1;
        }
        assert_eq!(
            tok.decode(&want),
            row["decoded"].as_str().unwrap(),
            "decode {want:?}"
        );
        decoded += 1;
    }
    println!("tokenizer parity: {encoded}/{encoded} encodings, {decoded}/{decoded} decodings");
    assert!(encoded > 300 && decoded > encoded);
}

/// Generates for every golden row in mixed-length batches and compares with transformers.
fn compare(
    t: &Translator,
    file: &str,
    key: &str,
    beams: usize,
    max_length: Option<usize>,
) -> (usize, usize) {
    compare_with(t, file, key, beams, max_length, 0)
}

fn compare_with(
    t: &Translator,
    file: &str,
    key: &str,
    beams: usize,
    max_length: Option<usize>,
    no_repeat_ngram_size: usize,
) -> (usize, usize) {
    let rows = golden(file);
    let sources: Vec<Vec<u32>> = rows.iter().map(|r| ids(&r["ids"])).collect();
    for (row, src) in rows.iter().zip(&sources) {
        assert_eq!(
            t.tokenizer().encode(row["text"].as_str().unwrap()).unwrap(),
            *src
        );
    }
    let mut opts = options(t, beams, 512);
    if let Some(m) = max_length {
        opts.decode.max_length = m;
    }
    opts.decode.no_repeat_ngram_size = no_repeat_ngram_size;
    let got = t.translate_ids(&sources, &opts, &mut |_| {}).unwrap();
    let mut same = 0;
    for (row, out) in rows.iter().zip(&got) {
        let want = ids(&row[key]);
        if *out == want {
            same += 1;
            assert_eq!(
                t.tokenizer().decode(out),
                row[format!("{key}_text")].as_str().unwrap()
            );
        } else {
            println!(
                "{key} differs for {:?}:\n  got  {out:?}\n  want {want:?}",
                row["text"]
            );
        }
    }
    println!("{file} {key}: {same}/{} identical", rows.len());
    (same, rows.len())
}

#[test]
fn greedy_matches_transformers_exactly() {
    let t = load(fixture());
    let (same, total) = compare(&t, "generate.jsonl", "greedy", 1, None);
    assert_eq!(same, total);
    let (same, total) = compare(&t, "short.jsonl", "greedy", 1, Some(6));
    assert_eq!(same, total);
}

/// The retry of looping outputs: greedy search with repeated trigrams blocked, on the sentences
/// whose plain greedy output it changes.
#[test]
fn greedy_without_repeated_trigrams_matches_transformers_exactly() {
    let t = load(fixture());
    let (same, total) = compare_with(&t, "norepeat.jsonl", "greedy", 1, None, 3);
    assert_eq!(same, total);
    assert!(total > 100, "only {total} sentences change");
}

#[test]
fn beam4_matches_transformers() {
    let t = load(fixture());
    let (same, total) = compare(&t, "generate.jsonl", "beam4", 4, None);
    assert!(
        same * 100 >= total * 99,
        "beam parity {same}/{total} below 99%"
    );
    let (same, total) = compare(&t, "short.jsonl", "beam4", 4, Some(6));
    assert_eq!(same, total);
}

#[test]
fn room_for_one_token_gives_the_forced_eos_in_both_searches() {
    // Beam search decodes its first step for the first beam alone only when later steps follow;
    // here it takes the path that decodes every beam, and both searches must end at once.
    let t = load(fixture());
    let sources: Vec<Vec<u32>> = golden("generate.jsonl")
        .iter()
        .take(5)
        .map(|r| ids(&r["ids"]))
        .collect();
    for beams in [1, 4] {
        let mut opts = options(&t, beams, 512);
        opts.decode.max_length = 2;
        let eos = opts.decode.forced_eos.expect("Marian forces EOS last");
        let got = t.translate_ids(&sources, &opts, &mut |_| {}).unwrap();
        assert_eq!(got, vec![vec![eos]; sources.len()], "beams {beams}");
    }
}

#[test]
fn recording_stage_times_changes_no_output_and_times_every_stage() {
    let plain = load(fixture());
    let mut timed = load(fixture());
    timed.record_stage_times();
    assert_eq!(plain.stage_times(), None);
    let sources: Vec<Vec<u32>> = golden("generate.jsonl")
        .iter()
        .take(12)
        .map(|r| ids(&r["ids"]))
        .collect();
    let mut last = timed.stage_times().expect("recording");
    assert_eq!(last.total(), std::time::Duration::ZERO);
    for beams in [1, 4] {
        let opts = options(&plain, beams, 64);
        let want = plain.translate_ids(&sources, &opts, &mut |_| {}).unwrap();
        let got = timed.translate_ids(&sources, &opts, &mut |_| {}).unwrap();
        assert_eq!(got, want, "beams {beams}");
        // Every stage ran again, so each sum grew.
        let now = timed.stage_times().unwrap();
        for (stage, before, after) in [
            ("encoder", last.encoder, now.encoder),
            ("decoder", last.decoder, now.decoder),
            ("projection", last.projection, now.projection),
            ("search", last.search, now.search),
        ] {
            assert!(after > before, "beams {beams}: {stage} did not grow");
        }
        last = now;
    }
}

#[test]
fn fixture_outputs_depend_on_input_and_end() {
    // Guards the fixture itself: parity on a model that says the same thing to every input would
    // prove little.
    let rows = golden("generate.jsonl");
    let distinct: std::collections::HashSet<&str> = rows
        .iter()
        .map(|r| r["greedy_text"].as_str().unwrap())
        .collect();
    assert!(
        distinct.len() * 2 > rows.len(),
        "only {} distinct outputs",
        distinct.len()
    );
    let ended = rows
        .iter()
        .filter(|r| ids(&r["greedy"]).last() == Some(&0))
        .count();
    assert!(
        ended * 10 >= rows.len() * 9,
        "only {ended} outputs end on EOS by themselves"
    );
}

#[test]
fn sentence_alone_equals_sentence_in_padded_batch() {
    let t = load(fixture());
    let rows = golden("generate.jsonl");
    let sources: Vec<Vec<u32>> = rows.iter().take(60).map(|r| ids(&r["ids"])).collect();
    for beams in [1, 4] {
        let batched = t
            .translate_ids(&sources, &options(&t, beams, 4096), &mut |_| {})
            .unwrap();
        let alone = t
            .translate_ids(&sources, &options(&t, beams, 1), &mut |_| {})
            .unwrap();
        assert_eq!(batched, alone, "beams {beams}");
    }
}

#[test]
fn pytorch_checkpoint_gives_the_same_translations() {
    let files = resolve(&ModelSource::Dir(fixture_pt()), false).unwrap();
    assert!(
        !files.has_safetensors(),
        "the -pt fixture must load pytorch_model.bin"
    );
    let t = Translator::load(&files, &Device::Cpu).unwrap();
    let rows = golden("generate.jsonl");
    let sources: Vec<Vec<u32>> = rows.iter().take(40).map(|r| ids(&r["ids"])).collect();
    let got = t
        .translate_ids(&sources, &options(&t, 1, 2048), &mut |_| {})
        .unwrap();
    for (row, out) in rows.iter().zip(got) {
        assert_eq!(out, ids(&row["greedy"]), "{:?}", row["text"]);
    }
}

/// f16 and bf16 (the GPU dtypes, here on the CPU): the first decoding step's logits stay close to
/// f32's, and most greedy translations come out the same.
#[test]
fn half_precision_follows_f32() {
    use candle_core::DType;
    use terjemah::marian::config::MarianConfig;
    use terjemah::marian::layers::Quantize;
    use terjemah::marian::model::{Marian, Weights};

    let dir = fixture();
    let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
    let weights = dir.join("model.safetensors");
    let rows = golden("generate.jsonl");
    let sources: Vec<Vec<u32>> = rows.iter().take(32).map(|r| ids(&r["ids"])).collect();
    let first_step = |dtype| {
        let model = Marian::load(
            &config,
            Weights::Safetensors(&weights),
            dtype,
            Quantize::None,
            &Device::Cpu,
        )
        .unwrap();
        let encoded = model.encode(&sources).unwrap();
        let mut cache = model.new_cache(sources.len(), 4).unwrap();
        let start = vec![config.decoder_start(); sources.len()];
        model
            .decode_step(&start, &encoded, &mut cache)
            .unwrap()
            .values
    };
    let full = first_step(DType::F32);
    let range = full.iter().fold(0f32, |m, x| m.max(x.abs()));
    for (dtype, tolerance) in [(DType::F16, 0.01), (DType::BF16, 0.05)] {
        let half = first_step(dtype);
        let worst = full
            .iter()
            .zip(&half)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        println!("{dtype:?}: largest logit difference {worst:.4} (logits up to {range:.2})");
        assert!(
            worst <= tolerance * range,
            "{dtype:?}: {worst} vs range {range}"
        );
    }

    let files = resolve(&ModelSource::Dir(dir), false).unwrap();
    let f16 = Translator::load_with(&files, &Device::Cpu, DType::F16, Quantize::None).unwrap();
    let opts = options(&f16, 1, 2048);
    let out = f16.translate_ids(&sources, &opts, &mut |_| {}).unwrap();
    let same = rows
        .iter()
        .zip(&out)
        .filter(|(r, o)| ids(&r["greedy"]) == **o)
        .count();
    println!(
        "f16 greedy = transformers f32 greedy on {same}/{}",
        out.len()
    );
    assert!(same * 2 > out.len(), "{same}/{}", out.len());
}

/// Reordering, repeating and dropping rows of the decoder cache (what beam search does), with a
/// cache that has to grow, gives each row the logits a fresh decode of its own history gives.
#[test]
fn cache_reorders_follow_each_rows_history() {
    use candle_core::DType;
    use terjemah::marian::config::MarianConfig;
    use terjemah::marian::layers::Quantize;
    use terjemah::marian::model::{Marian, Weights};

    let dir = fixture();
    let config = MarianConfig::from_file(&dir.join("config.json")).unwrap();
    let weights = dir.join("model.safetensors");
    let model = Marian::load(
        &config,
        Weights::Safetensors(&weights),
        DType::F32,
        Quantize::None,
        &Device::Cpu,
    )
    .unwrap();
    let rows = golden("generate.jsonl");
    let sources: Vec<Vec<u32>> = rows.iter().take(3).map(|r| ids(&r["ids"])).collect();
    let start = config.decoder_start();
    let logits = |l: terjemah::marian::cache::Logits| -> Vec<Vec<f32>> {
        l.values.chunks(l.vocab).map(<[f32]>::to_vec).collect()
    };

    // Reordered: three rows, then rows [2, 0, 0], then row [1] of those.
    let mut encoded = model.encode(&sources).unwrap();
    let mut cache = model.new_cache(3, 1).unwrap();
    model
        .decode_step(&[start; 3], &encoded, &mut cache)
        .unwrap();
    model
        .decode_step(&[10, 11, 12], &encoded, &mut cache)
        .unwrap();
    encoded = encoded.select(&[2, 0, 0]).unwrap();
    cache.select(&[2, 0, 0]).unwrap();
    let third = logits(
        model
            .decode_step(&[13, 14, 15], &encoded, &mut cache)
            .unwrap(),
    );
    encoded = encoded.select(&[1]).unwrap();
    cache.select(&[1]).unwrap();
    let fourth = logits(model.decode_step(&[16], &encoded, &mut cache).unwrap());

    // Fresh: each final row decoded from the start with its own history.
    let fresh = |source: usize, history: &[u32]| {
        let encoded = model.encode(&sources[source..=source]).unwrap();
        let mut cache = model.new_cache(1, 8).unwrap();
        let mut last = Vec::new();
        for &token in history {
            last = logits(model.decode_step(&[token], &encoded, &mut cache).unwrap());
        }
        last.remove(0)
    };
    let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4);
    assert!(close(&third[0], &fresh(2, &[start, 12, 13])));
    assert!(close(&third[1], &fresh(0, &[start, 10, 14])));
    assert!(close(&third[2], &fresh(0, &[start, 10, 15])));
    assert!(close(&fourth[0], &fresh(0, &[start, 10, 14, 16])));
    // And the histories matter: a row with another history differs.
    assert!(!close(&third[1], &third[2]));
}

/// Cross-attention rows and word alignments against transformers' (`attention.jsonl`, from
/// `scripts/make_goldens.py --only attention`): greedy and beam 4, in padded batches.
#[test]
fn attention_and_word_alignment_match_transformers() {
    let t = load(fixture());
    let rows = golden("attention.jsonl");
    let texts: Vec<&str> = rows.iter().map(|r| r["text"].as_str().unwrap()).collect();
    let sources: Vec<Vec<u32>> = rows.iter().map(|r| ids(&r["ids"])).collect();
    for (text, source) in texts.iter().zip(&sources) {
        assert_eq!(t.tokenizer().encode(text).unwrap(), *source);
    }
    let layer = rows[0]["layer"].as_u64().unwrap() as usize;
    let (mut close_rows, mut all_rows, mut same_alignments, mut worst) = (0, 0, 0, 0f32);
    for (key, beams) in [("greedy", 1), ("beam4", 4)] {
        // Batches of a few sentences of different lengths: padded rows.
        let opts = options(&t, beams, 120);
        assert_eq!(
            opts.alignment_layer, None,
            "the default is the penultimate layer"
        );
        let got = t
            .translate_ids_attending(&sources, &opts, &mut |_| {})
            .unwrap();
        let aligned = t
            .translate_aligned_with(&texts, &opts, &mut |_| {})
            .unwrap();
        for ((row, g), a) in rows.iter().zip(&got).zip(&aligned) {
            assert_eq!(g.ids, ids(&row[key]), "{key} ids of {:?}", row["text"]);
            assert_eq!(a.text, row[format!("{key}_text")].as_str().unwrap());
            let want = row[format!("{key}_attention")].as_array().unwrap();
            assert_eq!(g.attention.len(), want.len());
            for (got_row, want_row) in g.attention.iter().zip(want) {
                let want_row: Vec<f32> = (want_row.as_array().unwrap().iter())
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect();
                assert_eq!(got_row.len(), want_row.len());
                let diff =
                    (got_row.iter().zip(&want_row)).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
                worst = worst.max(diff);
                all_rows += 1;
                close_rows += usize::from(diff <= 1e-4);
            }
            let pairs: Vec<(usize, usize)> = (row[format!("{key}_alignment")].as_array())
                .unwrap()
                .iter()
                .map(|p| {
                    let p = ids(p);
                    (p[0] as usize, p[1] as usize)
                })
                .collect();
            assert!(!pairs.is_empty(), "{key}: {:?} aligns nothing", row["text"]);
            if a.alignment.pairs == pairs {
                same_alignments += 1;
            } else {
                println!(
                    "{key} alignment differs for {:?}:\n  got  {}\n  want {pairs:?}",
                    row["text"],
                    a.alignment.pharaoh()
                );
            }
        }
    }
    let total = 2 * rows.len();
    println!(
        "attention parity (layer {layer}): {close_rows}/{all_rows} rows within 1e-4 (largest \
         difference {worst:.2e}), {same_alignments}/{total} word alignments identical"
    );
    assert_eq!(close_rows, all_rows, "largest difference {worst}");
    assert_eq!(same_alignments, total);
}

#[test]
fn alignments_do_not_depend_on_the_batch_and_texts_are_translate_withs() {
    let t = load(fixture());
    let rows = golden("generate.jsonl");
    let mut texts: Vec<&str> = rows
        .iter()
        .take(40)
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    texts.insert(3, "");
    texts.insert(7, "  ");
    for beams in [1, 4] {
        let batched = options(&t, beams, 4096);
        let together = t
            .translate_aligned_with(&texts, &batched, &mut |_| {})
            .unwrap();
        let alone = t
            .translate_aligned_with(&texts, &options(&t, beams, 1), &mut |_| {})
            .unwrap();
        assert_eq!(together, alone, "beams {beams}");
        let plain = t.translate_with(&texts, &batched, &mut |_| {}).unwrap();
        let aligned: Vec<&str> = together.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(aligned, plain, "beams {beams}");
        for i in [3, 7] {
            assert_eq!(together[i], terjemah::AlignedTranslation::default());
        }
        // Every translation that has words is aligned.
        for (text, a) in texts.iter().zip(&together) {
            let has_words = !a.text.trim().is_empty();
            assert_eq!(
                !a.alignment.pairs.is_empty(),
                has_words,
                "{text:?} → {:?}",
                a.text
            );
        }
        // Every pair names a word of each side.
        for (text, a) in texts.iter().zip(&together) {
            let (sources, targets) = (
                text.split_whitespace().count(),
                a.text.split_whitespace().count(),
            );
            assert!(
                a.alignment
                    .pairs
                    .iter()
                    .all(|&(s, w)| s < sources && w < targets),
                "{text:?} → {:?}: {}",
                a.text,
                a.alignment.pharaoh()
            );
        }
    }
}

#[test]
fn the_alignment_layer_is_checked_against_the_model() {
    let t = load(fixture());
    let mut opts = t.options();
    let sentence = ["Saya suka membaca buku."];
    opts.alignment_layer = Some(1);
    let last = t
        .translate_aligned_with(&sentence, &opts, &mut |_| {})
        .unwrap();
    assert_eq!(last[0].text, t.translate(&sentence).unwrap()[0]);
    opts.alignment_layer = Some(2);
    let err = t
        .translate_aligned_with(&sentence, &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("alignment layer 2") && err.contains("has 2 layers"),
        "{err}"
    );
}
