//! The only module that knows the order of the stages: read input → split into model inputs →
//! translate in batches → check each translation and retry those that ran on → put the results
//! back → write output; progress, warnings and the summary on stderr, every segment in `--report`.
//!
//! A folder run streams: documents are read one at a time into a pool whose sentences share
//! batches; when the pool is full it is translated and each of its documents is written (atomically)
//! at once. A file that cannot be read or decoded is reported and skipped; the others go on.
//!
//! Line and JSON Lines runs stream a window of lines at a time (`pipeline/stream.rs`: reading,
//! the partial output and its checkpoint, resuming); this module decides what each window's lines
//! become.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::device::{self, DeviceChoice, DtypeChoice};
use crate::files::plan::{self, TreePlan, TreeRequest};
use crate::files::shard::{self, Shard};
use crate::files::{read_file, write_atomic, Input};
use crate::marian::hub::{self, ModelSource};
use crate::marian::layers::Quantize;
use crate::report::{Report, Retry, Translation};
use crate::search::step::StageTimes;
use crate::search::translator::{TranslateOptions, Translator};
use crate::text::alignment::WordAlignment;
use crate::text::document::{Decision, Document, DocumentOptions};
use crate::text::language;
use crate::text::reassemble::check_translation;
use crate::text::segment;
use parsed::{Kind, Parsed};

mod parsed;
mod stream;

pub use stream::DEFAULT_WINDOW;

/// Sentences gathered from several documents before they are translated together.
const POOL_SENTENCES: usize = 1024;

/// Warnings printed per input before the rest are only counted (all go to `--report`).
const WARNINGS_SHOWN: usize = 5;

/// The n-gram size blocked when a translation that ran on is tried again: 3 stops the loops
/// opus-mt models fall into on fragments (a word or two repeated) and leaves ordinary
/// repetition of single words alone.
const RETRY_NO_REPEAT_NGRAM: usize = 3;

/// How a run ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Inputs that were reported and skipped.
    pub failed: usize,
}

/// How input text is split into units to translate (see the CLI's `--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Documents, sentences put back in their source lines.
    Text,
    /// Markdown documents: the syntax is kept.
    Markdown,
    /// HTML pages: markup kept, prose translated whole with its inline tags put back.
    Html,
    /// SubRip subtitles: cues and timings kept.
    Srt,
    /// WebVTT subtitles: cues, timings, settings and blocks kept.
    Vtt,
    /// One sentence per line.
    Lines,
    /// JSON Lines: one field of each object translated as a document.
    Jsonl,
}

/// What to translate and where the English goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// One input to a file or, without `-o`, standard output.
    Single {
        input: Input,
        output: Option<PathBuf>,
        /// A line or JSON Lines file with `-o OUT`: translate only this shard's lines, to
        /// `OUT.shard-I-of-N`.
        shard: Option<Shard>,
    },
    /// Files and folders to a mirrored output folder.
    Tree {
        inputs: Vec<PathBuf>,
        out_dir: PathBuf,
        extensions: Vec<String>,
        force: bool,
        /// Translate only this shard of the files.
        shard: Option<Shard>,
    },
}

/// A validated `translate` request.
#[derive(Debug, Clone)]
pub struct TranslateConfig {
    pub job: Job,
    pub format: Format,
    /// The JSON field translated in jsonl mode.
    pub field: String,
    pub model: ModelSource,
    pub device: DeviceChoice,
    pub beams: Option<usize>,
    pub max_length: Option<usize>,
    pub min_new_tokens: usize,
    /// Batch limits; `None` takes the device's default.
    pub max_batch_tokens: Option<usize>,
    pub batch_size: Option<usize>,
    pub dtype: DtypeChoice,
    pub threads: Option<usize>,
    pub quantize: Quantize,
    pub quiet: bool,
    pub timings: bool,
    /// Where the per-segment report goes.
    pub report: Option<PathBuf>,
    /// Keep sentences (lines, in line mode) that are confidently not Indonesian as they are.
    pub pass_through_foreign: bool,
    /// Lines (or JSON Lines objects) read and translated together in a streamed run.
    pub window: usize,
    /// A streamed `-o FILE` run starts over instead of refusing a checkpoint it cannot resume.
    pub force: bool,
}

/// Runs `terjemah translate`. A single input is all-or-nothing: nothing is written at `-o FILE`
/// unless it all translated (a streamed line run's output to standard output goes out window by
/// window). A folder run goes on past bad files and counts them in the outcome.
pub fn translate(config: &TranslateConfig) -> Result<Outcome> {
    if let Some(n) = config.threads {
        // Candle's CPU kernels and rayon size their thread pools from this; set before any work.
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    }
    // The run itself is one of the pool's threads, so that a parallel loop (dozens per decoding
    // step) starts on it at once and wakes one other thread, instead of being handed to the pool
    // while the caller waits. The stack matches the main thread's.
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(8 << 20)
        .build()
        .context("starting the worker threads")?;
    pool.install(|| run(config))
}

fn run(config: &TranslateConfig) -> Result<Outcome> {
    let report: Vec<&Path> = config.report.iter().map(PathBuf::as_path).collect();
    match &config.job {
        Job::Single {
            input,
            output,
            shard,
        } if matches!(config.format, Format::Lines | Format::Jsonl) => {
            let mut settings = settings(config);
            let mut output = output.clone();
            let mut lines = None;
            let mut marker = None;
            if let (Some(shard), Some(out)) = (shard, &output) {
                shard::check_line_layout(out, *shard)?;
                let (total, bytes, crc32) = stream::scan(input)?;
                let range = shard::line_range(total, *shard);
                let target = shard::line_output(out, *shard);
                let done = shard::line_marker(&target);
                let text = shard::line_marker_text(bytes, crc32, &range);
                let unfinished = stream::side_files(&target).iter().any(|p| p.exists());
                // A retried array task whose shard is done returns before the (slow) model load.
                if !config.force
                    && !unfinished
                    && target.is_file()
                    && std::fs::read_to_string(&done).is_ok_and(|t| t == text)
                {
                    if !config.quiet {
                        eprintln!(
                            "terjemah: shard {shard} is complete ({}, marker {}); nothing to do",
                            target.display(),
                            done.display()
                        );
                    }
                    return Ok(Outcome { failed: 0 });
                }
                // The checkpoint of one layout must not resume under another.
                settings.push_str(&format!(" shard {shard} lines {range:?}"));
                lines = Some(range);
                marker = Some((done, text));
                output = Some(target);
            }
            // The partial, the checkpoint and the done marker are checked like outputs (never an
            // input).
            let side: Vec<PathBuf> = output
                .iter()
                .flat_map(|o| stream::side_files(o))
                .chain(marker.iter().map(|(done, _)| done.clone()))
                .collect();
            let mut checked = report.clone();
            checked.extend(side.iter().map(PathBuf::as_path));
            plan::single(input, output.as_deref(), &checked)?;
            let (mut reader, sink, skipped) =
                stream::open(input, output.as_deref(), &settings, config.force, lines)?;
            let engine = Engine::load(config)?;
            if skipped > 0 {
                engine.note(&format!(
                    "{}: resuming after line {skipped} from the checkpoint",
                    input.name()
                ));
            }
            engine.stream(&mut reader, sink, &input.name(), config)?;
            // After the output's rename: a kill between the two leaves an output without a
            // marker, which the next run redoes.
            if let Some((done, text)) = &marker {
                write_atomic(done, text.as_bytes())?;
            }
            engine.finish()?;
            Ok(Outcome { failed: 0 })
        }
        Job::Single { input, output, .. } => {
            // Check the paths and read the input before the (slow) model load, so bad input fails fast.
            plan::single(input, output.as_deref(), &report)?;
            let text = input.read_text()?;
            let engine = Engine::load(config)?;
            let start = Instant::now();
            let path = match input {
                Input::File(p) => Some(p.as_path()),
                _ => None,
            };
            let kind = Kind::of(config.format, path);
            let (english, sentences) = engine.document(&text, &input.name(), kind)?;
            engine.summary(&format!("{sentences} sentences"), sentences, start);
            match output {
                Some(path) => write_atomic(path, english.as_bytes())?,
                None => write_stdout(english.as_bytes())?,
            }
            engine.finish()?;
            Ok(Outcome { failed: 0 })
        }
        Job::Tree {
            inputs,
            out_dir,
            extensions,
            force,
            shard,
        } => {
            let request = TreeRequest {
                inputs,
                out_dir,
                extensions,
                force: *force,
                shard: *shard,
            };
            let plan = plan::tree(&request, &report)?;
            if let Some(marker) = &plan.marker {
                // A retried array task whose shard is done returns before the (slow) model load.
                if plan.work.is_empty() && plan.failures.is_empty() {
                    if !marker.is_on_disk() {
                        marker.write(0, plan.up_to_date)?;
                    }
                    if !config.quiet {
                        eprintln!(
                            "terjemah: shard {} is complete ({} files up to date, marker {}); nothing to do",
                            marker.shard,
                            plan.up_to_date,
                            marker.path.display()
                        );
                    }
                    return Ok(Outcome { failed: 0 });
                }
            }
            let engine = Engine::load(config)?;
            for note in &plan.notes {
                engine.note(note);
            }
            for failure in &plan.failures {
                engine.failure(failure);
            }
            let failed = engine.tree(&plan)?;
            engine.finish()?;
            if let Some(marker) = &plan.marker {
                match failed {
                    0 => marker.write(plan.work.len(), plan.up_to_date)?,
                    _ => marker.remove()?,
                }
            }
            Ok(Outcome { failed })
        }
    }
}

/// Runs `terjemah segment`: each source line's sentences, one per line, then a blank line.
pub fn segment(input: &Input) -> Result<()> {
    let text = input.read_text()?;
    let mut out = String::new();
    for line in text.lines() {
        for range in segment::split(line) {
            out.push_str(&line[range]);
            out.push('\n');
        }
        out.push('\n');
    }
    write_stdout(out.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The loaded model with the run's settings.
struct Engine {
    translator: Translator,
    opts: TranslateOptions,
    progress: Progress,
    quiet: bool,
    /// `--report`, if asked for.
    report: Option<Report>,
    pass_through_foreign: bool,
    /// `--input-format`: a document format it names applies to every file of a folder.
    format: Format,
}

/// A parsed document waiting in the pool.
struct Pending {
    output: PathBuf,
    name: String,
    document: Parsed,
}

impl Engine {
    fn load(config: &TranslateConfig) -> Result<Self> {
        let device = device::open(config.device)?;
        let dtype = device::dtype(config.dtype, &device);
        let files = hub::resolve(&config.model, !config.quiet)?;
        let mut translator = Translator::load_with(&files, &device, dtype, config.quantize)?;
        if config.timings {
            translator.record_stage_times();
        }
        let mut opts = translator.options();
        if let Some(b) = config.beams {
            opts.decode.num_beams = b;
        }
        if let Some(m) = config.max_length {
            opts.decode.max_length = m;
        }
        opts.decode.min_new_tokens = config.min_new_tokens;
        let (tokens, sentences) = device::batch_defaults(&device);
        opts.batch.max_tokens = config.max_batch_tokens.unwrap_or(tokens);
        opts.batch.max_sentences = config.batch_size.unwrap_or(sentences);
        Ok(Self {
            translator,
            opts,
            progress: Progress::new(config.quiet),
            quiet: config.quiet,
            report: config.report.as_deref().map(Report::new),
            pass_through_foreign: config.pass_through_foreign,
            format: config.format,
        })
    }

    /// Writes the report, if one was asked for.
    fn finish(&self) -> Result<()> {
        self.report.as_ref().map_or(Ok(()), Report::write)
    }

    /// An input that was not translated: always on stderr, and in the report.
    fn failure(&self, line: &str) {
        self.progress.println(&format!("terjemah: {line}"));
        if let Some(report) = &self.report {
            report.failure(line);
        }
    }

    fn document_options(&self) -> DocumentOptions {
        DocumentOptions {
            pass_through_foreign: self.pass_through_foreign,
            ..DocumentOptions::default()
        }
    }

    /// Reads one input document as `kind`.
    fn parse(&self, text: &str, kind: Kind, name: &str) -> Result<Parsed> {
        Parsed::parse(text, kind, name, &self.document_options())
    }

    /// Something skipped on purpose, not a failure.
    fn note(&self, line: &str) {
        if !self.quiet {
            self.progress.println(&format!("terjemah: note: {line}"));
        }
    }

    /// The closing summary, and where the time went when that was asked for.
    fn summary(&self, what: &str, sentences: usize, start: Instant) {
        let elapsed = start.elapsed();
        self.progress.summary(what, sentences, start);
        if let Some(times) = self.translator.stage_times() {
            eprintln!("{}", stage_line(&times, elapsed));
        }
    }

    /// The model's English for `inputs`, with word alignments when `aligned`; `progress` counts
    /// the sentences on the bar.
    fn run_model(
        &self,
        inputs: &[&str],
        opts: &TranslateOptions,
        name: &str,
        aligned: bool,
        progress: bool,
    ) -> Result<Vec<(String, Option<WordAlignment>)>> {
        let mut done = |n: usize| {
            if progress {
                self.progress.advance(n as u64)
            }
        };
        let out = if aligned {
            self.translator
                .translate_aligned_with(inputs, opts, &mut done)
                .map(|v| v.into_iter().map(|a| (a.text, Some(a.alignment))).collect())
        } else {
            self.translator
                .translate_with(inputs, opts, &mut done)
                .map(|v| v.into_iter().map(|t| (t, None)).collect())
        };
        out.map_err(|e| anyhow!("{name}: {e:#}"))
    }

    /// Translates `inputs` and checks each translation. With `retry`, one that ran on (a loop,
    /// or far longer than its source) is translated again by greedy search with repeated
    /// trigrams blocked, and the second translation replaces the first only if it has no
    /// warning at all; every other translation is the model's exact output. With `aligned`,
    /// each comes with its word alignment.
    fn translate(
        &self,
        inputs: &[&str],
        name: &str,
        retry: bool,
        aligned: bool,
    ) -> Result<Vec<Translation>> {
        let english = self.run_model(inputs, &self.opts, name, aligned, true)?;
        let mut out: Vec<Translation> = inputs
            .iter()
            .zip(english)
            .map(|(source, (text, alignment))| Translation {
                warning: check_translation(source, &text),
                text,
                retry: None,
                alignment,
            })
            .collect();
        let again: Vec<usize> = (0..out.len())
            .filter(|&i| retry && out[i].warning.as_ref().is_some_and(|w| w.runs_on()))
            .collect();
        if again.is_empty() {
            return Ok(out);
        }
        let mut opts = self.opts.clone();
        opts.decode.num_beams = 1;
        opts.decode.no_repeat_ngram_size = RETRY_NO_REPEAT_NGRAM;
        let sources: Vec<&str> = again.iter().map(|&i| inputs[i]).collect();
        let second = self.run_model(&sources, &opts, name, aligned, false)?;
        for (&i, (text, alignment)) in again.iter().zip(second) {
            let t = &mut out[i];
            if check_translation(inputs[i], &text).is_none() {
                (t.text, t.warning, t.retry, t.alignment) =
                    (text, None, Some(Retry::Kept), alignment);
            } else {
                t.retry = Some(Retry::Rejected);
            }
        }
        Ok(out)
    }

    /// Translates documents together (their inputs share batches) and returns each one's English,
    /// warning about suspicious outputs under each document's name.
    fn reassembled(&self, documents: &[(&str, &Parsed)], name: &str) -> Result<Vec<String>> {
        let mut shown = Warned::default();
        let out = self.reassembled_counting(documents, name, None, &mut shown)?;
        if let Some((last, _)) = documents.last() {
            shown.finish(self, last);
        }
        Ok(out)
    }

    /// [`Self::reassembled`], counting warnings in `shown`, which the caller finishes after the
    /// last document of its name (a streamed JSON Lines input spans many calls). `lines` gives
    /// each document's line in the input when the documents are JSON Lines fields.
    fn reassembled_counting(
        &self,
        documents: &[(&str, &Parsed)],
        name: &str,
        lines: Option<&[usize]>,
        shown: &mut Warned,
    ) -> Result<Vec<String>> {
        // Alignments cost a little speed: asked for only where markup needs them.
        let aligned = documents.iter().any(|(_, p)| p.needs_alignment());
        let inputs: Vec<&str> = documents
            .iter()
            .flat_map(|(_, p)| p.documents())
            .flat_map(|d| d.model_inputs().iter().map(String::as_str))
            .collect();
        let translations = self.translate(&inputs, name, true, aligned)?;
        let mut rest = translations.as_slice();
        let mut out = Vec::with_capacity(documents.len());
        for (k, (doc_name, parsed)) in documents.iter().enumerate() {
            let line = lines.map(|l| l[k]);
            let mut per_document = Vec::new();
            for document in parsed.documents() {
                let (mine, tail) = rest.split_at(document.model_inputs().len());
                if let Some(report) = &self.report {
                    report.document(doc_name, document, mine, line);
                }
                for segment in document.segments() {
                    if let Decision::Translated { input } = segment.decision {
                        shown.warn(self, doc_name, line.unwrap_or(segment.line), &mine[input]);
                    }
                }
                per_document.push(mine);
                rest = tail;
            }
            if documents.get(k + 1).is_some_and(|next| next.0 != *doc_name) {
                shown.finish(self, doc_name);
            }
            out.push(parsed.english(&per_document));
        }
        Ok(out)
    }

    /// A line or JSON Lines run: a window of lines at a time, each window's output written (and
    /// made durable, with `-o`) before the next is read.
    fn stream(
        &self,
        reader: &mut stream::LineReader,
        mut sink: stream::Sink,
        name: &str,
        config: &TranslateConfig,
    ) -> Result<()> {
        let start = Instant::now();
        self.progress.start(0);
        let mut shown = Warned::default();
        let mut sentences = 0;
        loop {
            let first = reader.lines_read() + 1;
            let window = reader.window(config.window)?;
            if window.is_empty() {
                break;
            }
            let (english, n) = match config.format {
                Format::Jsonl => self.jsonl(&window, first, name, &config.field, &mut shown)?,
                _ => self.lines(&window, first, name, &mut shown)?,
            };
            sentences += n;
            if !sink.write(english.as_bytes(), reader)? {
                break;
            }
        }
        shown.finish(self, name);
        sink.finish()?;
        self.summary(&format!("{sentences} sentences"), sentences, start);
        Ok(())
    }

    /// Line mode for one window whose first line is line `first` of the input: one output line
    /// per input line, terminators kept. Each line is the model's exact output: no retry.
    fn lines(
        &self,
        window: &[stream::Line],
        first: usize,
        name: &str,
        shown: &mut Warned,
    ) -> Result<(String, usize)> {
        // With --keep-english, a line in another language is its own output.
        let foreign: Vec<Option<&'static str>> = window
            .iter()
            .map(|l| language::passed_through(l.content(), self.pass_through_foreign))
            .collect();
        let units: Vec<&str> = window
            .iter()
            .zip(&foreign)
            .filter(|(_, f)| f.is_none())
            .map(|(l, _)| l.content())
            .collect();
        self.progress.grow(units.len() as u64);
        let mut translations = self.translate(&units, name, false, false)?.into_iter();
        let mut out = String::new();
        for (k, (line, foreign)) in window.iter().zip(&foreign).enumerate() {
            let source = line.content();
            let number = first + k;
            match foreign {
                Some(language) => {
                    if let Some(report) = &self.report {
                        report.passed_through(name, number, source, language);
                    }
                    out.push_str(source);
                }
                None => {
                    let t = translations.next().expect("one translation per unit");
                    // Whitespace-only lines are kept as they are.
                    if source.trim().is_empty() {
                        out.push_str(source);
                    } else {
                        if let Some(report) = &self.report {
                            report.translation(name, number, source, &t);
                        }
                        shown.warn(self, name, number, &t);
                        out.push_str(&t.text);
                    }
                }
            }
            out.push_str(line.ending());
        }
        Ok((out, units.len()))
    }

    /// One document of any kind but lines.
    fn document(&self, text: &str, name: &str, kind: Kind) -> Result<(String, usize)> {
        let document = self.parse(text, kind, name)?;
        let n = inputs_of(&document);
        self.progress.start(n as u64);
        let mut english = self.reassembled(&[(name, &document)], name)?;
        Ok((english.pop().unwrap_or_default(), n))
    }

    /// JSON Lines for one window whose first line is line `first` of the input: each object's
    /// `field` is a document; every other field, and lines without the field, are kept as they
    /// are. Key order is preserved (serde_json's `preserve_order`).
    fn jsonl(
        &self,
        window: &[stream::Line],
        first: usize,
        name: &str,
        field: &str,
        shown: &mut Warned,
    ) -> Result<(String, usize)> {
        let mut objects = Vec::with_capacity(window.len());
        let mut documents = Vec::new();
        let mut numbers = Vec::new();
        for (k, line) in window.iter().enumerate() {
            let number = first + k;
            if line.content().trim().is_empty() {
                objects.push(None);
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(line.content())
                .map_err(|e| anyhow!("{name}: line {number}: invalid JSON ({e})"))?;
            match value.get(field) {
                Some(serde_json::Value::String(s)) => {
                    documents.push(Parsed::Text(Document::parse(s, &self.document_options())));
                    numbers.push(number);
                    objects.push(Some(value));
                }
                Some(_) => bail!("{name}: line {number}: field {field:?} is not a string"),
                None => objects.push(None),
            }
        }
        let count = documents.iter().map(inputs_of).sum::<usize>();
        self.progress.grow(count as u64);
        let named: Vec<(&str, &Parsed)> = documents.iter().map(|d| (name, d)).collect();
        let mut english = self
            .reassembled_counting(&named, name, Some(&numbers), shown)?
            .into_iter();
        let mut out = String::new();
        for (line, object) in window.iter().zip(objects) {
            match object {
                Some(mut value) => {
                    let text = english
                        .next()
                        .expect("one translation per translated object");
                    value[field] = serde_json::Value::String(text);
                    out.push_str(&value.to_string());
                }
                None => out.push_str(line.content()),
            }
            out.push_str(line.ending());
        }
        Ok((out, count))
    }

    /// A folder run; returns the number of files that failed, those the plan found included.
    fn tree(&self, plan: &TreePlan) -> Result<usize> {
        let start = Instant::now();
        self.progress.start(0);
        let (mut done, mut failed, mut sentences) = (0, plan.failures.len(), 0);
        let mut pool: Vec<Pending> = Vec::new();
        let mut pooled = 0;
        for file in &plan.work {
            let name = file.source.display().to_string();
            let kind = Kind::of(self.format, Some(&file.source));
            match read_file(&file.source).and_then(|text| self.parse(&text, kind, &name)) {
                Ok(document) => {
                    pooled += inputs_of(&document);
                    pool.push(Pending {
                        output: file.output.clone(),
                        name,
                        document,
                    });
                }
                Err(e) => {
                    self.failure(&format!("{e:#}"));
                    failed += 1;
                    continue;
                }
            }
            if pooled >= POOL_SENTENCES {
                let (d, f) = self.flush(&mut pool, &mut sentences);
                (done, failed) = (done + d, failed + f);
                pooled = 0;
            }
        }
        let (d, f) = self.flush(&mut pool, &mut sentences);
        (done, failed) = (done + d, failed + f);
        let what = format!(
            "{done} files ({} already up to date, {failed} failed), {sentences} sentences",
            plan.up_to_date
        );
        self.summary(&what, sentences, start);
        Ok(failed)
    }

    /// Translates the pooled documents together and writes each; returns (written, failed).
    fn flush(&self, pool: &mut Vec<Pending>, sentences: &mut usize) -> (usize, usize) {
        let count = pool.iter().map(|p| inputs_of(&p.document)).sum::<usize>();
        self.progress.grow(count as u64);
        let named: Vec<(&str, &Parsed)> = pool
            .iter()
            .map(|p| (p.name.as_str(), &p.document))
            .collect();
        let together = match named.as_slice() {
            [(name, _)] => name,
            _ => "batch",
        };
        let results: Vec<Result<String>> = match self.reassembled(&named, together) {
            Ok(english) => english.into_iter().map(Ok).collect(),
            // One bad document (a sentence the model cannot take) must not fail the others that
            // shared its batches: each is translated again on its own.
            Err(_) if pool.len() > 1 => named
                .iter()
                .map(|&(name, document)| {
                    let mut english = self.reassembled(&[(name, document)], name)?;
                    Ok(english.pop().unwrap_or_default())
                })
                .collect(),
            Err(e) => vec![Err(e)],
        };
        let (mut written, mut failed) = (0, 0);
        for (p, result) in pool.iter().zip(results) {
            match result.and_then(|text| write_atomic(&p.output, text.as_bytes())) {
                Ok(()) => {
                    written += 1;
                    *sentences += inputs_of(&p.document);
                }
                Err(e) => {
                    self.failure(&format!("{e:#}"));
                    failed += 1;
                }
            }
        }
        pool.clear();
        (written, failed)
    }
}

/// Warnings about suspicious translations of one input: the first few on stderr, then a count;
/// all of them go to the report.
#[derive(Default)]
struct Warned {
    count: usize,
}

impl Warned {
    fn warn(&mut self, engine: &Engine, name: &str, line: usize, t: &Translation) {
        let Some(w) = &t.warning else {
            return;
        };
        self.count += 1;
        if self.count <= WARNINGS_SHOWN && !engine.quiet {
            let retried = match t.retry {
                Some(Retry::Rejected) => " (also after a retry with repetition blocked)",
                _ => "",
            };
            engine.progress.println(&format!(
                "terjemah: {name}: warning: line {line}: {w}{retried}"
            ));
        }
    }

    /// Prints the count of warnings not shown, and starts counting again.
    fn finish(&mut self, engine: &Engine, name: &str) {
        if self.count > WARNINGS_SHOWN && !engine.quiet {
            let more = self.count - WARNINGS_SHOWN;
            let hint = if engine.report.is_some() {
                "listed in the report"
            } else {
                "--report FILE lists them all"
            };
            engine.progress.println(&format!(
                "terjemah: {name}: … and {more} more warnings ({hint})"
            ));
        }
        self.count = 0;
    }
}

/// What a streamed run's checkpoint must match to be resumed: everything that shapes the output.
/// Batch limits are included because batch composition can move floating-point results.
fn settings(c: &TranslateConfig) -> String {
    format!(
        "{:?}",
        (
            c.format,
            &c.field,
            &c.model,
            c.device,
            c.dtype,
            c.quantize,
            (c.beams, c.max_length, c.min_new_tokens),
            (c.max_batch_tokens, c.batch_size, c.window),
            c.pass_through_foreign,
        )
    )
}

/// The number of model inputs of a parsed document.
fn inputs_of(document: &Parsed) -> usize {
    document
        .documents()
        .iter()
        .map(|d| d.model_inputs().len())
        .sum()
}

/// `time per stage: encoder 1.20 s (5%), …`; what the model's stages do not account for of
/// `elapsed` (reading, segmenting, tokenizing, writing) comes last.
fn stage_line(times: &StageTimes, elapsed: Duration) -> String {
    let whole = elapsed.max(times.total()).as_secs_f64().max(1e-9);
    let outside = elapsed.saturating_sub(times.total());
    let parts = [
        ("encoder", times.encoder),
        ("decoder layers", times.decoder),
        ("output projection", times.projection),
        ("search", times.search),
        ("outside the model", outside),
    ];
    let parts: Vec<String> = parts
        .iter()
        .map(|(name, t)| {
            let secs = t.as_secs_f64();
            format!("{name} {secs:.2} s ({:.0}%)", 100.0 * secs / whole)
        })
        .collect();
    format!("time per stage: {}", parts.join(", "))
}

/// A bar over sentences on stderr when it is a terminal, else one summary line; nothing with --quiet.
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} sentences, {per_sec}, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar, quiet }
    }

    fn start(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.reset();
        }
    }

    /// A folder run learns its total as documents are read.
    fn grow(&self, more: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(more);
        }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// A message that does not tear the bar.
    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn summary(&self, what: &str, sentences: usize, start: Instant) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "translated {what} in {secs:.1} s ({:.1} sentences/s)",
                sentences as f64 / secs.max(1e-9)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_line_gives_seconds_shares_and_the_rest() {
        let secs = Duration::from_secs;
        let times = StageTimes {
            encoder: secs(1),
            decoder: secs(4),
            projection: secs(3),
            search: secs(1),
        };
        assert_eq!(
            stage_line(&times, secs(10)),
            "time per stage: encoder 1.00 s (10%), decoder layers 4.00 s (40%), output projection \
             3.00 s (30%), search 1.00 s (10%), outside the model 1.00 s (10%)"
        );
        // A clock that ran short of the stages' sum still gives shares of at most 100%.
        assert!(stage_line(&times, secs(8))
            .ends_with("search 1.00 s (11%), outside the model 0.00 s (0%)"));
    }
}
