//! Corrupted copies of the fixture model: each is refused with one line naming the file and the
//! key (or tensor), exit code 2, and no output file, under an address-space limit so that a size
//! taken from a file unchecked fails an allocation instead of swapping the machine.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Map, Value};

use crate::util::{assert_ok, command, fixture, fixture_pt, run};

/// Address space the binary gets (4 GiB): the fixture translates in well under that, and every
/// fault below asked for far more before it was checked.
const MEMORY_LIMIT: &str = "--as=4294967296";

/// [`run`], under [`MEMORY_LIMIT`] where util-linux's prlimit is installed.
fn run_bounded(args: &[&str], cwd: &Path) -> Output {
    let prlimit = "/usr/bin/prlimit";
    if !Path::new(prlimit).exists() {
        return run(args, None, cwd);
    }
    command(&[prlimit, MEMORY_LIMIT, "--"], cwd)
        .args(args)
        // glibc reserves 64 MB of address space per arena and thread: keep that small and fixed.
        .env("MALLOC_ARENA_MAX", "2")
        .output()
        .expect("spawn prlimit terjemah")
}

/// A work folder with a copy of `model` under `model/` and a one-line input.
fn workspace(model: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("model");
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(model).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.path().join("in.txt"), "Saya suka membaca buku.\n").unwrap();
    dir
}

fn read_json(path: &Path) -> Map<String, Value> {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, map: Map<String, Value>) {
    std::fs::write(path, Value::Object(map).to_string()).unwrap();
}

/// Sets `key` of the JSON file `name` in the model folder `m`.
fn set(m: &Path, name: &str, key: &str, value: Value) {
    let path = m.join(name);
    let mut map = read_json(&path);
    map.insert(key.into(), value);
    write_json(&path, map);
}

/// model.safetensors' header and the position of its data.
fn safetensors_header(m: &Path) -> (Map<String, Value>, Vec<u8>, usize) {
    let bytes = std::fs::read(m.join("model.safetensors")).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    (header, bytes, 8 + len)
}

/// Rewrites model.safetensors' header (the data after it unchanged).
fn edit_header(m: &Path, edit: impl FnOnce(&mut Map<String, Value>)) {
    let (mut header, bytes, data) = safetensors_header(m);
    edit(&mut header);
    let text = Value::Object(header).to_string();
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend(text.as_bytes());
    out.extend(&bytes[data..]);
    std::fs::write(m.join("model.safetensors"), out).unwrap();
}

/// Fills the f32 tensor `name` of model.safetensors with `value`.
fn fill_tensor(m: &Path, name: &str, value: f32) {
    let (header, mut bytes, data) = safetensors_header(m);
    let offsets = &header[name]["data_offsets"];
    let (start, end) = (offsets[0].as_u64().unwrap(), offsets[1].as_u64().unwrap());
    for at in (data + start as usize..data + end as usize).step_by(4) {
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    std::fs::write(m.join("model.safetensors"), bytes).unwrap();
}

fn truncate(path: PathBuf, keep: f64) {
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..(bytes.len() as f64 * keep) as usize]).unwrap();
}

/// A legacy torch file whose state dict maps "x" to `os.system("true")`.
fn hostile_pickle(m: &Path) {
    let mut bytes = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.".to_vec();
    bytes.extend(b"\x80\x02M\xe9\x03.");
    bytes.extend(b"\x80\x02}q\x00X\r\x00\x00\x00little_endianq\x01\x88s.");
    bytes.extend(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00x");
    bytes.extend(b"cos\nsystem\nX\x04\x00\x00\x00trueq\x02\x85Rq\x03s.");
    bytes.extend(b"\x80\x02].");
    std::fs::write(m.join("pytorch_model.bin"), bytes).unwrap();
}

/// One corrupted model: what is done to a copy of the fixture, the flags, and what the one error
/// line must contain (the file's name first).
struct Fault {
    name: &'static str,
    pytorch: bool,
    corrupt: fn(&Path),
    flags: &'static [&'static str],
    needles: &'static [&'static str],
}

const FAULTS: &[Fault] = &[
    Fault {
        name: "truncated safetensors",
        pytorch: false,
        corrupt: |m| truncate(m.join("model.safetensors"), 0.6),
        flags: &[],
        needles: &["model.safetensors: tensor "],
    },
    Fault {
        name: "safetensors header length beyond the file",
        pytorch: false,
        corrupt: |m| {
            let mut bytes = std::fs::read(m.join("model.safetensors")).unwrap();
            bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
            std::fs::write(m.join("model.safetensors"), bytes).unwrap();
        },
        flags: &[],
        needles: &["model.safetensors: not a safetensors file"],
    },
    Fault {
        name: "safetensors tensor of 2^62 elements",
        pytorch: false,
        corrupt: |m| {
            edit_header(m, |h| {
                h["model.shared.weight"]["shape"] = json!([1u64 << 62]);
            })
        },
        flags: &[],
        needles: &["model.safetensors: tensor model.shared.weight: shape [4611686018427387904]"],
    },
    Fault {
        name: "safetensors tensor with transposed shape",
        pytorch: false,
        corrupt: |m| edit_header(m, |h| h["model.shared.weight"]["shape"] = json!([96, 1998])),
        flags: &[],
        needles: &["model.safetensors: tensor model.shared.weight has shape [96, 1998]"],
    },
    Fault {
        name: "config vocab_size disagreeing with the weights",
        pytorch: false,
        corrupt: |m| {
            set(m, "config.json", "vocab_size", json!(1999));
            set(m, "config.json", "decoder_vocab_size", json!(1999));
        },
        flags: &[],
        needles: &[
            "model.safetensors: tensor model.shared.weight has shape [1998, 96] where the \
                 config asks for [1999, 96]",
        ],
    },
    Fault {
        name: "NaN weights",
        pytorch: false,
        corrupt: |m| fill_tensor(m, "model.encoder.layers.0.fc1.weight", f32::NAN),
        flags: &[],
        needles: &["model.safetensors: tensor model.encoder.layers.0.fc1.weight holds NaN"],
    },
    Fault {
        name: "finite weights that overflow at run time",
        pytorch: false,
        corrupt: |m| fill_tensor(m, "model.encoder.layers.0.fc2.bias", 3e38),
        flags: &[],
        needles: &["sentence 1: the model's activations became NaN or infinite"],
    },
    Fault {
        name: "zip entry with a bad CRC",
        pytorch: true,
        corrupt: |m| {
            let path = m.join("pytorch_model.bin");
            let mut bytes = std::fs::read(&path).unwrap();
            // The middle of the file lies inside a weight matrix's data.
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x40;
            std::fs::write(&path, bytes).unwrap();
        },
        flags: &[],
        needles: &[
            "pytorch_model.bin: pytorch_model/data/",
            "fails its CRC check",
        ],
    },
    Fault {
        name: "truncated pytorch_model.bin",
        pytorch: true,
        corrupt: |m| truncate(m.join("pytorch_model.bin"), 0.5),
        flags: &[],
        needles: &["pytorch_model.bin: not a zip archive"],
    },
    Fault {
        name: "pickle calling os.system",
        pytorch: true,
        corrupt: hostile_pickle,
        flags: &[],
        needles: &[
            "pytorch_model.bin: cannot read the pickled state dict: the pickle names os.system",
        ],
    },
    Fault {
        name: "encoder_layers 0",
        pytorch: false,
        corrupt: |m| set(m, "config.json", "encoder_layers", json!(0)),
        flags: &[],
        needles: &["config.json: encoder_layers is 0"],
    },
    Fault {
        name: "max_position_embeddings 1e12",
        pytorch: false,
        corrupt: |m| {
            set(
                m,
                "config.json",
                "max_position_embeddings",
                json!(1_000_000_000_000u64),
            )
        },
        flags: &[],
        needles: &["config.json: max_position_embeddings 1000000000000 is outside 2..=8192"],
    },
    Fault {
        name: "eos_token_id equal to pad_token_id",
        pytorch: false,
        corrupt: |m| set(m, "config.json", "eos_token_id", json!(1997)),
        flags: &[],
        needles: &["config.json: eos_token_id and pad_token_id are both 1997"],
    },
    Fault {
        name: "num_beams 0 in generation_config",
        pytorch: false,
        corrupt: |m| set(m, "generation_config.json", "num_beams", json!(0)),
        flags: &[],
        needles: &["generation_config.json: num_beams 0 is outside 1..=16"],
    },
    Fault {
        name: "num_beams 100000 in generation_config",
        pytorch: false,
        corrupt: |m| set(m, "generation_config.json", "num_beams", json!(100_000)),
        flags: &[],
        needles: &["generation_config.json: num_beams 100000 is outside 1..=16"],
    },
    Fault {
        name: "--beams 100000",
        pytorch: false,
        corrupt: |_| {},
        flags: &["--beams", "100000"],
        needles: &["--beams must be between 1 and 16"],
    },
    Fault {
        name: "max_length 0 in generation_config",
        pytorch: false,
        corrupt: |m| set(m, "generation_config.json", "max_length", json!(0)),
        flags: &[],
        needles: &["generation_config.json: max_length 0 is outside 3..=257"],
    },
    Fault {
        name: "max_length beyond the positions",
        pytorch: false,
        corrupt: |m| set(m, "generation_config.json", "max_length", json!(100_000)),
        flags: &[],
        needles: &["generation_config.json: max_length 100000 is outside 3..=257"],
    },
    Fault {
        name: "vocab.json id 1000000000",
        pytorch: false,
        corrupt: |m| set(m, "vocab.json", "▁di", json!(1_000_000_000)),
        flags: &[],
        needles: &["vocab.json: \"▁di\": id 1000000000 is outside the model's vocabulary"],
    },
    Fault {
        name: "vocab.json mapping every piece to id 0",
        pytorch: false,
        corrupt: |m| {
            let path = m.join("vocab.json");
            let map = read_json(&path)
                .into_iter()
                .map(|(k, _)| (k, json!(0)))
                .collect();
            write_json(&path, map);
        },
        flags: &[],
        needles: &["vocab.json: </s>, <unk> and <pad> must have three different ids"],
    },
    Fault {
        name: "vocab.json whose pieces are all <unk>",
        pytorch: false,
        corrupt: |m| {
            let path = m.join("vocab.json");
            let map = read_json(&path)
                .into_iter()
                .map(|(k, v)| {
                    let id = if ["</s>", "<pad>"].contains(&k.as_str()) {
                        v
                    } else {
                        json!(1)
                    };
                    (k, id)
                })
                .collect();
            write_json(&path, map);
        },
        flags: &[],
        needles: &["vocab.json: no token the model may generate decodes to text"],
    },
    Fault {
        name: "vocab.json </s> not where config.json puts EOS",
        pytorch: false,
        corrupt: |m| set(m, "vocab.json", "</s>", json!(5)),
        flags: &[],
        needles: &["vocab.json: </s> has id 5 but "],
    },
];

#[test]
fn every_model_fault_is_one_line_naming_the_file() {
    let mut failures = Vec::new();
    for fault in FAULTS {
        let base = if fault.pytorch {
            fixture_pt()
        } else {
            fixture()
        };
        let dir = workspace(&base);
        (fault.corrupt)(&dir.path().join("model"));
        let mut args = vec![
            "translate",
            "in.txt",
            "-o",
            "out.txt",
            "--model-dir",
            "model",
        ];
        args.extend(fault.flags);
        let out = run_bounded(&args, dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = out.status.code() == Some(2)
            && stderr.lines().count() == 1
            && fault.needles.iter().all(|n| stderr.contains(n))
            && !stderr.contains("os error")
            && !dir.path().join("out.txt").exists();
        if !ok {
            failures.push(format!(
                "{}: {:?} {stderr:?} (wanted {:?})",
                fault.name,
                out.status.code(),
                fault.needles
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "faults not refused as they should be:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_untouched_fixtures_translate_under_the_memory_limit() {
    // The matrix above means something only if the same runs pass without the fault.
    for base in [fixture(), fixture_pt()] {
        let dir = workspace(&base);
        let args = [
            "translate",
            "in.txt",
            "-o",
            "out.txt",
            "--model-dir",
            "model",
            "-q",
        ];
        let out = run_bounded(&args, dir.path());
        assert_ok(&out, &format!("translate with {}", base.display()));
        let english = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
        assert!(!english.trim().is_empty());
    }
}

#[test]
fn offline_download_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["download"], None, dir.path());
    crate::util::assert_one_line_error(&out, "HF_HUB_OFFLINE is set");
}
