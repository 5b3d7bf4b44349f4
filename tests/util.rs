//! Shared helpers: fixture paths, golden files, and running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The small trained Marian model the scripts generate (safetensors).
pub fn fixture() -> PathBuf {
    root().join("models/fixture")
}

/// The same model with `pytorch_model.bin` instead of safetensors.
pub fn fixture_pt() -> PathBuf {
    root().join("models/fixture-pt")
}

/// Rows of a JSON Lines golden file under tests/data/parity.
pub fn golden(name: &str) -> Vec<Value> {
    let path = root().join("tests/data/parity").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// `PREFIX… terjemah` in `cwd`, offline, with its own Hugging Face home; `prefix` is a wrapper such as
/// `prlimit` or `setpriv` and its arguments, or nothing.
pub fn command(prefix: &[&str], cwd: &Path) -> Command {
    let bin = env!("CARGO_BIN_EXE_terjemah");
    let mut command = match prefix {
        [] => Command::new(bin),
        [wrapper, args @ ..] => {
            let mut c = Command::new(wrapper);
            c.args(args).arg(bin);
            c
        }
    };
    command
        .current_dir(cwd)
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_HOME", cwd.join("hf-home"))
        // A one-line error must stay one line when candle captures a backtrace.
        .env("RUST_BACKTRACE", "1")
        // Tests that run inside a Slurm array or an Indexed Job must not be sharded by it.
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env_remove("SLURM_ARRAY_TASK_STEP")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("TERJEMAH_SHARD_COUNT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `terjemah args…` with `stdin`, in `cwd`.
pub fn run(args: &[&str], stdin: Option<&[u8]>, cwd: &Path) -> Output {
    let mut child = command(&[], cwd)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn terjemah");
    let input = stdin.map(<[u8]>::to_vec);
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        if let Some(bytes) = input {
            let _ = pipe.write_all(&bytes);
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Panics with the command's output unless it exited 0.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command failed with exit code 2 and exactly one stderr line, which contains `needle`.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
}
