//! Markdown documents, read by pulldown-cmark as CommonMark with the GitHub extensions that news
//! sources use (pipe tables, strike-through, task lists, footnotes) and YAML front matter.
//!
//! The text of paragraphs, headings, list items, block quotes, table cells and footnotes is
//! translated, and so are link text and image alt text; every other byte is copied from the
//! source: block syntax (markers, fences, underlines, container prefixes), code blocks, HTML
//! blocks, front matter, reference definitions, and inside the text code spans, emphasis and
//! strike-through markers, link and image destinations and titles, autolinks, inline HTML,
//! entities, backslash escapes, task boxes and table pipes. The inline syntax splits the prose
//! into separate runs, each of which goes through [`Parser::text_plain`] as plain text does
//! (labels, datelines, credits, quotes, protected spans). A pipe is kept even outside a table,
//! since the next line can make any line with one a table row. Shortcut and collapsed reference
//! links (`[Kompas]`, `[Kompas][]`) keep their text, which names the reference definition.
//!
//! Hard-wrapped paragraphs: only top-level paragraphs are joined and re-wrapped, as plain text's
//! lines are ([`super::lines`]); lines in list items and block quotes stay one run each, and no
//! line that ends in a hard break or holds a pipe is joined. The re-wrapped English avoids
//! starting a line with block syntax ([`md_opens_block`], [`md_paragraph_line`]).

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Options, Tag};

use super::document::{keep, Block, Origin, Parser, Piece};
use super::lines::{classify, joins_next, split_lines, wrapped_len, Kind, Line};

/// A block start is decided within this many bytes of the line (a reference definition's label
/// may be longer, but a definition cannot interrupt a paragraph, which is all this is asked for).
const BLOCK_START_BYTES: usize = 200;

pub(super) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
}

/// The events of `text` with their source byte ranges.
pub(super) fn events(text: &str) -> impl Iterator<Item = (Event<'_>, Range<usize>)> {
    pulldown_cmark::Parser::new_ext(text, options()).into_offset_iter()
}

/// Source bytes of translated text between Markdown syntax.
struct Run {
    range: Range<usize>,
    /// Only a soft line break separates it from the run before, in the same paragraph.
    soft_joined: bool,
}

/// What of a document is prose: the runs in source order, and the byte ranges of the
/// top-level paragraphs (the ones whose lines may be joined).
struct Prose {
    runs: Vec<Run>,
    paragraphs: Vec<Range<usize>>,
}

/// Whether the text inside `tag` is translated (when the text around it is).
fn translates(tag: &Tag) -> bool {
    match tag {
        Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_) => false,
        Tag::Link { link_type, .. } | Tag::Image { link_type, .. } => {
            matches!(link_type, LinkType::Inline | LinkType::Reference)
        }
        _ => true,
    }
}

fn prose(text: &str) -> Prose {
    let mut runs: Vec<Run> = Vec::new();
    let mut paragraphs = Vec::new();
    // Per open tag: whether its text is translated.
    let mut open: Vec<bool> = Vec::new();
    // Where the last run ends when the event just read was its text, and whether the event just
    // read was a soft break right after such text.
    let mut run_end: Option<usize> = None;
    let mut soft = false;
    for (event, range) in events(text) {
        let (after_run, after_soft) = (run_end.take(), std::mem::take(&mut soft));
        match event {
            Event::Start(tag) => {
                if open.is_empty() && matches!(tag, Tag::Paragraph) {
                    paragraphs.push(range);
                }
                let inherited = open.last().copied().unwrap_or(true);
                open.push(inherited && translates(&tag));
            }
            Event::End(_) => {
                open.pop();
            }
            // An entity's text differs from its source, which is kept.
            Event::Text(t) if open.last().copied().unwrap_or(true) && text[range.clone()] == *t => {
                // The parser leaves the backslash of an escape out of the text after it.
                let escaped = text[..range.start].ends_with('\\')
                    && t.starts_with(|c: char| c.is_ascii_punctuation());
                let start = range.start + usize::from(escaped);
                match runs.last_mut() {
                    Some(run) if !escaped && after_run == Some(range.start) => {
                        run.range.end = range.end;
                    }
                    _ if start < range.end => runs.push(Run {
                        range: start..range.end,
                        soft_joined: after_soft && !escaped,
                    }),
                    _ => continue,
                }
                run_end = Some(range.end);
            }
            Event::SoftBreak => soft = after_run.is_some(),
            _ => {}
        }
    }
    Prose { runs, paragraphs }
}

/// Lines of a top-level paragraph that are joined as one hard-wrapped paragraph.
struct Group<'a> {
    /// Byte range in the document, from the start of the first line to the end of the last
    /// line's terminator.
    range: Range<usize>,
    lines: Vec<Line<'a>>,
}

/// The hard-wrapped runs of lines in the top-level paragraph at `para`, chosen by the plain-text
/// rules; lines that are not plain paragraph lines, or end in a hard break, are not joined.
fn wrapped_groups(text: &str, para: Range<usize>) -> Vec<Group<'_>> {
    let start = text[..para.start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let mut end = para.end;
    if !text[..end].ends_with(['\n', '\r']) {
        end += text[end..]
            .find(['\n', '\r'])
            .map_or(text.len() - end, |i| i + 1);
    }
    if text[..end].ends_with('\r') && text[end..].starts_with('\n') {
        end += 1;
    }
    let lines = split_lines(&text[start..end]);
    let kinds: Vec<Kind> = lines
        .iter()
        .map(|l| {
            if !md_paragraph_line(l.content) || l.tail.starts_with("  ") {
                Kind::Keep
            } else {
                classify(l.content)
            }
        })
        .collect();
    let joins: Vec<bool> = (1..lines.len())
        .map(|k| joins_next(&lines[k - 1], &lines[k], kinds[k]))
        .collect();
    let mut groups = Vec::new();
    let mut at = start;
    let mut i = 0;
    while i < lines.len() {
        let n = wrapped_len(&lines, &kinds, &joins, i);
        let len: usize = lines[i..i + n]
            .iter()
            .map(|l| l.indent.len() + l.content.len() + l.tail.len())
            .sum();
        if n >= 2 {
            groups.push(Group {
                range: at..at + len,
                lines: lines[i..i + n].to_vec(),
            });
        }
        at += len;
        i += n;
    }
    groups
}

impl Parser<'_> {
    /// A Markdown document: the prose runs go to [`Parser::text_plain`], the bytes between them
    /// are kept, and hard-wrapped top-level paragraphs become [`Block::Wrapped`].
    pub(super) fn markdown(&mut self, text: &str, blocks: &mut Vec<Block>, flow: &mut Vec<Piece>) {
        let prose = prose(text);
        let groups: Vec<Group> = if self.opts.unwrap_paragraphs {
            prose
                .paragraphs
                .iter()
                .flat_map(|p| wrapped_groups(text, p.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let mut runs = prose.runs.iter().peekable();
        let mut pos = 0;
        for group in &groups {
            while let Some(run) = runs.next_if(|r| r.range.start < group.range.start) {
                keep(flow, &text[pos..run.range.start]);
                self.md_run(flow, &text[run.range.clone()]);
                pos = run.range.end;
            }
            keep(flow, &text[pos..group.range.start]);
            if !flow.is_empty() {
                blocks.push(Block::Flow(std::mem::take(flow)));
            }
            let inside: Vec<&Run> =
                std::iter::from_fn(|| runs.next_if(|r| r.range.start < group.range.end)).collect();
            blocks.push(self.md_wrapped(group, &inside));
            pos = group.range.end;
        }
        for run in runs {
            keep(flow, &text[pos..run.range.start]);
            self.md_run(flow, &text[run.range.clone()]);
            pos = run.range.end;
        }
        keep(flow, &text[pos..]);
    }

    /// A hard-wrapped paragraph: its lines' contents joined with spaces, the runs on them placed
    /// in the joined text, and runs separated by nothing but a line break read as one.
    fn md_wrapped(&mut self, group: &Group, runs: &[&Run]) -> Block {
        let mut joined = String::new();
        // Per line: the byte range of its content in the document, and where it starts in
        // `joined`.
        let mut contents = Vec::new();
        let mut at = group.range.start;
        for (k, line) in group.lines.iter().enumerate() {
            if k > 0 {
                joined.push(' ');
            }
            let start = at + line.indent.len();
            contents.push((start..start + line.content.len(), joined.len()));
            joined.push_str(line.content);
            at = start + line.content.len() + line.tail.len();
        }
        let mut spans: Vec<Range<usize>> = Vec::new();
        let mut placed = false;
        for run in runs {
            let line = contents
                .iter()
                .find(|(c, _)| c.start <= run.range.start && run.range.start < c.end);
            let Some((content, base)) = line else {
                placed = false;
                continue;
            };
            let start = base + run.range.start - content.start;
            let end = base + run.range.end.min(content.end) - content.start;
            match spans.last_mut() {
                Some(span) if placed && run.soft_joined => span.end = end,
                _ => spans.push(start..end),
            }
            placed = true;
        }
        let starts = group
            .lines
            .iter()
            .zip(&contents)
            .map(|(line, (_, base))| (*base, self.line_of(line.content)))
            .collect();
        self.origins.push(Origin::of(&joined, starts));
        let mut pieces = Vec::new();
        let mut pos = 0;
        for span in spans {
            keep(&mut pieces, &joined[pos..span.start]);
            self.md_run(&mut pieces, &joined[span.clone()]);
            pos = span.end;
        }
        keep(&mut pieces, &joined[pos..]);
        self.origins.pop();
        Block::wrapped(pieces, &group.lines, true)
    }

    /// A prose run: its pipes and surrounding whitespace are kept, the text between them goes
    /// to [`Parser::text_plain`].
    fn md_run(&mut self, out: &mut Vec<Piece>, run: &str) {
        for (k, part) in run.split('|').enumerate() {
            if k > 0 {
                keep(out, "|");
            }
            let core = part.trim();
            if core.is_empty() {
                keep(out, part);
                continue;
            }
            let start = part.len() - part.trim_start().len();
            keep(out, &part[..start]);
            // Page chrome, codes and credits alone are kept, as on a plain-text line.
            if classify(core) == Kind::Keep {
                self.protect(out, core);
            } else {
                self.text_plain(out, core);
            }
            keep(out, &part[start + core.len()..]);
        }
    }
}

/// The first event of `text` read as a document on its own.
fn first_event(text: &str) -> Option<(Event<'_>, Range<usize>)> {
    events(text).next()
}

/// Whether a Markdown line starting with `s` opens a block rather than continuing a paragraph:
/// read on its own, it does not start with a paragraph (a list item of any number, a heading, a
/// block quote, a fence, an HTML block, a thematic break, a reference definition).
pub(crate) fn md_opens_block(s: &str) -> bool {
    let mut end = s.len().min(BLOCK_START_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let line = s[..end].split(['\n', '\r']).next().unwrap_or_default();
    // Every block start is indentation, a digit or an ASCII punctuation mark; the parser, which
    // re-wrapping asks for every candidate break, is only asked about lines that start so.
    let may_open = line
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_punctuation() || c.is_ascii_digit() || c.is_whitespace());
    may_open
        && !line.trim().is_empty()
        && !matches!(first_event(line), Some((Event::Start(Tag::Paragraph), r)) if r.start == 0)
}

/// Whether `line` (without its indentation) reads as a plain paragraph line of a Markdown
/// document, the only kind that is joined with its neighbours: no block opens on it, it holds
/// no pipe (a table row), it does not end in a hard line break, and after a paragraph line it
/// continues that paragraph (it is no setext underline or thematic break).
pub(crate) fn md_paragraph_line(line: &str) -> bool {
    if line.ends_with('\\') || line.contains('|') || md_opens_block(line) {
        return false;
    }
    // Only a line of these marks can be an underline or a break, so only such a line is read.
    if line.contains(|c: char| !matches!(c, '=' | '-' | '*' | '_') && !c.is_whitespace()) {
        return true;
    }
    let probe = format!("p\n{line}");
    matches!(first_event(&probe), Some((Event::Start(Tag::Paragraph), r)) if r.end == probe.len())
}

#[cfg(test)]
mod tests {
    use crate::text::document::DocumentOptions;
    use crate::text::spans::is_quote;
    use crate::text::testing::{inputs, md_inputs};

    const BERITA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/md/berita.md"
    ));

    #[test]
    fn markdown_is_off_by_default() {
        assert!(!DocumentOptions::default().markdown);
        assert_eq!(inputs("# Judul berita"), ["# Judul berita"]);
        assert_eq!(md_inputs("# Judul berita"), ["Judul berita"]);
    }

    #[test]
    fn markdown_off_treats_syntax_as_text() {
        assert_eq!(
            inputs("- **Kata** `kode` di sini"),
            ["**Kata** `kode` di sini"]
        );
        assert_eq!(inputs("```\nkode program ini\n```"), ["kode program ini"]);
        assert!(md_inputs("```\nkode program ini\n```").is_empty());
    }

    #[test]
    fn markdown_keeps_page_chrome_codes_and_credits_as_plain_text_does() {
        let page = "# Banjir di Bogor\n\nRizky Adha - detikNews\n\nADVERTISEMENT\n\n\
                    Warga mengungsi ke masjid. (nvc/nvc)\n\n*KOMPAS.com/ARDITO RAMADHAN*\n\n\
                    - Satu butir daftar.\n";
        assert_eq!(
            md_inputs(page),
            [
                "Banjir di Bogor",
                "Warga mengungsi ke masjid.",
                "Satu butir daftar."
            ]
        );
    }

    #[test]
    fn markdown_code_blocks_are_not_inputs() {
        let cases: &[(&str, &[&str])] = &[
            (
                "```rust\nlet kata = \"halo dunia\";\n```\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "~~~\nkode program ini\n~~~\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "````\n```\nmasih kode\n````\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            ("```\nkode tanpa penutup\n\nmasih kode", &[]),
            (
                "Satu kalimat.\n\n    kode terindentasi\n\n    lagi kode\nDua kalimat.",
                &["Satu kalimat.", "Dua kalimat."],
            ),
            ("Satu kalimat.\n\n\tkode dengan tab", &["Satu kalimat."]),
            ("    kode di awal dokumen", &[]),
            (
                "Satu kalimat\n    lanjutan paragraf.",
                &["Satu kalimat", "lanjutan paragraf."],
            ),
            (
                "- butir daftar\n  ```\n  kode dalam daftar\n  ```",
                &["butir daftar"],
            ),
            (
                "> ```\n> kode dalam kutipan\n> ```\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "> ```\n> kode dalam kutipan\nSatu kalimat.",
                &["Satu kalimat."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_html_blocks_and_front_matter_are_not_inputs() {
        let cases: &[(&str, &[&str])] = &[
            (
                "<div class=\"iklan\">\nIklan di sini.\n</div>\n\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "<!-- catatan\n\nredaksi -->\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "</section>\nMasih blok HTML.\n\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            ("<https://x.id> adalah situs.", &["adalah situs."]),
            (
                "---\ntitle: Judul berita\n---\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "---\ntitle: Judul berita\n...\nSatu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "Satu kalimat.\n---\ntitle: Bukan front matter\n---",
                &["Satu kalimat.", "title: Bukan front matter"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_line_prefixes_are_kept() {
        let cases: &[(&str, &[&str])] = &[
            ("# Judul berita", &["Judul berita"]),
            ("###### Judul kecil ###", &["Judul kecil"]),
            ("#Pemilu2024 ramai", &["ramai"]),
            (
                "> Kutipan berita.\n> > Kutipan bersarang.",
                &["Kutipan berita.", "Kutipan bersarang."],
            ),
            (
                "- Satu\n* Dua\n+ Tiga\n1. Empat\n10) Lima",
                &["Satu", "Dua", "Tiga", "Empat", "Lima"],
            ),
            (
                "- [ ] Belum selesai\n- [x] Sudah selesai",
                &["Belum selesai", "Sudah selesai"],
            ),
            ("> - ## Judul dalam daftar", &["Judul dalam daftar"]),
            (
                "Judul setext\n===\n\nJudul kedua\n---",
                &["Judul setext", "Judul kedua"],
            ),
            ("***\n___\n- - -", &[]),
            ("1.5 juta orang hadir.", &["1.5 juta orang hadir."]),
            ("-1 derajat di puncak.", &["1 derajat di puncak."]),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_joins_only_plain_paragraph_lines() {
        let wrapped = "Presiden Rusia Vladimir Putin dan pemimpin Korea Utara Kim\nJong Un berjalan-jalan di taman Wisma Kumsusan di Pyongyang.\n";
        assert_eq!(md_inputs(wrapped).len(), 1);
        for broken in [
            wrapped.replacen('\n', "  \n", 1),
            wrapped.replacen('\n', "\\\n", 1),
            format!("- {wrapped}"),
            format!("> {wrapped}"),
        ] {
            assert_eq!(md_inputs(&broken).len(), 2, "{broken:?}");
        }
    }

    #[test]
    fn markdown_table_cells_are_separate_inputs() {
        let table =
            "| Kota | Jumlah warga |\n|:--|--:|\n| Jakarta Pusat | 1,1 juta |\nKota | Kabupaten\n";
        assert_eq!(
            md_inputs(table),
            [
                "Kota",
                "Jumlah warga",
                "Jakarta Pusat",
                "1,1 juta",
                "Kota",
                "Kabupaten"
            ]
        );
        assert_eq!(md_inputs("| `a|b` | Kata \\| lain |"), ["Kata", "lain"]);
    }

    /// What the hand-written line classifier got wrong: tables without a leading pipe, and
    /// code and HTML blocks inside list items and block quotes.
    #[test]
    fn markdown_containers_and_tables_follow_commonmark() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Kota | Jumlah warga\n--- | ---\nJakarta Pusat | 1,1 juta\n",
                &["Kota", "Jumlah warga", "Jakarta Pusat", "1,1 juta"],
            ),
            (
                "- butir daftar\n\n      kode terindentasi\n- butir kedua",
                &["butir daftar", "butir kedua"],
            ),
            (
                ">     kode dalam kutipan\n>\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "> <div>\n> Iklan di sini.\n> </div>\n>\n> Satu kalimat.",
                &["Satu kalimat."],
            ),
            (
                "- <!-- catatan\n  redaksi -->\n\n  Satu kalimat.",
                &["Satu kalimat."],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_inline_syntax_is_kept() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Jalankan `cargo build` sekarang.",
                &["Jalankan", "sekarang."],
            ),
            ("Kode ``a ` b`` di sini.", &["Kode", "di sini."]),
            (
                "Lihat [laporan lengkap](https://x.id/a_(b) \"Judul laporan\") ini.",
                &["Lihat", "laporan lengkap", "ini."],
            ),
            (
                "![Foto presiden](foto.jpg) Presiden tiba.",
                &["Foto presiden", "Presiden tiba."],
            ),
            (
                "Baca [berita lama][lama] dan [ini][].\n\n[lama]: https://x.id/a\n[ini]: https://x.id/b",
                &["Baca", "berita lama", "dan"],
            ),
            (
                "Baca [berita lama][lama] tanpa definisi.",
                &["Baca [berita lama][lama] tanpa definisi."],
            ),
            ("[lama]: https://x.id/lama \"Berita lama\"", &[]),
            (
                "Menurut [Kompas] kemarin.\n\n[kompas]: https://kompas.com",
                &["Menurut", "kemarin."],
            ),
            (
                "Harga [naik tajam] kemarin.",
                &["Harga [naik tajam] kemarin."],
            ),
            (
                "Catatan kaki[^1] di sini.\n\n[^1]: Sumber data resmi.",
                &["Catatan kaki", "di sini.", "Sumber data resmi."],
            ),
            (
                "Tulis ke <humas@x.id> atau <https://x.id>.",
                &["Tulis ke", "atau"],
            ),
            (
                "Baris satu<br>baris <span class=\"x\">dua</span>.",
                &["Baris satu", "baris", "dua"],
            ),
            (
                "Dia **sangat** senang dan _cukup_ puas.",
                &["Dia", "sangat", "senang dan", "cukup", "puas."],
            ),
            ("Harga ~~naik~~ turun.", &["Harga", "naik", "turun."]),
            ("*Seluruh kalimat miring.*", &["Seluruh kalimat miring."]),
            (
                "Nama_berkas dan 5 * 3 tetap.",
                &["Nama_berkas dan 5 * 3 tetap."],
            ),
            (
                "Tanda \\*bukan miring\\* dan &amp; entitas.",
                &["Tanda", "bukan miring", "dan", "entitas."],
            ),
            ("Iklan [iklan_2] di sini.", &["Iklan", "di sini."]),
        ];
        for (text, expected) in cases {
            assert_eq!(md_inputs(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn markdown_berita_inputs_are_prose_only() {
        let got = md_inputs(BERITA);
        for s in &got {
            assert!(!s.trim().is_empty() && s.trim() == s, "{s:?}");
            assert!(!s.contains(is_quote) && !s.contains('\n'), "{s:?}");
            for syntax in [
                "`", "](", "<", "**", "~~", "|", "# ", "curl", "kode", "Iklan", "title:", "http",
            ] {
                assert!(!s.contains(syntax), "{s:?} contains {syntax}");
            }
        }
        for expected in [
            "Pemerintah Resmikan Jalan Tol Baru di Jawa Tengah",
            "Jalan tol ini diharapkan memangkas waktu tempuh antara Semarang dan Solo hingga satu jam.",
            "Kementerian PUPR",
            "Kami bangga jalan tol ini selesai tepat waktu,",
            "Sudah beroperasi",
            "Uji kelaikan selesai",
            "Setext judul kedua",
        ] {
            assert!(got.iter().any(|s| s == expected), "no input {expected:?}");
        }
    }
}
