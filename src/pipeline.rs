//! The only module that knows the order of the stages: read input → split into units → translate in
//! batches → put the results back → write output; progress on stderr.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{InputFormat, TranslateConfig};
use crate::files::write_atomic;
use crate::translator::Translator;
use crate::{device, hub};

/// Runs `terjemah translate`. Nothing is written unless the whole input translated.
pub fn translate(config: &TranslateConfig) -> Result<()> {
    if let Some(n) = config.threads {
        set_threads(n);
    }
    // Read and check the input before the (slow) model load, so bad input fails fast.
    let text = config.input.read_text()?;
    let device = device::open(config.device)?;
    let files = hub::resolve(&config.model, !config.quiet)?;
    let translator = Translator::load(&files, &device)?;
    let mut opts = translator.options();
    if let Some(b) = config.beams {
        opts.decode.num_beams = b;
    }
    if let Some(m) = config.max_length {
        opts.decode.max_length = m;
    }
    opts.batch.max_tokens = config.max_batch_tokens;
    opts.batch.max_sentences = config.batch_size;

    let output = match config.format {
        InputFormat::Lines => {
            let lines = Lines::split(&text);
            let units: Vec<&str> = lines.items.iter().map(|l| l.content).collect();
            let start = Instant::now();
            let progress = Progress::new(units.len() as u64, config.quiet);
            let english = translator
                .translate_with(&units, &opts, &mut |n| progress.advance(n as u64))
                .map_err(|e| anyhow::anyhow!("{}: {e:#}", config.input.name()))?;
            progress.finish(units.len(), start);
            lines.join(&english)
        }
    };
    match &config.output {
        Some(path) => write_atomic(path, output.as_bytes()),
        None => write_stdout(output.as_bytes()),
    }
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Candle's CPU kernels size their thread pools from RAYON_NUM_THREADS; it must be set before the
/// first tensor operation.
fn set_threads(n: usize) {
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
}

/// One input line: its text and its terminator (`\n`, `\r\n` or none at end of input).
struct Line<'a> {
    content: &'a str,
    ending: &'a str,
}

/// Line mode's units: exactly one output line per input line, terminators kept byte for byte.
struct Lines<'a> {
    items: Vec<Line<'a>>,
}

impl<'a> Lines<'a> {
    fn split(text: &'a str) -> Self {
        let mut items = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let (line, next) = match rest.find('\n') {
                Some(i) => (&rest[..=i], &rest[i + 1..]),
                None => (rest, ""),
            };
            let content = line.trim_end_matches(['\n', '\r']);
            items.push(Line {
                content,
                ending: &line[content.len()..],
            });
            rest = next;
        }
        Self { items }
    }

    fn join(&self, translations: &[String]) -> String {
        let mut out = String::new();
        for (line, english) in self.items.iter().zip(translations) {
            // Whitespace-only lines never reach the model; keep them as they are.
            if line.content.trim().is_empty() {
                out.push_str(line.content);
            } else {
                out.push_str(english);
            }
            out.push_str(line.ending);
        }
        out
    }
}

/// A bar on stderr when it is a terminal, else one summary line; nothing with --quiet.
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(total: u64, quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} sentences, {per_sec}, ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar, quiet }
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn finish(&self, sentences: usize, start: Instant) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if !self.quiet {
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "translated {sentences} sentences in {secs:.1} s ({:.1} sentences/s)",
                sentences as f64 / secs.max(1e-9)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_terminators_and_missing_final_newline() {
        let text = "a\r\n\nb \n  \nc";
        let lines = Lines::split(text);
        let fake: Vec<String> = lines.items.iter().map(|l| l.content.to_string()).collect();
        assert_eq!(lines.join(&fake), text);
        assert_eq!(lines.items.len(), 5);
        let upper: Vec<String> = fake.iter().map(|s| s.to_uppercase()).collect();
        assert_eq!(lines.join(&upper), "A\r\n\nB \n  \nC");
    }
}
