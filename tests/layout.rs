//! The dependency direction of `src/` (README, "How it is built"): each concern may name only
//! the concerns below it, so that nothing points back up. Read from the source's `crate::` paths,
//! comments left out.

use std::collections::BTreeSet;
use std::path::Path;

/// Each top-level module of the crate and the modules it may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("kernels", &[]),
    ("files", &[]),
    ("text", &[]),
    ("markup", &["text"]),
    ("device", &[]),
    ("marian", &["kernels", "files"]),
    // text: the WordAlignment that search::align fills in.
    ("search", &["marian", "kernels", "text"]),
    ("report", &["text", "files"]),
    (
        "pipeline",
        &[
            "text", "markup", "search", "marian", "files", "device", "report",
        ],
    ),
    ("cli", &["pipeline", "marian", "files", "device"]),
];

/// The top-level modules named through `crate::` outside comments.
fn named_modules(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            names.insert(name);
        }
    }
    names
}

#[test]
fn modules_depend_only_on_the_concerns_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<_> = walkdir::WalkDir::new(&src)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative.components().next().unwrap().as_os_str();
        let top = top.to_str().unwrap().trim_end_matches(".rs");
        if top == "lib" || top == "main" {
            continue;
        }
        let allowed = ALLOWED
            .iter()
            .find(|(module, _)| *module == top)
            .unwrap_or_else(|| panic!("src/{top} is not in the layer table; add it"))
            .1;
        for name in named_modules(&std::fs::read_to_string(file).unwrap()) {
            if name != top && !allowed.contains(&name.as_str()) {
                wrong.push(format!("{} names crate::{name}", relative.display()));
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} files checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_check_sees_paths_but_not_comments() {
    let names = named_modules("use crate::marian::model::Marian; // see crate::text\n/// [`crate::cli`]\nlet x = crate::kernels::vecmath::silu;");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["kernels", "marian"]);
}
