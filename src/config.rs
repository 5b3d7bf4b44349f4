//! Model and decoding configuration read from a checkpoint's `config.json` and `generation_config.json`.
//!
//! Only the Marian variant that opus-mt checkpoints use is implemented; any other variant is refused
//! here with a clear error rather than run wrong later.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// Architecture of a Marian checkpoint, as the keys of its `config.json`.
///
/// Defaults follow transformers' `MarianConfig` for keys that older checkpoints omit.
#[derive(Debug, Clone, Deserialize)]
pub struct MarianConfig {
    pub vocab_size: usize,
    #[serde(default)]
    pub decoder_vocab_size: Option<usize>,
    #[serde(default = "d_model")]
    pub d_model: usize,
    #[serde(default = "layers")]
    pub encoder_layers: usize,
    #[serde(default = "layers")]
    pub decoder_layers: usize,
    #[serde(default = "heads")]
    pub encoder_attention_heads: usize,
    #[serde(default = "heads")]
    pub decoder_attention_heads: usize,
    #[serde(default = "ffn")]
    pub encoder_ffn_dim: usize,
    #[serde(default = "ffn")]
    pub decoder_ffn_dim: usize,
    #[serde(default = "activation")]
    pub activation_function: String,
    #[serde(default = "yes")]
    pub scale_embedding: bool,
    #[serde(default = "yes")]
    pub static_position_embeddings: bool,
    #[serde(default)]
    pub normalize_before: bool,
    #[serde(default)]
    pub normalize_embedding: bool,
    #[serde(default)]
    pub add_final_layer_norm: bool,
    #[serde(default = "yes")]
    pub share_encoder_decoder_embeddings: bool,
    #[serde(default = "max_positions")]
    pub max_position_embeddings: usize,
    pub pad_token_id: u32,
    #[serde(default)]
    pub eos_token_id: u32,
    #[serde(default)]
    pub decoder_start_token_id: Option<u32>,
    #[serde(default)]
    pub model_type: Option<String>,
    /// Decoding keys that checkpoints without `generation_config.json` keep here.
    #[serde(flatten)]
    pub generation: GenerationDefaults,
}

fn d_model() -> usize {
    1024
}
fn layers() -> usize {
    12
}
fn heads() -> usize {
    16
}
fn ffn() -> usize {
    4096
}
fn activation() -> String {
    "gelu".into()
}
fn yes() -> bool {
    true
}
fn max_positions() -> usize {
    1024
}

/// Decoding defaults a checkpoint ships (`generation_config.json`, else `config.json`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenerationDefaults {
    #[serde(default)]
    pub num_beams: Option<usize>,
    #[serde(default)]
    pub max_length: Option<usize>,
    #[serde(default)]
    pub length_penalty: Option<f32>,
    #[serde(default)]
    pub bad_words_ids: Option<Vec<Vec<u32>>>,
    #[serde(default)]
    pub forced_eos_token_id: Option<u32>,
}

impl MarianConfig {
    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let config: Self = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a Marian config", path.display()))?;
        config
            .validate()
            .with_context(|| format!("{}: unsupported model", path.display()))?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        if let Some(t) = &self.model_type {
            if t != "marian" {
                bail!("model_type is {t:?}, only \"marian\" is supported");
            }
        }
        if self.normalize_before {
            bail!("normalize_before=true (pre-norm Marian) is not implemented");
        }
        if self.normalize_embedding {
            bail!("normalize_embedding=true is not implemented");
        }
        if self.add_final_layer_norm {
            bail!("add_final_layer_norm=true is not implemented");
        }
        if !self.static_position_embeddings {
            bail!("learned position embeddings are not implemented");
        }
        if !self.share_encoder_decoder_embeddings || self.target_vocab_size() != self.vocab_size {
            bail!("separate source and target vocabularies are not implemented");
        }
        if !matches!(
            self.activation_function.as_str(),
            "swish" | "silu" | "gelu" | "relu"
        ) {
            bail!(
                "activation_function {:?} is not supported",
                self.activation_function
            );
        }
        if self.d_model == 0 || self.encoder_ffn_dim == 0 || self.decoder_ffn_dim == 0 {
            bail!("d_model and the feed-forward sizes must be positive");
        }
        for (what, heads) in [
            ("encoder", self.encoder_attention_heads),
            ("decoder", self.decoder_attention_heads),
        ] {
            if heads == 0 || self.d_model % heads != 0 {
                bail!(
                    "d_model {} is not divisible by {what} heads {heads}",
                    self.d_model
                );
            }
        }
        if self.pad_token_id as usize >= self.vocab_size
            || self.eos_token_id as usize >= self.vocab_size
        {
            bail!("pad or eos token id outside the vocabulary");
        }
        Ok(())
    }

    /// Size of the output projection.
    pub fn target_vocab_size(&self) -> usize {
        self.decoder_vocab_size.unwrap_or(self.vocab_size)
    }

    /// The token the decoder starts from (Marian uses `<pad>`).
    pub fn decoder_start(&self) -> u32 {
        self.decoder_start_token_id.unwrap_or(self.pad_token_id)
    }
}

/// How to decode: beam width, length limit and the rules transformers' `generate()` applies to Marian.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// 1 is greedy search.
    pub num_beams: usize,
    /// Counted as transformers counts it: the decoder start token included, so at most
    /// `max_length - 1` tokens are generated, the last of them forced to EOS.
    pub max_length: usize,
    pub length_penalty: f32,
    /// Tokens never generated (Marian bans `<pad>`).
    pub banned_tokens: Vec<u32>,
    /// Forced as the last token when a hypothesis reaches `max_length`.
    pub forced_eos: Option<u32>,
    /// EOS is banned until this many tokens are generated (transformers' `min_new_tokens`).
    pub min_new_tokens: usize,
}

impl DecodeOptions {
    /// The checkpoint's defaults: `generation_config.json` if the directory has one, else `config.json`.
    pub fn from_model(config: &MarianConfig, generation_config: Option<&Path>) -> Result<Self> {
        let gen = match generation_config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read", path.display()))?;
                serde_json::from_str::<GenerationDefaults>(&text)
                    .with_context(|| format!("{}: invalid generation config", path.display()))?
            }
            None => config.generation.clone(),
        };
        let mut banned_tokens = Vec::new();
        for word in gen
            .bad_words_ids
            .unwrap_or_else(|| vec![vec![config.pad_token_id]])
        {
            match word.as_slice() {
                [token] => banned_tokens.push(*token),
                _ => bail!("bad_words_ids with multi-token sequences are not supported"),
            }
        }
        Ok(Self {
            num_beams: gen.num_beams.unwrap_or(1).max(1),
            max_length: gen.max_length.unwrap_or(config.max_position_embeddings),
            length_penalty: gen.length_penalty.unwrap_or(1.0),
            banned_tokens,
            forced_eos: gen
                .forced_eos_token_id
                .or(config.generation.forced_eos_token_id),
            min_new_tokens: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<MarianConfig> {
        let c: MarianConfig = serde_json::from_str(json)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn older_checkpoints_get_defaults() {
        let c = parse(
            r#"{"vocab_size": 100, "d_model": 8, "encoder_attention_heads": 2,
                "decoder_attention_heads": 2, "pad_token_id": 99, "activation_function": "swish"}"#,
        )
        .unwrap();
        assert_eq!(c.target_vocab_size(), 100);
        assert!(c.share_encoder_decoder_embeddings);
        assert_eq!(c.decoder_start(), 99);
        assert_eq!(c.eos_token_id, 0);
    }

    #[test]
    fn unimplemented_variants_are_refused() {
        let base = r#""vocab_size": 100, "d_model": 8, "encoder_attention_heads": 2,
                      "decoder_attention_heads": 2, "pad_token_id": 99"#;
        for extra in [
            r#""normalize_before": true"#,
            r#""decoder_vocab_size": 50"#,
            r#""share_encoder_decoder_embeddings": false"#,
            r#""static_position_embeddings": false"#,
            r#""model_type": "bart""#,
            r#""activation_function": "tanh""#,
            r#""encoder_ffn_dim": 0"#,
        ] {
            let err = parse(&format!("{{{base}, {extra}}}")).unwrap_err();
            assert!(!err.to_string().is_empty(), "{extra} accepted");
        }
    }

    #[test]
    fn generation_defaults_come_from_config_without_generation_file() {
        let c = parse(
            r#"{"vocab_size": 100, "d_model": 8, "encoder_attention_heads": 2,
                "decoder_attention_heads": 2, "pad_token_id": 99, "num_beams": 6,
                "max_length": 512, "bad_words_ids": [[99]], "forced_eos_token_id": 0}"#,
        )
        .unwrap();
        let d = DecodeOptions::from_model(&c, None).unwrap();
        assert_eq!(d.num_beams, 6);
        assert_eq!(d.max_length, 512);
        assert_eq!(d.banned_tokens, vec![99]);
        assert_eq!(d.forced_eos, Some(0));
    }
}
