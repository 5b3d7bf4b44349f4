//! Command-line arguments (clap) and their validation into a [`TranslateConfig`].
//!
//! Nothing past [`TranslateArgs::resolve`] sees clap: the pipeline works on the validated config.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::device::DeviceChoice;
use crate::files::Input;
use crate::hub::{ModelSource, DEFAULT_MODEL};

/// Indonesian → English machine translation with MarianMT (opus-mt-id-en).
#[derive(Debug, Parser)]
#[command(name = "terjemah", version)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Translate a file or standard input to English.
    Translate(TranslateArgs),
    /// Fetch a model into the Hugging Face cache, for offline use later.
    Download(ModelArgs),
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
    /// One sentence per line: exactly one output line per input line.
    Lines,
}

#[derive(Debug, clap::Args)]
pub struct TranslateArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Output file (written atomically); standard output if absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InputFormat::Lines)]
    pub input_format: InputFormat,
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
    /// Padded source tokens per batch.
    #[arg(long, value_name = "N", default_value_t = 2048)]
    pub max_batch_tokens: usize,
    /// Sentences per batch.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub batch_size: usize,
    /// CPU threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// A validated `translate` request.
#[derive(Debug, Clone)]
pub struct TranslateConfig {
    pub input: Input,
    pub output: Option<PathBuf>,
    pub format: InputFormat,
    pub model: ModelSource,
    pub device: DeviceChoice,
    pub beams: Option<usize>,
    pub max_length: Option<usize>,
    pub max_batch_tokens: usize,
    pub batch_size: usize,
    pub threads: Option<usize>,
    pub quiet: bool,
}

impl TranslateArgs {
    /// Checks the flags and builds the config; each error is one line naming the flag.
    pub fn resolve(&self) -> Result<TranslateConfig> {
        if self.beams == Some(0) {
            bail!("--beams must be at least 1");
        }
        if matches!(self.max_length, Some(n) if n < 2) {
            bail!("--max-length must be at least 2 (the decoder start token counts)");
        }
        if self.max_batch_tokens == 0 || self.batch_size == 0 {
            bail!("--max-batch-tokens and --batch-size must be at least 1");
        }
        if self.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let input = Input::from_arg(self.input.as_deref().unwrap_or("-".as_ref()));
        if let (Input::File(i), Some(o)) = (&input, &self.output) {
            if i == o {
                bail!("{}: input and output are the same file", i.display());
            }
        }
        Ok(TranslateConfig {
            input,
            output: self.output.clone(),
            format: self.input_format,
            model: self.model.source(),
            device: self.device,
            beams: self.beams,
            max_length: self.max_length,
            max_batch_tokens: self.max_batch_tokens,
            batch_size: self.batch_size,
            threads: self.threads,
            quiet: self.model.quiet,
        })
    }
}
