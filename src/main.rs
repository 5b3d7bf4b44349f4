//! `terjemah` command: parse arguments, run, print any error as one line. Exit codes: 0 done,
//! 1 some inputs of a folder run failed (each reported), 2 error.

use clap::Parser;
use terjemah::cli::{Args, Command};
use terjemah::files::Input;
use terjemah::{buffers, hub, pipeline};

fn main() {
    buffers::keep_freed_memory();
    let args = Args::parse();
    let result = match &args.command {
        Command::Translate(t) => t.resolve().and_then(|config| pipeline::translate(&config)),
        Command::Segment { input } => {
            pipeline::segment(&Input::from_arg(input.as_deref().unwrap_or("-".as_ref())))
                .map(|()| pipeline::Outcome { failed: 0 })
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
            eprintln!("terjemah: {}", format!("{e:#}").replace('\n', " "));
            std::process::exit(2);
        }
    }
}
