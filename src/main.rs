//! `terjemah` command: parse arguments, run, print any error as one line, exit 0 (done) or 2 (error).

use clap::Parser;
use terjemah::cli::{Args, Command};
use terjemah::{hub, pipeline};

fn main() {
    let args = Args::parse();
    let result = match &args.command {
        Command::Translate(t) => t.resolve().and_then(|config| pipeline::translate(&config)),
        Command::Download(m) => match m.source() {
            hub::ModelSource::Hub { repo, revision } => {
                hub::download(&repo, revision.as_deref(), !m.quiet).map(|files| {
                    println!("{}", files.dir.display());
                })
            }
            hub::ModelSource::Dir(dir) => Err(anyhow::anyhow!(
                "{}: --model-dir is already local, nothing to download",
                dir.display()
            )),
        },
    };
    if let Err(e) = result {
        eprintln!("terjemah: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(2);
    }
}
