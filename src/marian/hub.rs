//! Model spec → files on disk: a local directory, or a Hugging Face repository resolved through
//! hf-hub into the standard cache (`HF_HOME`, default `~/.cache/huggingface`).
//!
//! The cache is consulted first, so a model fetched once is used offline from then on.
//! `HF_HUB_OFFLINE=1` forbids the network; `HF_TOKEN` (else the cache's token file) authenticates.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};

/// The checkpoint terjemah translates with unless told otherwise.
pub const DEFAULT_MODEL: &str = "Helsinki-NLP/opus-mt-id-en";

const REQUIRED: [&str; 4] = ["config.json", "source.spm", "target.spm", "vocab.json"];
const SAFETENSORS: &str = "model.safetensors";
const PYTORCH: &str = "pytorch_model.bin";
const GENERATION: &str = "generation_config.json";

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// `REPO[@REVISION]` on the Hugging Face hub.
    Hub {
        repo: String,
        revision: Option<String>,
    },
    /// A local directory in the Hugging Face layout.
    Dir(PathBuf),
}

impl ModelSource {
    /// Parses `REPO[@REVISION]`.
    pub fn hub(spec: &str) -> Self {
        match spec.split_once('@') {
            Some((repo, rev)) => ModelSource::Hub {
                repo: repo.to_string(),
                revision: Some(rev.to_string()),
            },
            None => ModelSource::Hub {
                repo: spec.to_string(),
                revision: None,
            },
        }
    }
}

/// Paths of one checkpoint's files.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub generation_config: Option<PathBuf>,
    /// `model.safetensors` when present, else `pytorch_model.bin`.
    pub weights: PathBuf,
}

impl ModelFiles {
    /// True when the weights are `model.safetensors` (else `pytorch_model.bin`).
    pub fn has_safetensors(&self) -> bool {
        self.weights.file_name().is_some_and(|n| n == SAFETENSORS)
    }
}

/// Resolves a model to files, downloading into the cache if needed and allowed.
pub fn resolve(source: &ModelSource, progress: bool) -> Result<ModelFiles> {
    match source {
        ModelSource::Dir(dir) => from_dir(dir),
        ModelSource::Hub { repo, revision } => from_hub(repo, revision.as_deref(), progress),
    }
}

fn from_dir(dir: &Path) -> Result<ModelFiles> {
    if !dir.is_dir() {
        bail!("{}: model directory not found", dir.display());
    }
    for name in REQUIRED {
        if !dir.join(name).is_file() {
            bail!("{}: model directory lacks {name}", dir.display());
        }
    }
    let weights = [SAFETENSORS, PYTORCH]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!(
                "{}: model directory lacks {SAFETENSORS} or {PYTORCH}",
                dir.display()
            )
        })?;
    let generation = dir.join(GENERATION);
    Ok(ModelFiles {
        dir: dir.to_path_buf(),
        config: dir.join("config.json"),
        generation_config: generation.is_file().then_some(generation),
        weights,
    })
}

fn repo_handle(repo: &str, revision: Option<&str>) -> Repo {
    match revision {
        Some(rev) => Repo::with_revision(repo.to_string(), RepoType::Model, rev.to_string()),
        None => Repo::new(repo.to_string(), RepoType::Model),
    }
}

fn offline() -> bool {
    std::env::var("HF_HUB_OFFLINE")
        .is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false" | "FALSE"))
}

/// The files already in the cache, if they make a complete checkpoint.
fn from_cache(repo: &str, revision: Option<&str>) -> Option<ModelFiles> {
    let cached = Cache::from_env().repo(repo_handle(repo, revision));
    let mut required = REQUIRED.iter().map(|n| cached.get(n));
    let config = required.next()??;
    if required.any(|p| p.is_none()) {
        return None;
    }
    let weights = cached.get(SAFETENSORS).or_else(|| cached.get(PYTORCH))?;
    Some(ModelFiles {
        dir: config.parent()?.to_path_buf(),
        generation_config: cached.get(GENERATION),
        config,
        weights,
    })
}

fn from_hub(repo: &str, revision: Option<&str>, progress: bool) -> Result<ModelFiles> {
    if let Some(files) = from_cache(repo, revision) {
        return Ok(files);
    }
    let name = match revision {
        Some(rev) => format!("{repo}@{rev}"),
        None => repo.to_string(),
    };
    let advice = format!(
        "run `terjemah download --model {name}` on a connected machine (the cache is {}), \
         or pass --model-dir DIR",
        Cache::from_env().path().display()
    );
    if offline() {
        bail!("model {name} is not in the Hugging Face cache and HF_HUB_OFFLINE is set; {advice}");
    }
    download(repo, revision, progress).map_err(|e| {
        anyhow!("model {name} is not cached and could not be downloaded ({e}); {advice}")
    })
}

/// Fetches a checkpoint's files into the cache (the `download` subcommand, and first use).
pub fn download(repo: &str, revision: Option<&str>, progress: bool) -> Result<ModelFiles> {
    // hf-hub would otherwise try the network anyway and fail only after its timeouts.
    if offline() {
        bail!(
            "HF_HUB_OFFLINE is set, so {repo} cannot be downloaded; unset it on a connected \
             machine, or pass --model-dir DIR"
        );
    }
    let token = std::env::var("HF_TOKEN")
        .ok()
        .or_else(|| Cache::from_env().token());
    let api = ApiBuilder::from_env()
        .with_token(token)
        .with_progress(progress)
        .build()
        .context("cannot set up the hub client")?;
    let handle = api.repo(repo_handle(repo, revision));
    let info = handle.info().map_err(|e| anyhow!("{e}"))?;
    let listed = |n: &str| info.siblings.iter().any(|s| s.rfilename == n);
    let mut paths = Vec::new();
    for name in REQUIRED {
        paths.push(handle.get(name).map_err(|e| anyhow!("{name}: {e}"))?);
    }
    let weights_name = [SAFETENSORS, PYTORCH]
        .into_iter()
        .find(|n| listed(n))
        .ok_or_else(|| anyhow!("the repository has neither {SAFETENSORS} nor {PYTORCH}"))?;
    let weights = handle
        .get(weights_name)
        .map_err(|e| anyhow!("{weights_name}: {e}"))?;
    let generation_config = if listed(GENERATION) {
        Some(
            handle
                .get(GENERATION)
                .map_err(|e| anyhow!("{GENERATION}: {e}"))?,
        )
    } else {
        None
    };
    let config = paths.swap_remove(0);
    Ok(ModelFiles {
        dir: config.parent().map(Path::to_path_buf).unwrap_or_default(),
        config,
        generation_config,
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_and_revision_parse() {
        assert_eq!(
            ModelSource::hub("Helsinki-NLP/opus-mt-id-en@refs/pr/3"),
            ModelSource::Hub {
                repo: "Helsinki-NLP/opus-mt-id-en".into(),
                revision: Some("refs/pr/3".into())
            }
        );
        assert_eq!(
            ModelSource::hub(DEFAULT_MODEL),
            ModelSource::Hub {
                repo: DEFAULT_MODEL.into(),
                revision: None
            }
        );
    }

    #[test]
    fn missing_directory_file_is_named() {
        let dir = std::env::temp_dir().join(format!("terjemah-hub-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["config.json", "source.spm", "vocab.json"] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        let err = from_dir(&dir).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(err.contains("lacks target.spm"), "{err}");
    }
}
