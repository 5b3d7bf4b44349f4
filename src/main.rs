//! `terjemah` command: parse arguments, run, print any error as one line. Exit codes: 0 done,
//! 1 some inputs of a folder run failed (each reported), 2 error.

use clap::Parser;
use terjemah::cli::{Args, Command};
use terjemah::files::{shard, Input};
use terjemah::kernels::buffers;
use terjemah::marian::hub;
use terjemah::pipeline;

fn main() {
    buffers::keep_freed_memory();
    let args = Args::parse();
    let result = match &args.command {
        Command::Translate(t) => t.resolve().and_then(|config| pipeline::translate(&config)),
        Command::Segment { input } => {
            pipeline::segment(&Input::from_arg(input.as_deref().unwrap_or("-".as_ref())))
                .map(|()| pipeline::Outcome { failed: 0 })
        }
        Command::Merge { output, shards } => {
            shard::merge(output, *shards).map(|()| pipeline::Outcome { failed: 0 })
        }
        Command::Download(m) => match m.source() {
            hub::ModelSource::Hub { repo, revision } => {
                hub::download(&repo, revision.as_deref(), !m.quiet).map(|files| {
                    println!("{}", files.dir.display());
                    pipeline::Outcome { failed: 0 }
                })
            }
            hub::ModelSource::Dir(dir) => Err(anyhow::anyhow!(
                "{}: --model-dir is already local, nothing to download",
                dir.display()
            )),
        },
    };
    match result {
        Ok(outcome) if outcome.failed > 0 => std::process::exit(1),
        Ok(_) => {}
        Err(e) => {
            eprintln!("terjemah: {}", one_line(&e));
            std::process::exit(2);
        }
    }
}

/// The error chain on one line: each cause's first line only (a candle error built with
/// `RUST_BACKTRACE` set carries its backtrace after a newline), without "(os error N)" suffixes.
fn one_line(e: &anyhow::Error) -> String {
    let causes: Vec<String> = e
        .chain()
        .map(|cause| {
            let text = cause.to_string();
            let first = text.lines().next().unwrap_or_default().trim_end();
            strip_os_error(first)
        })
        .collect();
    causes.join(": ")
}

fn strip_os_error(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" (os error ") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match rest.find(')') {
            Some(end) => rest = &rest[end + 1..],
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_on_one_line_without_backtraces_or_os_error_numbers() {
        let candle_like = anyhow::anyhow!(
            "shape mismatch in matmul\n   0: candle_core::tensor::Tensor::matmul\n   1: main"
        );
        let e = candle_like.context("model/model.safetensors: tensor x");
        assert_eq!(
            one_line(&e),
            "model/model.safetensors: tensor x: shape mismatch in matmul"
        );
        let io = std::io::Error::from_raw_os_error(2);
        let e = anyhow::Error::new(io).context("out/a.txt: cannot write");
        assert_eq!(
            one_line(&e),
            "out/a.txt: cannot write: No such file or directory"
        );
    }
}
