use super::*;
use crate::text::alignment::{words as word_ranges, WordAlignment};
use crate::text::document::DocumentOptions;
use crate::text::inline::{self, transfer};
use proptest::prelude::*;
use std::path::Path;

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/subtitles")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn kind_of(name: &str) -> SubtitleKind {
    if name.ends_with(".vtt") {
        SubtitleKind::Vtt
    } else {
        SubtitleKind::Srt
    }
}

const GOOD: &[&str] = &["film.srt", "film.crlf.srt", "berita.vtt"];

fn point(at: usize, text: &str) -> Mark {
    Mark::Point {
        at,
        text: text.to_owned(),
    }
}

fn open(at: usize, text: &str) -> Mark {
    Mark::Open {
        at,
        text: text.to_owned(),
    }
}

fn close(at: usize, text: &str) -> Mark {
    Mark::Close {
        at,
        text: text.to_owned(),
    }
}

fn marked(plain: &str, marks: Vec<Mark>) -> Marked {
    Marked {
        plain: plain.to_owned(),
        marks,
    }
}

/// Every unit through the text path with each model input as its own translation.
fn untranslated(subtitles: &Subtitles) -> Vec<String> {
    inline::untranslated(subtitles.units(), &DocumentOptions::default())
}

#[test]
fn srt_units_are_sentences_over_cues_with_their_styling_as_marks() {
    let subtitles = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let first = "Presiden Joko Widodo hari ini meresmikan jalan tol baru";
    let italic = "Menurut Menteri Pekerjaan Umum, proyek ini menelan biaya lebih dari dua puluh triliun rupiah.";
    let cut1 = "Menurut Menteri Pekerjaan Umum,".len();
    let cut2 = "Menurut Menteri Pekerjaan Umum, proyek ini menelan biaya".len();
    assert_eq!(
        subtitles.units(),
        [
            marked("Selamat malam, saudara-saudara.", vec![]),
            marked(
                &format!("{first} yang menghubungkan Jakarta dan Bandung."),
                vec![point(first.len(), CUE_BREAK)]
            ),
            marked(
                italic,
                vec![
                    open(0, "<i>"),
                    point(cut1, CUE_BREAK),
                    point(cut2, CUE_BREAK),
                    close(italic.len(), "</i>"),
                ]
            ),
            marked("Kamu mau ke mana?", vec![]),
            marked("Ke pasar, Bu.", vec![]),
            marked(
                "Aku tidak pernah melupakan hari itu.",
                vec![
                    point(0, "{\\an8}"),
                    open(0, "<i>"),
                    close(16, ""),
                    point(16, CUE_BREAK),
                    point(36, "</i>"),
                ]
            ),
            marked(
                "[musik]",
                vec![open(0, "<font color=\"#ffff00\">"), close(7, "</font>")]
            ),
            marked(
                "Dia datang terlambat lagi.",
                vec![open(0, "<b>"), close(3, "</b>")]
            ),
            marked("Berhenti!", vec![]),
        ]
    );
}

#[test]
fn vtt_units_decode_entities_and_merge_reopened_tags() {
    let subtitles = Subtitles::parse(&data("berita.vtt"), SubtitleKind::Vtt).unwrap();
    let budi = "Pagi! Saya sedang menunggu kereta ke Yogyakarta & Solo.";
    let harga = "Harga tiket naik sepuluh persen, kata petugas di stasiun.";
    assert_eq!(
        subtitles.units(),
        [
            marked(
                "Selamat pagi, Pak Budi.",
                vec![open(0, "<v Rina>"), close(23, "")]
            ),
            marked(
                budi,
                vec![
                    open(0, "<v.loud Budi>"),
                    point(26, CUE_BREAK),
                    close(budi.len(), ""),
                ]
            ),
            marked(
                harga,
                vec![
                    open(0, "<c.kuning>"),
                    close(16, "</c>"),
                    open(17, "<c.kuning>"),
                    point(32, CUE_BREAK),
                    point(45, CUE_BREAK),
                    close(57, "</c>"),
                ]
            ),
            marked(
                "Breaking news dari Jakarta.",
                vec![
                    point(0, "<00:00:16.500>"),
                    open(0, "<lang en>"),
                    close(13, "</lang>"),
                    point(14, "<00:00:17.500>"),
                ]
            ),
            marked("Benarkah?", vec![]),
            marked("Ya, <sungguh>.", vec![]),
            marked(
                "Hujan turun sepanjang malam.",
                vec![open(0, "<i>"), point(11, CUE_BREAK), close(28, "</i>")]
            ),
        ]
    );
}

#[test]
fn crlf_and_bom_are_read_like_lf() {
    let lf = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let crlf = Subtitles::parse(&data("film.crlf.srt"), SubtitleKind::Srt).unwrap();
    assert_eq!(lf.units(), crlf.units());
}

#[test]
fn the_source_as_its_own_translation_comes_back_byte_for_byte() {
    for name in GOOD {
        let source = data(name);
        let subtitles = Subtitles::parse(&source, kind_of(name)).unwrap();
        assert_eq!(
            subtitles.render(&untranslated(&subtitles)),
            source,
            "{name}"
        );
    }
}

fn srt_english() -> Vec<String> {
    [
        "Good evening, ladies and gentlemen.",
        "President Joko Widodo today inaugurated a new toll road\u{e000} connecting Jakarta and Bandung.",
        "<i>According to the Minister of Public Works,\u{e000} the project cost\u{e000} more than twenty trillion rupiah.</i>",
        "Where are you going?",
        "To the market, ma'am.",
        "{\\an8}<i>I have never\u{e000} forgotten that day.</i>",
        "<font color=\"#ffff00\">[music]</font>",
        "<b>He</b> came late again.",
        "Stop!",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn english_goes_into_the_cues_wrapped_and_balanced() {
    let subtitles = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let out = subtitles.render(&srt_english());
    let expected = concat!(
        "1\n00:00:01,000 --> 00:00:03,500\nGood evening, ladies and gentlemen.\n\n",
        "2\n00:00:03,600 --> 00:00:06,200\nPresident Joko Widodo today\ninaugurated a new toll road\n\n",
        "3\n00:00:06,300 --> 00:00:09,000\nconnecting Jakarta and Bandung.\n\n",
        "4\n00:00:09,500 --> 00:00:12,000\n<i>According to the Minister of Public Works,</i>\n\n",
        "5\n00:00:12,100 --> 00:00:14,800\n<i>the project cost</i>\n\n",
        "6\n00:00:14,900 --> 00:00:17,000\n<i>more than twenty trillion rupiah.</i>\n\n",
        "7\n00:00:17,500 --> 00:00:20,000\n- Where are you going?\n- To the market, ma'am.\n\n",
        "8\n00:00:20,100 --> 00:00:22,000\n{\\an8}<i>I have never\n\n",
        "9\n00:00:22,100 --> 00:00:24,000\n<i>forgotten that day.</i>\n\n",
        "10\n00:00:24,500 --> 00:00:26,000\n♪ ♪\n\n",
        "11\n00:00:26,500 --> 00:00:28,000\n<font color=\"#ffff00\">[music]</font>\n\n",
        "12\n00:00:28,100 --> 00:00:30,000\n<b>He</b> came late again.\n\n",
        "13\n00:00:30,100 --> 00:00:31,000\n\n",
        "14\n00:00:31,100 --> 00:00:33,000\n-Stop!\n",
    );
    assert_eq!(out, expected);
    let crlf = Subtitles::parse(&data("film.crlf.srt"), SubtitleKind::Srt).unwrap();
    let mut english = expected.replace('\n', "\r\n");
    english.insert(0, '\u{feff}');
    english.truncate(english.len() - 2);
    assert_eq!(crlf.render(&srt_english()), english);
}

#[test]
fn vtt_english_is_encoded_and_unclosed_voices_reopen() {
    let subtitles = Subtitles::parse(&data("berita.vtt"), SubtitleKind::Vtt).unwrap();
    let mut english = untranslated(&subtitles);
    english[1] =
        "<v.loud Budi>Morning! I am waiting\u{e000} for the train to Yogyakarta & Solo.".into();
    english[5] = "Yes, <really>.".into();
    let out = subtitles.render(&english);
    assert!(out.contains(concat!(
        "00:00:04.200 --> 00:00:07.000\n<v.loud Budi>Morning! I am waiting\n\n",
        "00:00:07.100 --> 00:00:09.500 line:90%\n<v.loud Budi>for the train to Yogyakarta &amp; Solo.\n",
    )));
    assert!(
        out.contains("– Benarkah?\n– Yes, &lt;really&gt;.\n"),
        "{out}"
    );
    let source = data("berita.vtt");
    assert_eq!(out.lines().count(), source.lines().count());
}

#[test]
fn breaks_that_do_not_fit_the_cues_are_replaced_by_a_proportional_split() {
    let subtitles = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let cue = |out: &str, n: usize| -> String {
        let block = out.split("\n\n").nth(n).unwrap().to_owned();
        block.lines().skip(2).collect::<Vec<_>>().join(" ")
    };
    let english =
        "President Joko Widodo today inaugurated a new toll road connecting Jakarta and Bandung.";
    for rendered in [
        english.to_owned(),
        format!("{english}\u{e000}"),
        format!("\u{e000}{english}"),
        english.replace("road ", "road\u{e000}\u{e000}"),
    ] {
        let mut all = srt_english();
        all[1] = rendered;
        let out = subtitles.render(&all);
        let (a, b) = (cue(&out, 1), cue(&out, 2));
        assert!(!a.is_empty() && !b.is_empty(), "{out}");
        assert_eq!(format!("{a} {b}"), english);
        assert!(a.len() > b.len());
    }
    // Fewer words than cues: the English is held over both.
    let mut all = srt_english();
    all[1] = "Yes.".into();
    let out = subtitles.render(&all);
    assert_eq!((cue(&out, 1), cue(&out, 2)), ("Yes.".into(), "Yes.".into()));
    // No words: the source stays.
    all[1] = " \u{e000} ".into();
    let out = subtitles.render(&all);
    assert_eq!(cue(&out, 2), "yang menghubungkan Jakarta dan Bandung.");
}

#[test]
fn tags_left_at_a_break_move_to_their_side() {
    let subtitles = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let mut all = srt_english();
    all[2] =
        "<i>According to the Minister,\u{e000}</i> <i>the project</i> cost\u{e000}<i> more.</i>"
            .into();
    let out = subtitles.render(&all);
    assert!(out.contains(concat!(
        "<i>According to the Minister,</i>\n\n5\n00:00:12,100 --> 00:00:14,800\n",
        "<i>the project</i> cost\n\n6\n00:00:14,900 --> 00:00:17,000\n<i>more.</i>\n"
    )));
}

#[test]
fn wrapping_takes_the_fewest_balanced_lines_that_fit() {
    assert_eq!(wrap(&[3, 3, 3], &[true; 3], 2, 20), [0]);
    assert_eq!(wrap(&[5, 5, 5, 5], &[true; 4], 2, 10), [0, 2]);
    assert_eq!(
        wrap(&[9, 4, 6, 5, 11, 1, 3, 4, 4], &[true; 9], 2, 29),
        [0, 4]
    );
    assert_eq!(wrap(&[30, 30], &[true; 2], 1, 10), [0]);
    assert_eq!(wrap(&[8, 8, 8], &[true; 3], 3, 5), [0, 1, 2]);
    assert_eq!(
        wrap(&[8, 8, 8], &[true, true, false], 3, 5),
        [0, 1],
        "no line starts at word 2"
    );
}

#[test]
fn malformed_files_are_refused_with_the_line_at_fault() {
    let cases: &[(&str, SubtitleKind, &str)] = &[
        (
            &data("bad-timing.srt"),
            SubtitleKind::Srt,
            "line 6: timing line `00:01 --> x` is not HH:MM:SS,mmm --> HH:MM:SS,mmm",
        ),
        (
            &data("stray-text.srt"),
            SubtitleKind::Srt,
            "line 5: expected a cue number or a timing line, found `Teks tanpa waktu.`",
        ),
        (
            &data("no-header.vtt"),
            SubtitleKind::Vtt,
            "line 1: a WebVTT file starts with `WEBVTT`, found `00:00:01.000 --> 00:00:03.500`",
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02,000\nA.\n",
            SubtitleKind::Vtt,
            "line 3: timing line `00:01.000 --> 00:02,000` is not [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm",
        ),
        (
            "WEBVTT\n\nBukan cue\nTeks.\n",
            SubtitleKind::Vtt,
            "line 3: `Bukan cue` is neither a cue identifier before a timing line nor a NOTE, STYLE or REGION block",
        ),
        (
            "1\r\n00:00:01,000 --> 00:00:02,000\r\nA\u{e000}B\r\n",
            SubtitleKind::Srt,
            "line 3: contains U+E000, the private-use character terjemah reserves for cue breaks",
        ),
        (
            "7\n\nTeks.\n",
            SubtitleKind::Srt,
            "line 1: cue number `7` is not followed by a timing line",
        ),
        ("", SubtitleKind::Vtt, "line 1: a WebVTT file starts with `WEBVTT`, found ``"),
    ];
    for (source, kind, error) in cases {
        assert_eq!(Subtitles::parse(source, *kind).unwrap_err(), *error);
    }
}

#[test]
fn what_players_tolerate_is_read() {
    // No numbers, no blank line between cues, `.` in SRT times, extra blank lines, no final
    // newline; a VTT header with metadata and cue identifiers.
    let srt = "\n\n00:00:01.000 --> 00:00:02,000\nSatu.\n2\n00:00:02,000 --> 00:00:03,000\nDua.\n00:00:03,000 --> 00:00:04,000 X1:10\nTiga.";
    let subtitles = Subtitles::parse(srt, SubtitleKind::Srt).unwrap();
    let plains: Vec<&str> = subtitles.units().iter().map(|u| u.plain.as_str()).collect();
    assert_eq!(plains, ["Satu.", "Dua.", "Tiga."]);
    assert_eq!(subtitles.render(&untranslated(&subtitles)), srt);
    let vtt = "WEBVTT\nKind: captions\n\nNOTE\nsatu\n\nabc\n01:00.000 --> 01:02.000\nYa.\n";
    let subtitles = Subtitles::parse(vtt, SubtitleKind::Vtt).unwrap();
    assert_eq!(subtitles.units(), [marked("Ya.", vec![])]);
    let vtt = "WEBVTT\n00:01.000 --> 00:02.000\nTanpa baris kosong.";
    let subtitles = Subtitles::parse(vtt, SubtitleKind::Vtt).unwrap();
    assert_eq!(subtitles.units(), [marked("Tanpa baris kosong.", vec![])]);
    assert_eq!(subtitles.render(&untranslated(&subtitles)), vtt);
}

#[test]
fn a_unit_spans_at_most_max_cues() {
    let srt: String = (1..=6)
        .map(|i| format!("{i}\n00:00:0{i},000 --> 00:00:0{i},500\nkata ke-{i}\n\n"))
        .collect();
    let subtitles = Subtitles::parse(&srt, SubtitleKind::Srt).unwrap();
    let breaks: Vec<usize> = subtitles
        .units()
        .iter()
        .map(|u| u.marks.len() + 1)
        .collect();
    assert_eq!(breaks, [MAX_CUES, 6 - MAX_CUES]);
}

/// The unit transferred into English words by an alignment: word i of the plain becomes
/// `english(i)`, at position i, or at the mirrored position when `reverse`.
fn transferred(unit: &Marked, english: &dyn Fn(usize) -> String, reverse: bool) -> String {
    let n = word_ranges(&unit.plain).len();
    let to = |i: usize| if reverse { n - 1 - i } else { i };
    let mut words = vec![String::new(); n];
    for i in 0..n {
        words[to(i)] = english(i);
    }
    let alignment = WordAlignment::new((0..n).map(|i| (i, to(i))).collect());
    transfer(unit, &words.join(" "), &alignment)
}

/// Each close tag closes an open tag of its name in the same cue.
fn balanced_tags(cue: &str) -> bool {
    let mut stack = Vec::new();
    let mut rest = cue;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let Some(len) = tag_len(rest, SubtitleKind::Vtt) else {
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[..len];
        if let Some(name) = tag.strip_prefix("</") {
            let name = tag_name(name);
            match stack.iter().rposition(|n| *n == name) {
                Some(d) => stack.truncate(d),
                None => return false,
            }
        } else if !tag[1..].starts_with(|c: char| c.is_ascii_digit()) {
            stack.push(tag_name(&tag[1..]));
        }
        rest = &rest[len..];
    }
    true
}

/// The output has the source's structure: the same bytes outside the cue texts, the same
/// groups, none emptied, none with more lines than the source's, tags balanced per cue.
fn assert_same_structure(source: &Subtitles, out: &str, kind: SubtitleKind) {
    let reread = Subtitles::parse(out, kind).unwrap();
    let keeps = |s: &Subtitles| -> Vec<String> {
        s.pieces
            .iter()
            .map(|p| match p {
                Piece::Keep(k) => k.clone(),
                Piece::Group(_) => String::new(),
            })
            .collect()
    };
    assert_eq!(keeps(source), keeps(&reread), "{out}");
    assert_eq!(source.groups.len(), reread.groups.len());
    for (a, b) in source.groups.iter().zip(&reread.groups) {
        assert!(
            b.endings.len() <= a.endings.len(),
            "{:?} → {:?}",
            a.source,
            b.source
        );
        assert_eq!(
            a.text.is_some(),
            b.text.is_some(),
            "{:?} → {:?}",
            a.source,
            b.source
        );
        assert!(
            balanced_tags(&b.source) || b.source == a.source,
            "{:?}",
            b.source
        );
    }
}

const ENGLISH: &[&str] = &[
    "the",
    "government",
    "said",
    "on",
    "Monday",
    "that",
    "infrastructure",
    "a",
    "I",
    "will",
];

#[test]
fn arbitrary_english_keeps_the_cues_timings_and_lines() {
    for name in GOOD {
        let kind = kind_of(name);
        let subtitles = Subtitles::parse(&data(name), kind).unwrap();
        for reverse in [false, true] {
            for shift in 0..4 {
                let english = |i: usize| ENGLISH[(i * 7 + shift) % ENGLISH.len()].to_owned();
                let rendered: Vec<String> = subtitles
                    .units()
                    .iter()
                    .map(|u| transferred(u, &english, reverse))
                    .collect();
                let out = subtitles.render(&rendered);
                assert_same_structure(&subtitles, &out, kind);
                let out = subtitles.render(&through_the_text_path(&subtitles, &english, reverse));
                assert_same_structure(&subtitles, &out, kind);
            }
        }
    }
}

/// Each unit through the text path as the pipeline takes it: its model inputs translated word
/// for word by `english`, in the mirrored order when `reverse`, and rendered by that alignment.
fn through_the_text_path(
    subtitles: &Subtitles,
    english: &dyn Fn(usize) -> String,
    reverse: bool,
) -> Vec<String> {
    let docs = inline::documents(subtitles.units(), &DocumentOptions::default());
    subtitles
        .units()
        .iter()
        .zip(&docs)
        .map(|(unit, doc)| {
            let translations: Vec<(String, WordAlignment)> = doc
                .model_inputs()
                .iter()
                .map(|input| {
                    let n = word_ranges(input).len();
                    let to = |i: usize| if reverse { n - 1 - i } else { i };
                    let mut words = vec![String::new(); n];
                    for i in 0..n {
                        words[to(i)] = english(i);
                    }
                    let alignment = WordAlignment::new((0..n).map(|i| (i, to(i))).collect());
                    (words.join(" "), alignment)
                })
                .collect();
            inline::render(unit, doc, &translations)
        })
        .collect()
}

#[rustfmt::skip]
const LINES: &[&str] = &[
    "1", "12", "", " ", "WEBVTT", "WEBVTT - judul", "NOTE catatan", "STYLE", "REGION",
    "00:00:01,000 --> 00:00:02,000", "00:00:02.500 --> 00:00:04.000 align:start position:10%",
    "00:01.000 --> 00:02.000", "0:0:1,5 --> 0:0:2,75 X1:1", "00:01 --> x", "id-3",
    "Presiden tiba di Jakarta", "kemarin sore.", "<i>Saya pergi", "ke pasar.</i>", "<i>Ya.</i>",
    "- Kamu mau ke mana?", "-Tidak!", "– Benarkah", "♪", "[musik]", "&amp; &lt;b&gt; &nbsp;x",
    "<v Bob>Saya pikir", "<v.loud Ani>kita", "<00:00:01.500>pergi", "{\\an8}Di atas", "</b>",
    "<c.a><b>tebal</c> sekali", "<ruby>漢<rt>kan</rt></ruby>", "kata dia,", "<font color=red>merah",
    "a < b > c", "<", "<i", "&", "\u{feff}", "…", "\"Pergi!\"",
];

fn subtitle_like() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec((prop::sample::select(LINES), any::<bool>()), 0..40),
    )
        .prop_map(|(bom, lines)| {
            let mut s = if bom {
                "\u{feff}".to_owned()
            } else {
                String::new()
            };
            for (line, crlf) in lines {
                s.push_str(line);
                s.push_str(if crlf { "\r\n" } else { "\n" });
            }
            s
        })
}

fn rendered_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(CUE_BREAK.to_owned()),
            prop::sample::select(ENGLISH).prop_map(String::from),
            prop::sample::select(
                &["<i>", "</i>", "<b>", "</c>", "<v Bob>", " ", "  ", "\n", "&", "<"][..]
            )
            .prop_map(String::from),
            "\\PC{0,6}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics(source in "\\PC*", vtt in any::<bool>()) {
        let kind = if vtt { SubtitleKind::Vtt } else { SubtitleKind::Srt };
        let _ = Subtitles::parse(&source, kind);
    }

    #[test]
    fn whatever_parses_comes_back_as_its_own_translation(source in subtitle_like(), vtt in any::<bool>()) {
        let source = if vtt { format!("WEBVTT\n\n{source}") } else { source };
        let kind = if vtt { SubtitleKind::Vtt } else { SubtitleKind::Srt };
        if let Ok(subtitles) = Subtitles::parse(&source, kind) {
            prop_assert_eq!(subtitles.render(&untranslated(&subtitles)), source);
        }
    }

    #[test]
    fn render_never_panics_and_keeps_the_structure(
        source in subtitle_like(),
        vtt in any::<bool>(),
        english in prop::collection::vec(rendered_like(), 64),
    ) {
        let source = if vtt { format!("WEBVTT\n\n{source}") } else { source };
        let kind = if vtt { SubtitleKind::Vtt } else { SubtitleKind::Srt };
        if let Ok(subtitles) = Subtitles::parse(&source, kind) {
            let rendered: Vec<String> = english.iter().cycle().take(subtitles.units().len()).cloned().collect();
            let _ = subtitles.render(&rendered);
        }
    }

    #[test]
    fn english_words_keep_the_structure(
        source in subtitle_like(),
        vtt in any::<bool>(),
        reverse in any::<bool>(),
        shift in 0..10usize,
    ) {
        let source = if vtt { format!("WEBVTT\n\n{source}") } else { source };
        let kind = if vtt { SubtitleKind::Vtt } else { SubtitleKind::Srt };
        if let Ok(subtitles) = Subtitles::parse(&source, kind) {
            let english = |i: usize| ENGLISH[(i * 3 + shift) % ENGLISH.len()].to_owned();
            let rendered: Vec<String> = subtitles.units().iter().map(|u| transferred(u, &english, reverse)).collect();
            assert_same_structure(&subtitles, &subtitles.render(&rendered), kind);
            let rendered = through_the_text_path(&subtitles, &english, reverse);
            assert_same_structure(&subtitles, &subtitles.render(&rendered), kind);
        }
    }
}

#[test]
fn a_speakers_lines_are_wrapped_under_the_dash() {
    let srt = "1\n00:00:01,000 --> 00:00:04,000\n- Apakah kamu sudah makan\nmalam ini?\n- Belum.\n";
    let subtitles = Subtitles::parse(srt, SubtitleKind::Srt).unwrap();
    assert_eq!(
        subtitles.units(),
        [
            marked("Apakah kamu sudah makan malam ini?", vec![]),
            marked("Belum.", vec![])
        ]
    );
    let out = subtitles.render(&[
        "Have you had dinner tonight, my friend?".into(),
        "Not yet.".into(),
    ]);
    assert_eq!(
        out,
        "1\n00:00:01,000 --> 00:00:04,000\n- Have you had dinner\ntonight, my friend?\n- Not yet.\n"
    );
    let out = subtitles.render(&["Have you eaten?".into(), "No.".into()]);
    assert_eq!(
        out,
        "1\n00:00:01,000 --> 00:00:04,000\n- Have you eaten?\n- No.\n"
    );
}

#[test]
fn a_sentence_over_three_italic_cues_through_transfer() {
    let subtitles = Subtitles::parse(&data("film.srt"), SubtitleKind::Srt).unwrap();
    let unit = &subtitles.units()[2];
    let english = "According to the Minister of Public Works, the project cost more than twenty trillion rupiah.";
    let alignment =
        WordAlignment::monotone(word_ranges(&unit.plain).len(), word_ranges(english).len());
    let mut all = untranslated(&subtitles);
    all[2] = transfer(unit, english, &alignment);
    let out = subtitles.render(&all);
    assert!(out.contains(concat!(
        "4\n00:00:09,500 --> 00:00:12,000\n<i>According to the Minister of</i>\n\n",
        "5\n00:00:12,100 --> 00:00:14,800\n<i>Public Works, the project</i>\n\n",
        "6\n00:00:14,900 --> 00:00:17,000\n<i>cost more than twenty trillion rupiah.</i>\n",
    )));
}

#[test]
fn no_wrapped_line_starts_with_a_dash_it_did_not_have() {
    // "Jakarta - ..." wrapped at the dash would read as a second speaker's line.
    let srt = "1\n00:00:01,000 --> 00:00:02,000\nWEBVTT - judul\nSTYLE\n- Kamu mau ke mana?\n";
    let subtitles = Subtitles::parse(srt, SubtitleKind::Srt).unwrap();
    let out = subtitles.render(&["WEBVTT - the on".into(), "Where are you going?".into()]);
    assert_eq!(
        out,
        "1\n00:00:01,000 --> 00:00:02,000\nWEBVTT -\nthe on\n- Where are you going?\n"
    );
    assert_eq!(
        Subtitles::parse(&out, SubtitleKind::Srt)
            .unwrap()
            .units()
            .len(),
        2
    );
}
