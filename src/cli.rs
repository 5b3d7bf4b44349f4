//! Command-line arguments (clap) and their validation into the pipeline's [`TranslateConfig`].
//!
//! Nothing past [`TranslateArgs::resolve`] sees clap: flags are mapped onto the types of the modules
//! they configure (the device's [`DtypeChoice`], the pipeline's [`Format`]), which know nothing of
//! the command line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::device::{DeviceChoice, DtypeChoice};
use crate::files::shard::{self, Shard};
use crate::files::Input;
use crate::marian::config::MAX_BEAMS;
use crate::marian::hub::{ModelSource, DEFAULT_MODEL};
use crate::marian::layers::Quantize;
use crate::pipeline::{Format, Job, TranslateConfig, DEFAULT_WINDOW};

/// The most CPU threads `--threads` may ask for: each is a real thread with its own stack, and far
/// more threads than cores only slow the run down.
pub const MAX_THREADS: usize = 1024;

/// Indonesian → English machine translation with MarianMT (opus-mt-id-en).
#[derive(Debug, Parser)]
#[command(name = "terjemah", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Translate files, folders or standard input to English.
    Translate(Box<TranslateArgs>),
    /// Print the sentences of Indonesian text, one per line, a blank line after each source line.
    Segment {
        /// Input file; `-` or nothing reads standard input.
        #[arg(value_name = "FILE")]
        input: Option<PathBuf>,
    },
    /// Fetch a model into the Hugging Face cache, for offline use later.
    Download(ModelArgs),
    /// Concatenate the finished shards OUT.shard-I-of-N of a line or JSON Lines run, in order,
    /// into OUT (atomically); the shard files are kept.
    Merge {
        /// The -o OUT the shards were given.
        #[arg(value_name = "OUT")]
        output: PathBuf,
        /// The shard count N.
        #[arg(long, value_name = "N")]
        shards: usize,
    },
}

/// Which model to use.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// Hugging Face repository, optionally @REVISION (a branch, tag, commit or refs/pr/N).
    #[arg(long, default_value = DEFAULT_MODEL, value_name = "REPO[@REVISION]")]
    pub model: String,
    /// A local directory in the Hugging Face layout (config.json, source.spm, target.spm,
    /// vocab.json, model.safetensors or pytorch_model.bin); overrides --model.
    #[arg(long, value_name = "DIR")]
    pub model_dir: Option<PathBuf>,
    /// No progress output on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

impl ModelArgs {
    /// The model to load.
    pub fn source(&self) -> ModelSource {
        match &self.model_dir {
            Some(dir) => ModelSource::Dir(dir.clone()),
            None => ModelSource::hub(&self.model),
        }
    }
}

/// How input text is split into units to translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Documents: sentences are split and translated, then put back in their source lines
    /// (`.md` files are read as Markdown).
    Text,
    /// Markdown documents, also from standard input: prose is translated, syntax, code and link
    /// targets are kept.
    Markdown,
    /// HTML pages (`.html`/`.htm` files are read as HTML): text and alt/title attributes
    /// translated, every other byte kept, inline tags carried onto the English words.
    Html,
    /// SubRip subtitles (`.srt` files are read as SRT): numbers and timings kept.
    Srt,
    /// WebVTT subtitles (`.vtt` files are read as WebVTT): timings, settings, NOTE/STYLE blocks kept.
    Vtt,
    /// One sentence per line: exactly one output line per input line.
    Lines,
    /// JSON Lines: the `--field` of each object is translated as a document; other fields and the
    /// line order are kept.
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct TranslateArgs {
    /// Input files or folders; `-` or nothing reads standard input.
    #[arg(value_name = "PATH")]
    pub inputs: Vec<PathBuf>,
    /// Output file (written atomically), or the output folder when translating folders;
    /// standard output if absent.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InputFormat::Text)]
    pub input_format: InputFormat,
    /// The field translated in --input-format jsonl.
    #[arg(long, value_name = "NAME", default_value = "text")]
    pub field: String,
    /// File extensions translated inside folders, comma-separated, matched in any case.
    #[arg(
        long,
        value_name = "EXT,...",
        default_value = "txt",
        value_delimiter = ','
    )]
    pub ext: Vec<String>,
    /// Translate again files whose output is already newer than the input; with --input-format
    /// lines or jsonl and -o FILE, start over instead of refusing a checkpoint that no longer
    /// matches the input or the settings.
    #[arg(long)]
    pub force: bool,
    /// Translate only shard I of N (counted from 0) of a folder run: files sorted by relative
    /// path, cut into N contiguous ranges of about equal bytes; of a line or JSON Lines file with
    /// -o OUT: N contiguous ranges of lines, shard I to OUT.shard-I-of-N (see `terjemah merge`). Without it, a Slurm array's or a
    /// Kubernetes Indexed Job's index is used; 0/1 translates everything whatever the environment.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// The shard count next to Kubernetes' JOB_COMPLETION_INDEX (or the environment variable
    /// TERJEMAH_SHARD_COUNT).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<usize>,
    /// With --input-format lines or jsonl: lines read and translated together before their
    /// output is written (at most 64 MiB of input); memory depends on this, not on the input.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WINDOW)]
    pub window: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    /// auto, cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: DeviceChoice,
    /// Beam width; 1 is greedy search. Default: the model's generation config.
    #[arg(long, value_name = "N")]
    pub beams: Option<usize>,
    /// Longest output in tokens, counted as transformers counts it (decoder start included).
    #[arg(long, value_name = "N")]
    pub max_length: Option<usize>,
    /// Generate at least N tokens before end-of-sentence (transformers' min_new_tokens); for
    /// benchmarks that need a fixed output length.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub min_new_tokens: usize,
    /// Padded source tokens per batch [default: 2048 on CPU, 16384 on GPU].
    #[arg(long, value_name = "N")]
    pub max_batch_tokens: Option<usize>,
    /// Sentences per batch [default: 64 on CPU, 256 on GPU].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Precision of weights and activations: auto is f16 on a GPU and f32 on the CPU. f16 and bf16
    /// also run on the CPU, slowly (for checking their numerics).
    #[arg(long, value_enum, default_value_t = DtypeArg::Auto)]
    pub dtype: DtypeArg,
    /// Quantize weights at load: int8 (CPU only) runs the linear layers and the output projection
    /// in integer arithmetic, faster than f32; outputs differ slightly from f32.
    #[arg(long, value_enum, value_name = "int8")]
    pub quantize: Option<QuantizeArg>,
    /// CPU threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// After the run, print on stderr where the time went: encoder, decoder layers, output
    /// projection, search, and everything outside the model. (On the CPU in f32 the search's scan
    /// of the logits runs inside the output projection.)
    #[arg(long)]
    pub timings: bool,
    /// Write one JSON object per segment to FILE (JSON Lines): its file and line, source, output,
    /// what was decided (translated, passed through, label, protected) and any warnings; and one
    /// per file that failed. stderr shows only the first few warnings of each input.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Translate every sentence of a document, also those the language detector is sure are not
    /// Indonesian (by default such sentences, mostly English, are kept as they are).
    #[arg(long, conflicts_with = "keep_english")]
    pub translate_all: bool,
    /// With --input-format lines, keep lines the language detector is sure are not Indonesian as
    /// they are (without it, every line is the model's output, as test sets are scored).
    #[arg(long)]
    pub keep_english: bool,
}

/// `--dtype` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DtypeArg {
    Auto,
    F32,
    F16,
    Bf16,
}

impl From<InputFormat> for Format {
    fn from(arg: InputFormat) -> Self {
        match arg {
            InputFormat::Text => Format::Text,
            InputFormat::Markdown => Format::Markdown,
            InputFormat::Html => Format::Html,
            InputFormat::Srt => Format::Srt,
            InputFormat::Vtt => Format::Vtt,
            InputFormat::Lines => Format::Lines,
            InputFormat::Jsonl => Format::Jsonl,
        }
    }
}

impl From<DtypeArg> for DtypeChoice {
    fn from(arg: DtypeArg) -> Self {
        match arg {
            DtypeArg::Auto => DtypeChoice::Auto,
            DtypeArg::F32 => DtypeChoice::F32,
            DtypeArg::F16 => DtypeChoice::F16,
            DtypeArg::Bf16 => DtypeChoice::Bf16,
        }
    }
}

/// `--quantize` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuantizeArg {
    Int8,
}

impl TranslateArgs {
    /// Checks the flags and builds the config; each error is one line naming the flag.
    pub fn resolve(&self) -> Result<TranslateConfig> {
        if let Some(beams) = self.beams {
            if !(1..=MAX_BEAMS).contains(&beams) {
                bail!("--beams must be between 1 and {MAX_BEAMS}");
            }
        }
        if matches!(self.max_length, Some(n) if n < 2) {
            bail!("--max-length must be at least 2 (the decoder start token counts)");
        }
        if self.max_batch_tokens == Some(0) || self.batch_size == Some(0) {
            bail!("--max-batch-tokens and --batch-size must be at least 1");
        }
        if self.window == 0 {
            bail!("--window must be at least 1");
        }
        if let Some(threads) = self.threads {
            if !(1..=MAX_THREADS).contains(&threads) {
                bail!("--threads must be between 1 and {MAX_THREADS}");
            }
        }
        if self.quantize.is_some() && !matches!(self.dtype, DtypeArg::Auto | DtypeArg::F32) {
            bail!(
                "--quantize int8 computes in f32; it cannot be combined with --dtype f16 or bf16"
            );
        }
        let tree = self.inputs.len() > 1 || self.inputs.iter().any(|p| p.is_dir());
        let job = if tree {
            if matches!(self.input_format, InputFormat::Lines | InputFormat::Jsonl) {
                match self.inputs.as_slice() {
                    [dir] => bail!("{}: is a directory; --input-format lines and jsonl take one file", dir.display()),
                    _ => bail!("--input-format lines and jsonl take one file; several inputs are translated as text"),
                }
            }
            if self.inputs.iter().any(|p| p == Path::new("-")) {
                bail!("standard input cannot be mixed with other inputs");
            }
            let Some(out_dir) = self.output.clone() else {
                bail!("translating folders or several files needs -o OUTDIR");
            };
            Job::Tree {
                inputs: self.inputs.clone(),
                out_dir,
                extensions: extensions(&self.ext)?,
                force: self.force,
                shard: self.shard_from(&|name| std::env::var(name).ok())?,
            }
        } else {
            let input = Input::from_arg(self.inputs.first().map_or("-".as_ref(), |p| p.as_path()));
            // Only a line or JSON Lines file written to -o OUT is cut into shards (of lines); a
            // text document is one unit, so for it the scheduler's environment is not read.
            let lined = matches!(self.input_format, InputFormat::Lines | InputFormat::Jsonl);
            let shard = if lined && matches!(input, Input::File(_)) && self.output.is_some() {
                self.shard_from(&|name| std::env::var(name).ok())?
            } else if self.shard.is_some() || self.shard_count.is_some() {
                bail!("--shard: sharding applies to folder runs and to a line or JSON Lines file (--input-format lines or jsonl) written to -o OUT");
            } else {
                None
            };
            Job::Single {
                input,
                output: self.output.clone(),
                shard,
            }
        };
        Ok(TranslateConfig {
            job,
            format: self.input_format.into(),
            field: self.field.clone(),
            model: self.model.source(),
            device: self.device,
            beams: self.beams,
            max_length: self.max_length,
            min_new_tokens: self.min_new_tokens,
            max_batch_tokens: self.max_batch_tokens,
            batch_size: self.batch_size,
            dtype: self.dtype.into(),
            threads: self.threads,
            quantize: match self.quantize {
                Some(QuantizeArg::Int8) => Quantize::Int8,
                None => Quantize::None,
            },
            quiet: self.model.quiet,
            timings: self.timings,
            report: self.report.clone(),
            pass_through_foreign: match self.input_format {
                InputFormat::Lines => self.keep_english,
                _ => !self.translate_all,
            },
            window: self.window,
            force: self.force,
        })
    }

    /// The shard of a folder run, from the flags or the scheduler's environment (`env`).
    fn shard_from(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Shard>> {
        let shard = shard::resolve(self.shard.as_deref(), self.shard_count, env)?;
        // A whole run is no shard: no marker, no layout.
        Ok(shard.filter(|s| s.count > 1))
    }
}

/// `--ext` values without their dot, lower-case (matching ignores case); an empty one is refused
/// rather than silently matching nothing.
fn extensions(values: &[String]) -> Result<Vec<String>> {
    values
        .iter()
        .map(|e| {
            let e = e.trim().trim_start_matches('.');
            if e.is_empty() {
                bail!("--ext: an empty extension matches no file; give e.g. --ext txt,md");
            }
            Ok(e.to_ascii_lowercase())
        })
        .collect()
}
