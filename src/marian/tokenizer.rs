//! Source encoding and target decoding with an opus-mt checkpoint's own files: `source.spm`,
//! `target.spm` and `vocab.json`, reproducing transformers' `MarianTokenizer`.
//!
//! The SentencePiece protobuf is read here (a dozen fields of one message do not justify a protobuf
//! dependency); the Unigram segmentation and the precompiled character map come from the `tokenizers`
//! crate. SentencePiece's whitespace rules and its treatment of unknown characters are applied here,
//! because a plain `tokenizers` pipeline gets them wrong (see `shared/notes/opus-mt-id-en.md`).
//! Pieces map to model ids through `vocab.json`, exactly as `MarianTokenizer` does: by surface string,
//! with `<unk>` for anything the vocabulary lacks.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::precompiled::Precompiled;

use crate::marian::config::MarianConfig;

const SPACE: char = '\u{2581}';

/// Encodes Indonesian text into model ids and decodes generated ids into English text.
pub struct MarianTokenizer {
    source: SentencePiece,
    vocab: HashMap<String, u32>,
    pieces: Vec<String>,
    /// Ids dropped when decoding: transformers' special tokens (`</s>`, `<unk>`, `<pad>`).
    special: HashSet<u32>,
    /// Pieces SentencePiece decodes to nothing (control symbols such as `<s>`).
    control: HashSet<String>,
    eos: u32,
    unk: u32,
}

impl MarianTokenizer {
    /// Loads `source.spm`, `target.spm` and `vocab.json` from `dir`, checking the vocabulary
    /// against the model's `config`.
    pub fn from_dir(dir: &Path, config: &MarianConfig) -> Result<Self> {
        let source = SentencePiece::from_file(&dir.join("source.spm"))?;
        let target = SentencePiece::from_file(&dir.join("target.spm"))?;
        let vocab_path = dir.join("vocab.json");
        let text = crate::files::read_to_string(&vocab_path)?;
        let vocab =
            Vocab::parse(&text, config).with_context(|| vocab_path.display().to_string())?;
        let control = source.control.union(&target.control).cloned().collect();
        let Vocab {
            ids,
            pieces,
            eos,
            unk,
            pad,
        } = vocab;
        Ok(Self {
            source,
            vocab: ids,
            pieces,
            special: [eos, unk, pad].into_iter().collect(),
            control,
            eos,
            unk,
        })
    }

    /// Model ids for one source sentence, `</s>` appended.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .source_pieces(text)?
            .iter()
            .map(|piece| self.id(piece))
            .collect())
    }

    /// The pieces of one source sentence, one per id of [`MarianTokenizer::encode`]:
    /// SentencePiece's surfaces (also those `vocab.json` lacks, which encode to `<unk>`), a leading
    /// language code and special-token strings as they stand in the text, `</s>` last.
    pub fn source_pieces(&self, text: &str) -> Result<Vec<String>> {
        let mut pieces = Vec::new();
        // MarianTokenizer keeps a leading `>>xx<<` target-language code as one token.
        let mut text = text;
        if let Some(rest) = text.strip_prefix(">>") {
            if let Some(end) = rest.find("<<") {
                pieces.push(text[..end + 4].to_string());
                text = &rest[end + 2..];
            }
        }
        // Like transformers, special-token strings in the text are tokens themselves, never pieces.
        let specials = ["</s>", "<unk>", "<pad>"];
        let mut rest = text;
        loop {
            let next = specials
                .iter()
                .filter_map(|&s| rest.find(s).map(|at| (at, s)))
                .min_by_key(|&(at, _)| at);
            let chunk = next.map_or(rest, |(at, _)| &rest[..at]);
            pieces.extend(self.source.pieces(chunk)?);
            match next {
                Some((at, special)) => {
                    pieces.push(special.to_string());
                    rest = &rest[at + special.len()..];
                }
                None => break,
            }
        }
        pieces.push("</s>".to_string());
        Ok(pieces)
    }

    /// How many characters `word` (no whitespace) has after the source normalizer, the `▁`
    /// it puts before a word not counted.
    pub fn normalized_chars(&self, word: &str) -> usize {
        let normalized = self.source.normalize(word);
        normalized.trim_start_matches(SPACE).chars().count()
    }

    fn id(&self, piece: &str) -> u32 {
        self.vocab.get(piece).copied().unwrap_or(self.unk)
    }

    /// Text for generated ids, special tokens skipped, as `batch_decode(skip_special_tokens=True)`.
    pub fn decode(&self, ids: &[u32]) -> String {
        self.decode_spans(ids).0
    }

    /// [`MarianTokenizer::decode`]'s text, with the byte range of it that each id wrote: empty
    /// for an id that writes nothing, cut where the text is stripped.
    pub fn decode_spans(&self, ids: &[u32]) -> (String, Vec<Range<usize>>) {
        let mut text = String::new();
        let mut spans = Vec::with_capacity(ids.len());
        for &id in ids {
            let start = text.len();
            match self.pieces.get(id as usize) {
                Some(piece) if !self.special.contains(&id) && !self.control.contains(piece) => {
                    text.extend(piece.chars().map(|c| if c == SPACE { ' ' } else { c }));
                }
                _ => {}
            }
            spans.push(start..text.len());
        }
        // Python's str.strip(): its whitespace also counts the separators U+001C..U+001F.
        let stripped = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
        let end = text.trim_end_matches(stripped).len();
        let start = end - text[..end].trim_start_matches(stripped).len();
        for span in &mut spans {
            *span = span.start.clamp(start, end) - start..span.end.clamp(start, end) - start;
        }
        (text[start..end].to_string(), spans)
    }

    /// The end-of-sentence id.
    pub fn eos_id(&self) -> u32 {
        self.eos
    }

    /// Whether generating `id` adds text to the output (special tokens and control pieces add
    /// none).
    pub fn decodes_to_text(&self, id: u32) -> bool {
        !self.special.contains(&id)
            && self
                .pieces
                .get(id as usize)
                .is_some_and(|p| !p.is_empty() && !self.control.contains(p))
    }
}

/// `vocab.json`: pieces → model ids, and back.
struct Vocab {
    ids: HashMap<String, u32>,
    /// By id; `vocab.json` may leave ids out (empty here).
    pieces: Vec<String>,
    eos: u32,
    unk: u32,
    pad: u32,
}

impl Vocab {
    /// Parses and checks `vocab.json`'s text: every id inside the model's vocabulary (checked
    /// before the id table is sized from them), and `</s>`, `<unk>`, `<pad>` present, distinct and
    /// where config.json puts EOS and padding.
    fn parse(text: &str, config: &MarianConfig) -> Result<Self> {
        // In file order (serde_json keeps it): where two pieces share an id, decoding takes the
        // later one, as MarianTokenizer's reversed dict does.
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| anyhow!("not a JSON map of pieces to ids ({e})"))?;
        let mut ids = HashMap::with_capacity(map.len());
        let mut in_order = Vec::with_capacity(map.len());
        for (piece, value) in &map {
            let id = value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| anyhow!("{piece:?}: id {value} is not a token id"))?;
            ensure!(
                (id as usize) < config.vocab_size,
                "{piece:?}: id {id} is outside the model's vocabulary (vocab_size {} in {})",
                config.vocab_size,
                config.path.display()
            );
            ids.insert(piece.clone(), id);
            in_order.push((piece, id as usize));
        }
        let size = in_order.iter().map(|&(_, id)| id + 1).max().unwrap_or(0);
        let mut pieces = vec![String::new(); size];
        for (piece, id) in in_order {
            pieces[id] = piece.clone();
        }
        let id = |piece: &str| {
            ids.get(piece)
                .copied()
                .ok_or_else(|| anyhow!("no {piece} entry"))
        };
        let (eos, unk, pad) = (id("</s>")?, id("<unk>")?, id("<pad>")?);
        ensure!(
            eos != unk && eos != pad && unk != pad,
            "</s>, <unk> and <pad> must have three different ids (they have {eos}, {unk}, {pad})"
        );
        for (piece, here, key, there) in [
            ("</s>", eos, "eos_token_id", config.eos_token_id),
            ("<pad>", pad, "pad_token_id", config.pad_token_id),
        ] {
            ensure!(
                here == there,
                "{piece} has id {here} but {} says {key} {there}",
                config.path.display()
            );
        }
        Ok(Self {
            ids,
            pieces,
            eos,
            unk,
            pad,
        })
    }
}

/// One SentencePiece Unigram model: normalizer settings and the segmentation model.
struct SentencePiece {
    unigram: Unigram,
    charsmap: Option<Precompiled>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    control: HashSet<String>,
}

impl SentencePiece {
    fn from_file(path: &Path) -> Result<Self> {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        Self::from_proto(&bytes)
            .with_context(|| format!("{}: invalid SentencePiece model", path.display()))
    }

    fn from_proto(bytes: &[u8]) -> Result<Self> {
        let proto = ModelProto::parse(bytes)?;
        if proto.model_type != UNIGRAM {
            bail!(
                "only Unigram models are supported (model_type {})",
                proto.model_type
            );
        }
        // The Unigram lattice sees only pieces SentencePiece matches in text (normal and user-defined);
        // ids are looked up by surface later, so the positions here do not matter. One entry that cannot
        // occur in normalized text stands for <unk>.
        let mut entries = Vec::new();
        let mut control = HashSet::new();
        for piece in &proto.pieces {
            match piece.kind {
                NORMAL | USER_DEFINED => entries.push((piece.piece.clone(), piece.score as f64)),
                CONTROL => {
                    control.insert(piece.piece.clone());
                }
                _ => {}
            }
        }
        let min_score = entries.iter().map(|e| e.1).fold(0.0, f64::min);
        entries.push(("\u{FFFF}".into(), min_score));
        let unk = entries.len() - 1;
        let unigram = Unigram::from(entries, Some(unk), false).map_err(|e| anyhow!("{e}"))?;
        let charsmap = match &proto.charsmap {
            Some(map) if !map.is_empty() => {
                Some(Precompiled::from(map).map_err(|e| anyhow!("precompiled_charsmap: {e}"))?)
            }
            _ => None,
        };
        Ok(Self {
            unigram,
            charsmap,
            add_dummy_prefix: proto.add_dummy_prefix,
            remove_extra_whitespaces: proto.remove_extra_whitespaces,
            escape_whitespaces: proto.escape_whitespaces,
            control,
        })
    }

    /// SentencePiece's normalizer: character map, then its whitespace rules (only U+0020 counts).
    fn normalize(&self, text: &str) -> String {
        let mapped = match &self.charsmap {
            Some(map) => map.normalize_string(text),
            None => text.to_string(),
        };
        let mut out = String::with_capacity(mapped.len() + 3);
        let space = if self.escape_whitespaces { SPACE } else { ' ' };
        if self.add_dummy_prefix {
            out.push(space);
        }
        let mut prev_space = self.remove_extra_whitespaces;
        for c in mapped.chars() {
            if c == ' ' {
                if prev_space {
                    continue;
                }
                out.push(space);
                prev_space = self.remove_extra_whitespaces;
            } else {
                out.push(c);
                prev_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                out.pop();
            }
        }
        out
    }

    /// Piece surfaces for `text`; a run of unknown characters is one piece.
    fn pieces(&self, text: &str) -> Result<Vec<String>> {
        let normalized = self.normalize(text);
        if normalized.is_empty() {
            return Ok(Vec::new());
        }
        self.unigram.encode(&normalized).map_err(|e| anyhow!("{e}"))
    }
}

const UNIGRAM: u64 = 1;
const NORMAL: u64 = 1;
const CONTROL: u64 = 3;
const USER_DEFINED: u64 = 4;

struct Piece {
    piece: String,
    score: f32,
    kind: u64,
}

/// The fields of sentencepiece_model.proto's `ModelProto` that encoding needs.
struct ModelProto {
    pieces: Vec<Piece>,
    model_type: u64,
    charsmap: Option<Vec<u8>>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
}

impl ModelProto {
    fn parse(bytes: &[u8]) -> Result<Self> {
        let mut proto = ModelProto {
            pieces: Vec::new(),
            model_type: UNIGRAM,
            charsmap: None,
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        };
        for field in Fields::new(bytes) {
            match field? {
                (1, Value::Bytes(b)) => proto.pieces.push(parse_piece(b)?),
                (2, Value::Bytes(trainer)) => {
                    for f in Fields::new(trainer) {
                        if let (3, Value::Varint(t)) = f? {
                            proto.model_type = t;
                        }
                    }
                }
                (3, Value::Bytes(normalizer)) => {
                    for f in Fields::new(normalizer) {
                        match f? {
                            (2, Value::Bytes(map)) => proto.charsmap = Some(map.to_vec()),
                            (3, Value::Varint(v)) => proto.add_dummy_prefix = v != 0,
                            (4, Value::Varint(v)) => proto.remove_extra_whitespaces = v != 0,
                            (5, Value::Varint(v)) => proto.escape_whitespaces = v != 0,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if proto.pieces.is_empty() {
            bail!("no pieces");
        }
        Ok(proto)
    }
}

fn parse_piece(bytes: &[u8]) -> Result<Piece> {
    let mut piece = Piece {
        piece: String::new(),
        score: 0.0,
        kind: NORMAL,
    };
    for field in Fields::new(bytes) {
        match field? {
            (1, Value::Bytes(b)) => piece.piece = String::from_utf8(b.to_vec())?,
            (2, Value::Fixed32(v)) => piece.score = f32::from_bits(v),
            (3, Value::Varint(v)) => piece.kind = v,
            _ => {}
        }
    }
    Ok(piece)
}

enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterator over the (field number, value) pairs of one protobuf message.
struct Fields<'a> {
    bytes: &'a [u8],
    failed: bool,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            failed: false,
        }
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self
                .bytes
                .split_first()
                .ok_or_else(|| anyhow!("truncated varint"))?;
            self.bytes = rest;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("varint too long")
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            bail!("truncated field");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn field(&mut self) -> Result<(u64, Value<'a>)> {
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let n = self.varint()? as usize;
                Value::Bytes(self.take(n)?)
            }
            5 => Value::Fixed32(u32::from_le_bytes(self.take(4)?.try_into()?)),
            t => bail!("unsupported wire type {t}"),
        };
        Ok((key >> 3, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Value<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.is_empty() || self.failed {
            return None;
        }
        let field = self.field();
        self.failed = field.is_err();
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes_field(field: u64, data: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(data.len() as u64, out);
        out.extend_from_slice(data);
    }

    fn piece(text: &str, score: f32, kind: u64) -> Vec<u8> {
        let mut p = Vec::new();
        bytes_field(1, text.as_bytes(), &mut p);
        varint(2 << 3 | 5, &mut p);
        p.extend_from_slice(&score.to_le_bytes());
        varint(3 << 3, &mut p);
        varint(kind, &mut p);
        p
    }

    /// A tiny model without a character map: pieces ▁a, ▁ab, b, ▁ and the control </s>.
    fn tiny() -> SentencePiece {
        let mut m = Vec::new();
        for (text, score, kind) in [
            ("<unk>", 0.0, 2),
            ("</s>", 0.0, CONTROL),
            ("\u{2581}a", -1.0, NORMAL),
            ("\u{2581}ab", -1.5, NORMAL),
            ("b", -2.0, NORMAL),
            ("\u{2581}", -3.0, NORMAL),
        ] {
            bytes_field(1, &piece(text, score, kind), &mut m);
        }
        SentencePiece::from_proto(&m).unwrap()
    }

    #[test]
    fn extra_whitespace_is_removed_like_sentencepiece() {
        let sp = tiny();
        assert_eq!(sp.normalize("  a   b  "), "\u{2581}a\u{2581}b");
        assert_eq!(sp.normalize("   "), "");
        assert_eq!(sp.normalize(""), "");
    }

    #[test]
    fn unigram_picks_best_path_and_fuses_unknown_runs() {
        let sp = tiny();
        assert_eq!(sp.pieces("ab").unwrap(), vec!["\u{2581}ab"]);
        assert_eq!(
            sp.pieces("a b").unwrap(),
            vec!["\u{2581}a", "\u{2581}", "b"]
        );
        assert_eq!(sp.pieces("aŁŁŁ").unwrap(), vec!["\u{2581}a", "ŁŁŁ"]);
        assert!(sp.control.contains("</s>"));
    }

    fn fixture_config() -> MarianConfig {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/fixture");
        MarianConfig::from_file(&dir.join("config.json")).unwrap()
    }

    const FIXTURE_VOCAB: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/fixture/vocab.json"
    ));

    /// What an accepted vocabulary guarantees: its id table no larger than the model's vocabulary,
    /// and the special tokens where the config puts them.
    fn assert_bounded(v: &Vocab, config: &MarianConfig) {
        assert!(v.pieces.len() <= config.vocab_size);
        assert!(v.ids.values().all(|&id| (id as usize) < config.vocab_size));
        assert_eq!((v.eos, v.pad), (config.eos_token_id, config.pad_token_id));
    }

    #[test]
    fn vocab_is_checked_against_the_config() {
        let config = fixture_config();
        let v = Vocab::parse(FIXTURE_VOCAB, &config).unwrap();
        assert_bounded(&v, &config);
        for (text, wanted) in [
            (
                r#"{"</s>": 0, "<unk>": 1, "<pad>": 1997, "a": 1998}"#,
                "id 1998 is outside",
            ),
            (
                r#"{"</s>": 0, "<unk>": 1, "<pad>": 1997, "a": -1}"#,
                "not a token id",
            ),
            (r#"{"</s>": 0, "<unk>": 1}"#, "no <pad> entry"),
            (
                r#"{"</s>": 0, "<unk>": 0, "<pad>": 1997}"#,
                "three different ids",
            ),
            (
                r#"{"</s>": 2, "<unk>": 1, "<pad>": 1997}"#,
                "eos_token_id 0",
            ),
            (r#"["</s>"]"#, "not a JSON map"),
        ] {
            let err = Vocab::parse(text, &config).err().expect(text).to_string();
            assert!(err.contains(wanted), "{text}: {err}");
        }
        // Two pieces with one id: decoding takes the later, as MarianTokenizer does.
        let v = Vocab::parse(
            r#"{"</s>": 0, "<unk>": 1, "<pad>": 1997, "x": 5, "y": 5}"#,
            &config,
        )
        .unwrap();
        assert_eq!(v.pieces[5], "y");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_vocab_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let config = fixture_config();
            if let Ok(v) = Vocab::parse(&String::from_utf8_lossy(&bytes), &config) {
                assert_bounded(&v, &config);
            }
        }

        #[test]
        fn mutated_vocab_ids_are_bounded_or_refused(
            edits in proptest::collection::vec((any::<usize>(), any::<u64>()), 1..6),
        ) {
            let config = fixture_config();
            let mut map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(FIXTURE_VOCAB).unwrap();
            let keys: Vec<String> = map.keys().cloned().collect();
            for (at, id) in edits {
                // Small ids and ids far beyond the vocabulary, half and half.
                let id = if id % 2 == 0 { id % 4000 } else { id };
                map.insert(keys[at % keys.len()].clone(), id.into());
            }
            let text = serde_json::Value::Object(map).to_string();
            if let Ok(v) = Vocab::parse(&text, &config) {
                assert_bounded(&v, &config);
            }
        }
    }

    #[test]
    fn truncated_proto_is_an_error() {
        let mut m = Vec::new();
        bytes_field(1, &piece("\u{2581}a", -1.0, NORMAL), &mut m);
        m.truncate(m.len() - 2);
        assert!(SentencePiece::from_proto(&m).is_err());
    }
}
