//! Model and decoding configuration read from a checkpoint's `config.json` and `generation_config.json`.
//!
//! Only the Marian variant that opus-mt checkpoints use is implemented; any other variant is refused
//! here with a clear error rather than run wrong later. Every size read here is checked against the
//! limits below and against the other keys before anything is allocated from it; the weights file
//! then confirms the sizes its tensors imply (see [`crate::marian::weights`]).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Largest `max_position_embeddings` accepted. opus-mt models have 512; the sinusoidal table
/// (positions × d_model floats) and the longest decoder cache grow with it, and 16 times
/// opus-mt's length still keeps the table of a d_model 1024 model at 32 MB.
pub const MAX_POSITIONS: usize = 8192;

/// Largest beam width accepted, from `generation_config.json` or `--beams`. opus-mt ships 4 or 6;
/// quality stops improving well before 16 beams (and often drops), while every beam is one more
/// decoder cache row and one more row of logits per sentence, so memory grows linearly with it.
pub const MAX_BEAMS: usize = 16;

/// Largest `vocab_size` accepted. opus-mt vocabularies have 50–65 thousand pieces and the largest
/// multilingual ones about 256 thousand; the tokenizer's id table is sized from it before the
/// weights confirm it, so it is bounded here.
pub const MAX_VOCAB: usize = 1 << 20;

/// Architecture of a Marian checkpoint, as the keys of its `config.json`.
///
/// Defaults follow transformers' `MarianConfig` for keys that older checkpoints omit.
#[derive(Debug, Clone)]
pub struct MarianConfig {
    /// The file it was read from, for messages.
    pub path: PathBuf,
    pub vocab_size: usize,
    pub decoder_vocab_size: Option<usize>,
    pub d_model: usize,
    pub encoder_layers: usize,
    pub decoder_layers: usize,
    pub encoder_attention_heads: usize,
    pub decoder_attention_heads: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_ffn_dim: usize,
    pub activation_function: String,
    pub scale_embedding: bool,
    pub static_position_embeddings: bool,
    pub normalize_before: bool,
    pub normalize_embedding: bool,
    pub add_final_layer_norm: bool,
    pub share_encoder_decoder_embeddings: bool,
    pub max_position_embeddings: usize,
    pub pad_token_id: u32,
    pub eos_token_id: u32,
    pub decoder_start_token_id: Option<u32>,
    pub model_type: Option<String>,
    /// Decoding keys that checkpoints without `generation_config.json` keep here.
    pub generation: GenerationDefaults,
}

/// Decoding defaults a checkpoint ships (`generation_config.json`, else `config.json`).
#[derive(Debug, Clone, Default)]
pub struct GenerationDefaults {
    pub num_beams: Option<usize>,
    pub max_length: Option<usize>,
    pub length_penalty: Option<f32>,
    pub bad_words_ids: Option<Vec<Vec<u32>>>,
    pub forced_eos_token_id: Option<u32>,
}

/// The keys of one JSON object, each read on its own so that an error names its key. `null` counts
/// as absent, as transformers reads it.
struct Keys(Map<String, Value>);

impl Keys {
    fn parse(text: &str) -> Result<Self> {
        match serde_json::from_str(text).map_err(|e| anyhow!("not JSON ({e})"))? {
            Value::Object(map) => Ok(Self(map)),
            _ => bail!("not a JSON object"),
        }
    }

    fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => T::deserialize(v)
                .map(Some)
                .map_err(|e| anyhow!("{key}: {e}")),
        }
    }

    fn or<T: DeserializeOwned>(&self, key: &str, default: T) -> Result<T> {
        Ok(self.get(key)?.unwrap_or(default))
    }

    fn required<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        self.get(key)?.ok_or_else(|| anyhow!("{key} is missing"))
    }
}

impl GenerationDefaults {
    fn from_keys(keys: &Keys) -> Result<Self> {
        Ok(Self {
            num_beams: keys.get("num_beams")?,
            max_length: keys.get("max_length")?,
            length_penalty: keys.get("length_penalty")?,
            bad_words_ids: keys.get("bad_words_ids")?,
            forced_eos_token_id: keys.get("forced_eos_token_id")?,
        })
    }
}

/// Reads a small JSON file; errors name it.
fn read_keys(path: &Path) -> Result<Keys> {
    let text = crate::files::read_to_string(path)?;
    Keys::parse(&text).with_context(|| path.display().to_string())
}

impl MarianConfig {
    /// Reads and validates `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let keys = read_keys(path)?;
        Self::from_keys(&keys, path).with_context(|| path.display().to_string())
    }

    /// Parses and validates config.json's text; `path` is only recorded.
    #[cfg(test)]
    fn from_text(text: &str, path: &Path) -> Result<Self> {
        Self::from_keys(&Keys::parse(text)?, path)
    }

    fn from_keys(k: &Keys, path: &Path) -> Result<Self> {
        let config = Self {
            path: path.to_path_buf(),
            vocab_size: k.required("vocab_size")?,
            decoder_vocab_size: k.get("decoder_vocab_size")?,
            d_model: k.or("d_model", 1024)?,
            encoder_layers: k.or("encoder_layers", 12)?,
            decoder_layers: k.or("decoder_layers", 12)?,
            encoder_attention_heads: k.or("encoder_attention_heads", 16)?,
            decoder_attention_heads: k.or("decoder_attention_heads", 16)?,
            encoder_ffn_dim: k.or("encoder_ffn_dim", 4096)?,
            decoder_ffn_dim: k.or("decoder_ffn_dim", 4096)?,
            activation_function: k.or("activation_function", "gelu".to_string())?,
            scale_embedding: k.or("scale_embedding", true)?,
            static_position_embeddings: k.or("static_position_embeddings", true)?,
            normalize_before: k.or("normalize_before", false)?,
            normalize_embedding: k.or("normalize_embedding", false)?,
            add_final_layer_norm: k.or("add_final_layer_norm", false)?,
            share_encoder_decoder_embeddings: k.or("share_encoder_decoder_embeddings", true)?,
            max_position_embeddings: k.or("max_position_embeddings", 1024)?,
            pad_token_id: k.required("pad_token_id")?,
            eos_token_id: k.or("eos_token_id", 0)?,
            decoder_start_token_id: k.get("decoder_start_token_id")?,
            model_type: k.get("model_type")?,
            generation: GenerationDefaults::from_keys(k)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Refuses variants that are not implemented and sizes that are out of bounds or disagree.
    fn validate(&self) -> Result<()> {
        if let Some(t) = &self.model_type {
            ensure!(
                t == "marian",
                "model_type is {t:?}, only \"marian\" is supported"
            );
        }
        for (key, set, what) in [
            ("normalize_before", self.normalize_before, "pre-norm Marian"),
            (
                "normalize_embedding",
                self.normalize_embedding,
                "a norm after the embeddings",
            ),
            (
                "add_final_layer_norm",
                self.add_final_layer_norm,
                "a final layer norm",
            ),
        ] {
            ensure!(!set, "{key} is true ({what}), which is not implemented");
        }
        ensure!(
            self.static_position_embeddings,
            "static_position_embeddings is false (learned positions), which is not implemented"
        );
        ensure!(
            self.share_encoder_decoder_embeddings,
            "share_encoder_decoder_embeddings is false (separate vocabularies), which is not implemented"
        );
        ensure!(
            self.target_vocab_size() == self.vocab_size,
            "decoder_vocab_size {} differs from vocab_size {} (separate vocabularies are not implemented)",
            self.target_vocab_size(),
            self.vocab_size
        );
        ensure!(
            matches!(
                self.activation_function.as_str(),
                "swish" | "silu" | "gelu" | "relu"
            ),
            "activation_function {:?} is not supported",
            self.activation_function
        );
        ensure!(
            (1..=MAX_VOCAB).contains(&self.vocab_size),
            "vocab_size {} is outside 1..={MAX_VOCAB}",
            self.vocab_size
        );
        for (key, value) in [
            ("d_model", self.d_model),
            ("encoder_ffn_dim", self.encoder_ffn_dim),
            ("decoder_ffn_dim", self.decoder_ffn_dim),
            ("encoder_layers", self.encoder_layers),
            ("decoder_layers", self.decoder_layers),
        ] {
            ensure!(value >= 1, "{key} is 0, it must be at least 1");
        }
        for (key, heads) in [
            ("encoder_attention_heads", self.encoder_attention_heads),
            ("decoder_attention_heads", self.decoder_attention_heads),
        ] {
            ensure!(
                heads >= 1 && self.d_model.is_multiple_of(heads),
                "{key} {heads} does not divide d_model {}",
                self.d_model
            );
        }
        // Two positions: a source needs a token and </s>, the decoder its start and one token.
        ensure!(
            (2..=MAX_POSITIONS).contains(&self.max_position_embeddings),
            "max_position_embeddings {} is outside 2..={MAX_POSITIONS}",
            self.max_position_embeddings
        );
        for (key, id) in [
            ("pad_token_id", Some(self.pad_token_id)),
            ("eos_token_id", Some(self.eos_token_id)),
            ("decoder_start_token_id", self.decoder_start_token_id),
        ] {
            if let Some(id) = id {
                self.check_id(key, id)?;
            }
        }
        // Marian bans <pad> from generation: an EOS that is <pad> could never end a sentence.
        ensure!(
            self.eos_token_id != self.pad_token_id,
            "eos_token_id and pad_token_id are both {}: the model could never end a sentence",
            self.eos_token_id
        );
        Ok(())
    }

    /// Refuses a token id outside the vocabulary.
    fn check_id(&self, key: &str, id: u32) -> Result<()> {
        ensure!(
            (id as usize) < self.vocab_size,
            "{key} {id} is outside the vocabulary (vocab_size {})",
            self.vocab_size
        );
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
    /// No n-gram of this many tokens is generated twice (transformers' `no_repeat_ngram_size`);
    /// 0 turns it off. Greedy search only: the pipeline retries looping outputs with it.
    pub no_repeat_ngram_size: usize,
}

impl DecodeOptions {
    /// The checkpoint's defaults: `generation_config.json` if the directory has one, else
    /// `config.json`; checked against the config, errors naming the file they come from.
    pub fn from_model(config: &MarianConfig, generation_config: Option<&Path>) -> Result<Self> {
        match generation_config {
            Some(path) => {
                let gen = GenerationDefaults::from_keys(&read_keys(path)?)
                    .and_then(|gen| Self::from_defaults(config, &gen));
                gen.with_context(|| path.display().to_string())
            }
            None => Self::from_defaults(config, &config.generation)
                .with_context(|| config.path.display().to_string()),
        }
    }

    /// `gen` checked against `config` (whose `forced_eos_token_id` stands in for a missing one).
    fn from_defaults(config: &MarianConfig, gen: &GenerationDefaults) -> Result<Self> {
        let mut banned_tokens = Vec::new();
        for word in gen
            .bad_words_ids
            .clone()
            .unwrap_or_else(|| vec![vec![config.pad_token_id]])
        {
            match word.as_slice() {
                [token] => {
                    config.check_id("bad_words_ids", *token)?;
                    banned_tokens.push(*token);
                }
                _ => bail!("bad_words_ids: multi-token sequences are not supported"),
            }
        }
        let forced_eos = gen
            .forced_eos_token_id
            .or(config.generation.forced_eos_token_id);
        if let Some(id) = forced_eos {
            config.check_id("forced_eos_token_id", id)?;
        }
        let num_beams = gen.num_beams.unwrap_or(1);
        ensure!(
            (1..=MAX_BEAMS).contains(&num_beams),
            "num_beams {num_beams} is outside 1..={MAX_BEAMS}"
        );
        // transformers' decoder positions end at max_position_embeddings: the last token it can
        // feed is at position max_length - 2, so a longer max_length would fail in transformers
        // too once a hypothesis got there.
        let max_length = gen.max_length.unwrap_or(config.max_position_embeddings);
        let longest = config.max_position_embeddings + 1;
        // With EOS forced at the last position, max_length 2 leaves room for nothing else.
        let shortest = if forced_eos.is_some() { 3 } else { 2 };
        ensure!(
            (shortest..=longest).contains(&max_length),
            "max_length {max_length} is outside {shortest}..={longest} (max_position_embeddings {} + 1)",
            config.max_position_embeddings
        );
        let length_penalty = gen.length_penalty.unwrap_or(1.0);
        ensure!(
            length_penalty.is_finite(),
            "length_penalty {length_penalty} is not a finite number"
        );
        Ok(Self {
            num_beams,
            max_length,
            length_penalty,
            banned_tokens,
            forced_eos,
            min_new_tokens: 0,
            no_repeat_ngram_size: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixture/config.json"
    ));
    const FIXTURE_GENERATION: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixture/generation_config.json"
    ));

    fn parse(json: &str) -> Result<MarianConfig> {
        MarianConfig::from_text(json, Path::new("config.json"))
    }

    fn generation(config: &MarianConfig, json: &str) -> Result<DecodeOptions> {
        let gen = GenerationDefaults::from_keys(&Keys::parse(json)?)?;
        DecodeOptions::from_defaults(config, &gen)
    }

    /// The fixture's config.json with `key` set to the JSON `value`.
    fn with(key: &str, value: &str) -> String {
        let mut map: Map<String, Value> = serde_json::from_str(FIXTURE).unwrap();
        map.insert(key.into(), serde_json::from_str(value).unwrap());
        Value::Object(map).to_string()
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
        assert_eq!(c.encoder_layers, 12);
    }

    #[test]
    fn bad_values_are_refused_naming_their_key() {
        for (key, value) in [
            ("normalize_before", "true"),
            ("decoder_vocab_size", "50"),
            ("share_encoder_decoder_embeddings", "false"),
            ("static_position_embeddings", "false"),
            ("model_type", r#""bart""#),
            ("activation_function", r#""tanh""#),
            ("encoder_ffn_dim", "0"),
            ("encoder_layers", "0"),
            ("decoder_layers", "0"),
            ("decoder_attention_heads", "5"),
            ("max_position_embeddings", "1000000000000"),
            ("max_position_embeddings", "1"),
            ("vocab_size", "0"),
            ("vocab_size", "1000000000000"),
            ("eos_token_id", "1997"),
            ("eos_token_id", "5000"),
            ("decoder_start_token_id", "-1"),
            ("vocab_size", r#""many""#),
            ("d_model", "96.5"),
        ] {
            let err = format!("{:#}", parse(&with(key, value)).unwrap_err());
            assert!(err.contains(key), "{key} = {value}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        let err = parse(r#"{"vocab_size": 10}"#).unwrap_err();
        assert!(err.to_string().contains("pad_token_id is missing"), "{err}");
        assert!(parse("[1, 2]").is_err());
        assert!(parse("{").is_err());
    }

    #[test]
    fn generation_defaults_come_from_config_without_generation_file() {
        let c = parse(
            r#"{"vocab_size": 100, "d_model": 8, "encoder_attention_heads": 2,
                "decoder_attention_heads": 2, "pad_token_id": 99, "num_beams": 6,
                "max_position_embeddings": 512,
                "max_length": 512, "bad_words_ids": [[99]], "forced_eos_token_id": 0}"#,
        )
        .unwrap();
        let d = DecodeOptions::from_model(&c, None).unwrap();
        assert_eq!(d.num_beams, 6);
        assert_eq!(d.max_length, 512);
        assert_eq!(d.banned_tokens, vec![99]);
        assert_eq!(d.forced_eos, Some(0));
    }

    #[test]
    fn generation_config_is_checked_against_the_model() {
        let c = parse(FIXTURE).unwrap();
        let d = generation(&c, FIXTURE_GENERATION).unwrap();
        assert_eq!((d.num_beams, d.max_length, d.forced_eos), (4, 128, Some(0)));
        // max_position_embeddings 256: positions 0..=255 feed up to max_length 257.
        assert_eq!(
            generation(&c, r#"{"max_length": 257}"#).unwrap().max_length,
            257
        );
        for (json, key) in [
            (r#"{"num_beams": 0}"#, "num_beams"),
            (r#"{"num_beams": 100000}"#, "num_beams"),
            (r#"{"max_length": 0}"#, "max_length"),
            (r#"{"max_length": 2}"#, "max_length"),
            (r#"{"max_length": 258}"#, "max_length"),
            (r#"{"bad_words_ids": [[5000]]}"#, "bad_words_ids"),
            (r#"{"bad_words_ids": [[1, 2]]}"#, "bad_words_ids"),
            (r#"{"forced_eos_token_id": 1998}"#, "forced_eos_token_id"),
            (r#"{"num_beams": "four"}"#, "num_beams"),
        ] {
            let err = format!("{:#}", generation(&c, json).unwrap_err());
            assert!(err.contains(key), "{json}: {err}");
        }
    }

    /// A config that parses is within every documented limit.
    fn assert_bounded(c: &MarianConfig) {
        assert!((1..=MAX_VOCAB).contains(&c.vocab_size));
        assert!((2..=MAX_POSITIONS).contains(&c.max_position_embeddings));
        assert!(c.encoder_layers >= 1 && c.decoder_layers >= 1);
        assert!((c.eos_token_id as usize) < c.vocab_size);
        assert!((c.decoder_start() as usize) < c.vocab_size);
        if let Ok(d) = DecodeOptions::from_model(c, None) {
            assert!((1..=MAX_BEAMS).contains(&d.num_beams));
            assert!(d.max_length <= c.max_position_embeddings + 1);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(c) = parse(&String::from_utf8_lossy(&bytes)) {
                assert_bounded(&c);
            }
        }

        #[test]
        fn any_value_for_a_key_is_bounded_or_refused(
            key in prop::sample::select(vec![
                "vocab_size", "d_model", "encoder_layers", "decoder_layers",
                "encoder_attention_heads", "max_position_embeddings", "pad_token_id",
                "eos_token_id", "decoder_start_token_id", "num_beams", "max_length",
                "forced_eos_token_id",
            ]),
            value in prop_oneof![
                any::<u64>().prop_map(|v| v.to_string()),
                (0u64..4096).prop_map(|v| v.to_string()),
                any::<i64>().prop_map(|v| v.to_string()),
                any::<f64>().prop_map(|v| format!("{v:e}")),
                Just("null".to_string()),
                Just("\"x\"".to_string()),
            ],
        ) {
            match parse(&with(key, &value)) {
                Ok(c) => assert_bounded(&c),
                Err(e) => prop_assert!(format!("{e:#}").contains(key), "{key} = {value}: {e:#}"),
            }
        }

        #[test]
        fn generation_config_values_are_bounded_or_refused(
            beams in any::<u64>(), length in any::<u64>(), small in 0u64..300,
        ) {
            let c = parse(FIXTURE).unwrap();
            for json in [
                format!(r#"{{"num_beams": {beams}, "max_length": {length}}}"#),
                format!(r#"{{"num_beams": {small}, "max_length": {small}}}"#),
            ] {
                if let Ok(d) = generation(&c, &json) {
                    prop_assert!((1..=MAX_BEAMS).contains(&d.num_beams));
                    prop_assert!((3..=257).contains(&d.max_length));
                }
            }
        }
    }
}
