//! The public translation API: tokenize → length-sorted batches → Marian + search → detokenize.
//!
//! Empty and whitespace-only sentences never reach the model. Results come back in input order.
//! [`Translator::translate_aligned_with`] also gives each translation's word alignment (see
//! [`super::align`]).

use std::sync::Mutex;

use anyhow::{anyhow, bail, Result};
use candle_core::{DType, Device};

use crate::marian::config::{DecodeOptions, MarianConfig, MAX_BEAMS};
use crate::marian::hub::ModelFiles;
use crate::marian::layers::Quantize;
use crate::marian::model::{Marian, Weights};
use crate::marian::tokenizer::MarianTokenizer;
use crate::search::align::word_alignment;
use crate::search::batch::{plan, BatchLimits};
use crate::search::decode::{generate, generate_with_attention, Generation};
use crate::search::step::{NonFinite, SpecialTokens, StageTimes};
use crate::text::alignment::WordAlignment;

/// A loaded model and tokenizer, ready to translate Indonesian sentences to English.
///
/// ```no_run
/// use terjemah::{marian::hub, Translator};
/// let files = hub::resolve(&hub::ModelSource::hub(hub::DEFAULT_MODEL), false)?;
/// let translator = Translator::load(&files, &candle_core::Device::Cpu)?;
/// let english = translator.translate(&["Saya suka membaca buku."])?;
/// println!("{}", english[0]);
/// # anyhow::Ok(())
/// ```
pub struct Translator {
    model: Marian,
    tokenizer: MarianTokenizer,
    special: SpecialTokens,
    defaults: DecodeOptions,
    /// Summed per-stage times, once [`Translator::record_stage_times`] asked for them.
    stage_times: Option<Mutex<StageTimes>>,
}

/// Per-call settings; [`Translator::options`] gives the checkpoint's defaults.
#[derive(Debug, Clone)]
pub struct TranslateOptions {
    pub decode: DecodeOptions,
    pub batch: BatchLimits,
    /// The decoder layer whose cross-attention word alignment reads; `None` for the penultimate
    /// (the first of a one-layer decoder). Only the aligned calls read it.
    pub alignment_layer: Option<usize>,
}

/// A translation and the word alignment between its source and it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlignedTranslation {
    pub text: String,
    /// Pairs of (source word, word of `text`), words as [`crate::text::alignment::words`] cuts
    /// them.
    pub alignment: WordAlignment,
}

impl Translator {
    /// Loads config, tokenizer and weights (model.safetensors, else the PyTorch pickle).
    pub fn load(files: &ModelFiles, device: &Device) -> Result<Self> {
        Self::load_with(files, device, DType::F32, Quantize::None)
    }

    /// Like [`Translator::load`], computing in `dtype` (f32, f16 or bf16), with the linear layers
    /// quantized as asked.
    pub fn load_with(
        files: &ModelFiles,
        device: &Device,
        dtype: DType,
        quant: Quantize,
    ) -> Result<Self> {
        let config = MarianConfig::from_file(&files.config)?;
        let defaults = DecodeOptions::from_model(&config, files.generation_config.as_deref())?;
        let tokenizer = MarianTokenizer::from_dir(&files.dir, &config)?;
        // A model whose every allowed token decodes to nothing would "translate" every sentence
        // to an empty string.
        let speaks = (0..config.vocab_size as u32)
            .any(|id| tokenizer.decodes_to_text(id) && !defaults.banned_tokens.contains(&id));
        if !speaks {
            bail!(
                "{}: no token the model may generate decodes to text (all are </s>, <unk>, <pad>, \
                 banned or missing): it could only produce empty translations",
                files.dir.join("vocab.json").display()
            );
        }
        let weights = if files.has_safetensors() {
            Weights::Safetensors(&files.weights)
        } else {
            Weights::Pytorch(&files.weights)
        };
        let model = Marian::load(&config, weights, dtype, quant, device)?;
        Ok(Self {
            model,
            special: SpecialTokens {
                decoder_start: config.decoder_start(),
                eos: config.eos_token_id,
            },
            tokenizer,
            defaults,
            stage_times: None,
        })
    }

    /// From now on, sum the wall time of each generation stage (on a GPU this waits for the
    /// device between stages, which costs a little speed).
    pub fn record_stage_times(&mut self) {
        self.stage_times.get_or_insert_with(Default::default);
    }

    /// The stage times summed so far, if they are recorded.
    pub fn stage_times(&self) -> Option<StageTimes> {
        let times = self.stage_times.as_ref()?;
        Some(*times.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The checkpoint's decoding defaults with default batch limits.
    pub fn options(&self) -> TranslateOptions {
        TranslateOptions {
            decode: self.defaults.clone(),
            batch: BatchLimits {
                max_tokens: 2048,
                max_sentences: 64,
            },
            alignment_layer: None,
        }
    }

    /// The tokenizer, for callers that need token counts.
    pub fn tokenizer(&self) -> &MarianTokenizer {
        &self.tokenizer
    }

    /// Translates sentences with the checkpoint's defaults.
    pub fn translate(&self, sentences: &[&str]) -> Result<Vec<String>> {
        self.translate_with(sentences, &self.options(), &mut |_| {})
    }

    /// Translates sentences; `done` is called with the number of sentences finished by each batch.
    pub fn translate_with(
        &self,
        sentences: &[&str],
        opts: &TranslateOptions,
        done: &mut dyn FnMut(usize),
    ) -> Result<Vec<String>> {
        let ids = self.encode_all(sentences)?;
        let outputs = self.translate_ids(&ids, opts, done)?;
        Ok(outputs.iter().map(|o| self.tokenizer.decode(o)).collect())
    }

    /// Translates sentences with the checkpoint's defaults, each with its word alignment.
    pub fn translate_aligned(&self, sentences: &[&str]) -> Result<Vec<AlignedTranslation>> {
        self.translate_aligned_with(sentences, &self.options(), &mut |_| {})
    }

    /// [`Translator::translate_with`] (the same batches and texts), each translation with its
    /// word alignment read from the cross-attention of `opts.alignment_layer`. An empty sentence
    /// gives an empty text and alignment.
    ///
    /// ```no_run
    /// use terjemah::{marian::hub, Translator};
    /// let files = hub::resolve(&hub::ModelSource::hub(hub::DEFAULT_MODEL), false)?;
    /// let translator = Translator::load(&files, &candle_core::Device::Cpu)?;
    /// let opts = translator.options();
    /// let out = translator.translate_aligned_with(&["Saya suka membaca buku."], &opts, &mut |_| {})?;
    /// // "I like reading books." with, say, 0-0 1-1 2-2 3-3
    /// println!("{}\t{}", out[0].text, out[0].alignment.pharaoh());
    /// # anyhow::Ok(())
    /// ```
    pub fn translate_aligned_with(
        &self,
        sentences: &[&str],
        opts: &TranslateOptions,
        done: &mut dyn FnMut(usize),
    ) -> Result<Vec<AlignedTranslation>> {
        let ids = self.encode_all(sentences)?;
        let generated = self.translate_ids_attending(&ids, opts, done)?;
        (sentences.iter().zip(&generated))
            .map(|(sentence, g)| {
                Ok(AlignedTranslation {
                    text: self.tokenizer.decode(&g.ids),
                    alignment: word_alignment(&self.tokenizer, sentence, g)?,
                })
            })
            .collect()
    }

    /// [`Translator::translate_ids`] with each generated id's cross-attention row in
    /// `opts.alignment_layer` (over the source ids, `</s>` included), for callers that align by a
    /// rule of their own.
    pub fn translate_ids_attending(
        &self,
        sources: &[Vec<u32>],
        opts: &TranslateOptions,
        done: &mut dyn FnMut(usize),
    ) -> Result<Vec<Generation>> {
        let layers = self.model.decoder_layers();
        let layer = opts.alignment_layer.unwrap_or(layers.saturating_sub(2));
        if layer >= layers {
            bail!(
                "alignment layer {layer} does not exist: the model's decoder has {layers} layers \
                 (0..={})",
                layers.saturating_sub(1)
            );
        }
        self.run_batches(sources, opts, done, Some(layer))
    }

    /// Generates ids for already-encoded sources; an empty source gives an empty output.
    pub fn translate_ids(
        &self,
        sources: &[Vec<u32>],
        opts: &TranslateOptions,
        done: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<u32>>> {
        let generated = self.run_batches(sources, opts, done, None)?;
        Ok(generated.into_iter().map(|g| g.ids).collect())
    }

    /// Each sentence's ids, or none for an empty one, which never reaches the model.
    fn encode_all(&self, sentences: &[&str]) -> Result<Vec<Vec<u32>>> {
        (sentences.iter())
            .map(|s| {
                if s.trim().is_empty() {
                    Ok(Vec::new())
                } else {
                    self.tokenizer.encode(s)
                }
            })
            .collect()
    }

    /// The sources in length-sorted batches, with the cross-attention of decoder layer
    /// `attending` if given.
    fn run_batches(
        &self,
        sources: &[Vec<u32>],
        opts: &TranslateOptions,
        done: &mut dyn FnMut(usize),
        attending: Option<usize>,
    ) -> Result<Vec<Generation>> {
        // Options may come from flags or library callers: bounded here as the model's own are.
        let beams = opts.decode.num_beams;
        if !(1..=MAX_BEAMS).contains(&beams) {
            bail!("a beam width of {beams} is outside 1..={MAX_BEAMS}");
        }
        let limit = self.model.max_positions();
        if let Some((i, s)) = sources.iter().enumerate().find(|(_, s)| s.len() > limit) {
            bail!(
                "sentence {} has {} tokens, more than the model's {limit} positions",
                i + 1,
                s.len()
            );
        }
        let mut outputs = vec![Generation::default(); sources.len()];
        let todo: Vec<usize> = (0..sources.len())
            .filter(|&i| !sources[i].is_empty())
            .collect();
        done(sources.len() - todo.len());
        let lengths: Vec<usize> = todo.iter().map(|&i| sources[i].len()).collect();
        let mut decode = opts.decode.clone();
        // The decoder's positions end at the table's size, whatever max_length asks.
        decode.max_length = decode.max_length.min(limit + 1);
        for batch in plan(&lengths, opts.batch) {
            let rows: Vec<Vec<u32>> = batch
                .indices
                .iter()
                .map(|&b| sources[todo[b]].clone())
                .collect();
            let mut times = self
                .stage_times
                .as_ref()
                .map(|t| t.lock().unwrap_or_else(|e| e.into_inner()));
            let times = times.as_deref_mut();
            let generated = match attending {
                None => generate(&self.model, &rows, &decode, self.special, times).map(|ids| {
                    let plain = |ids| Generation {
                        ids,
                        attention: Vec::new(),
                    };
                    ids.into_iter().map(plain).collect()
                }),
                Some(layer) => {
                    generate_with_attention(&self.model, &rows, &decode, self.special, times, layer)
                }
            }
            .map_err(|e| match e.downcast_ref::<NonFinite>() {
                Some(bad) => {
                    let sentence = batch.indices.get(bad.row).and_then(|&b| todo.get(b));
                    anyhow!("sentence {}: {bad}", sentence.map_or(0, |i| i + 1))
                }
                None => e,
            })?;
            for (&b, out) in batch.indices.iter().zip(generated) {
                outputs[todo[b]] = out;
            }
            done(batch.indices.len());
        }
        Ok(outputs)
    }
}
