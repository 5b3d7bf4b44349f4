use super::*;

/// A unit from a small markup: `<x>` opens, `</x>` closes, `<x/>` is a point; a whitespace run
/// other than one space is layout (one space in the plain text).
fn marked(src: &str) -> Marked {
    let mut plain = String::new();
    let mut marks = Vec::new();
    let mut rest = src;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = rest.find('>').unwrap() + 1;
            let tag = &rest[..end];
            let at = plain.len();
            let text = tag.to_owned();
            marks.push(if tag.starts_with("</") {
                Mark::Close { at, text }
            } else if tag.ends_with("/>") {
                Mark::Point { at, text }
            } else {
                Mark::Open { at, text }
            });
            rest = &rest[end..];
        } else if rest.starts_with(char::is_whitespace) {
            let n = rest.len() - rest.trim_start().len();
            if &rest[..n] != " " {
                marks.push(Mark::Space {
                    at: plain.len(),
                    text: rest[..n].to_owned(),
                });
            }
            plain.push(' ');
            rest = &rest[n..];
        } else {
            let n = rest.find(['<', ' ', '\n', '\t']).unwrap_or(rest.len());
            plain.push_str(&rest[..n]);
            rest = &rest[n..];
        }
    }
    Marked { plain, marks }
}

fn own(src: &str) -> String {
    let unit = marked(src);
    let n = words(&unit.plain).len();
    transfer(&unit, &unit.plain.clone(), &WordAlignment::identity(n))
}

fn tags(s: &str) -> Vec<String> {
    let mut t: Vec<String> = s
        .match_indices('<')
        .map(|(i, _)| s[i..i + s[i..].find('>').unwrap() + 1].to_owned())
        .collect();
    t.sort();
    t
}

/// Properly nested: every close ends the innermost open of the same name.
fn nested(s: &str) -> bool {
    let mut stack = Vec::new();
    for (i, _) in s.match_indices('<') {
        let tag = &s[i + 1..i + s[i..].find('>').unwrap()];
        if tag.ends_with('/') {
            continue;
        }
        match tag.strip_prefix('/') {
            Some(name) => {
                if stack.pop() != Some(name.to_owned()) {
                    return false;
                }
            }
            None => stack.push(tag.split(' ').next().unwrap().to_owned()),
        }
    }
    stack.is_empty()
}

#[test]
fn a_text_that_is_its_own_translation_comes_back_whole() {
    for src in [
        "Presiden <a href=\"/x\">Joko Widodo</a> berkata <b>tegas</b>.",
        "Ini <b>tebal </b>kata dan<i> miring</i> juga.",
        "<b><i>Semua</i> tebal</b>",
        "ke<b>pala</b> <i>buku</i>.",
        "Foto <img src=x/> di sini<br/> dan <b>kata<br/></b> lalu <b>kata</b><br/> akhir",
        "Kata\n    berikutnya  di\tbaris <b>lain\n</b>.",
        "<b></b>Kosong <a href=y><img/></a> di <i>tengah</i>",
        "\"<i>Kutipan</i>,\" katanya.",
        "Harga <b>Rp100</b>.",
        "<b>tidak ditutup",
        "Rp\u{a0} <br/> 100",
        "kata\u{a0}\u{a0}  <img/> lain",
    ] {
        assert_eq!(own(src), src, "{src:?}");
    }
}

#[test]
fn spans_follow_their_words_when_the_order_changes() {
    // "rumah besar" → "big house": word 0 → 1, word 1 → 0.
    let unit = marked("Itu <b>rumah</b> <i>besar</i>.");
    let english = "That big house.";
    let a = WordAlignment::new(vec![(0, 0), (1, 2), (2, 1)]);
    assert_eq!(
        transfer(&unit, english, &a),
        "That <i>big</i> <b>house.</b>"
    );
    // Punctuation that stayed outside the span in the source stays outside in the English.
    let unit = marked("Itu <b>rumah</b>.");
    let a = WordAlignment::new(vec![(0, 0), (1, 1)]);
    assert_eq!(transfer(&unit, "That house.", &a), "That <b>house</b>.");
}

#[test]
fn crossing_spans_are_widened_until_they_nest() {
    // Source: <a>x y</a> <b>z</b>; the English mixes a's and b's words.
    let unit = marked("<a>x y</a> <b>z</b>");
    let english = "p q r";
    let a = WordAlignment::new(vec![(0, 0), (1, 2), (2, 1)]);
    let out = transfer(&unit, english, &a);
    assert!(nested(&out), "{out}");
    assert_eq!(tags(&out), tags("<a>x y</a> <b>z</b>"));
    assert_eq!(out, "<a>p <b>q</b> r</a>");
    // A parent keeps its child inside even if the child's words went outside it.
    let unit = marked("<p>satu <i>dua</i></p> tiga");
    let a = WordAlignment::new(vec![(0, 0), (1, 2), (2, 1)]);
    let out = transfer(&unit, "one three two", &a);
    assert_eq!(out, "<p>one three <i>two</i></p>");
}

#[test]
fn marks_without_aligned_words_go_to_the_nearest_aligned_word() {
    let unit = marked("Dia <b>sangat</b> senang <img/>sekali");
    // "sangat" and "sekali" are unaligned.
    let a = WordAlignment::new(vec![(0, 0), (2, 1)]);
    let out = transfer(&unit, "He happy", &a);
    assert_eq!(tags(&out), tags("<b></b><img/>"));
    assert!(nested(&out));
    assert_eq!(out, "<b>He</b> happy<img/>");
    // Nothing aligned at all: the English at the same relative place.
    let out = transfer(&unit, "He is very happy", &WordAlignment::default());
    assert_eq!(tags(&out), tags("<b></b><img/>"));
    // No English words: the markup is kept after it, whole.
    assert_eq!(transfer(&unit, "", &a), "<b></b><img/>");
}

#[test]
fn layout_whitespace_lands_in_the_aligned_gap_or_is_left_out() {
    let unit = marked("Satu\n  dua tiga");
    let a = WordAlignment::new(vec![(0, 0), (1, 1), (2, 2)]);
    assert_eq!(transfer(&unit, "One two three", &a), "One\n  two three");
    let a = WordAlignment::new(vec![(0, 2), (1, 1), (2, 0)]);
    // The word before the layout is last in the English: no gap after it.
    assert_eq!(transfer(&unit, "Three two one", &a), "Three two one");
}

proptest::proptest! {
    #[test]
    fn any_alignment_keeps_every_tag_and_nests(
        shape in proptest::collection::vec(0u8..7, 1..24),
        pairs in proptest::collection::vec((0usize..12, 0usize..12), 0..30),
        english_words in 0usize..12,
    ) {
        // A source of words, spans and points from `shape`, always properly nested.
        let mut src = String::new();
        let mut open = Vec::new();
        for (k, s) in shape.iter().enumerate() {
            match s {
                0 | 1 => src.push_str(&format!("w{k} ")),
                2 => { src.push_str("<b>"); open.push("b"); }
                3 => { src.push_str("<i>"); open.push("i"); }
                4 => if let Some(t) = open.pop() { src.push_str(&format!("</{t}>")) },
                5 => src.push_str("<br/>"),
                _ => src.push_str(" <img/> "),
            }
        }
        while let Some(t) = open.pop() {
            src.push_str(&format!("</{t}>"));
        }
        let unit = marked(&src);
        let english: Vec<String> = (0..english_words).map(|k| format!("e{k}")).collect();
        let english = english.join(" ");
        let out = transfer(&unit, &english, &WordAlignment::new(pairs));
        proptest::prop_assert!(nested(&out), "{} -> {}", src, out);
        proptest::prop_assert_eq!(tags(&out), tags(&src));
        let letters = |s: &str| s.split(['<', '>']).enumerate().filter(|(i, _)| i % 2 == 0)
            .map(|(_, t)| t).collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
        proptest::prop_assert_eq!(letters(&out), english);
        proptest::prop_assert_eq!(own(&src), src);
    }
}

#[test]
fn news_units_come_back_whole_through_the_text_rules() {
    let sources = [
        "Presiden <a href=\"/tag/jokowi\">Joko Widodo</a> berkata, \"Kami <b>siap</b> bekerja.\" Ia menambahkan hal itu di Jakarta.",
        "<em>JAKARTA, KOMPAS.com</em> — Harga <strong>beras</strong> naik 5 persen.",
        "Warga antre di pasar. Foto: <i>ANTARA/Budi Santoso</i>",
        "BERITA TERKINI <b>HARI INI</b>",
        "Read more: <a href=\"/en\">Click here</a> for the full story.",
        "Dia <code>cargo test</code> menjalankan <br/>perintah itu.",
    ];
    let units: Vec<Marked> = sources.iter().map(|s| marked(s)).collect();
    let out = untranslated(&units, &DocumentOptions::default());
    assert_eq!(out, sources);
}

#[test]
fn a_translated_paragraph_keeps_its_markup_and_the_label_table() {
    let unit = marked("Warga <b>antre</b> di pasar. Foto: <i>ANTARA/Budi</i>");
    let doc = &documents(std::slice::from_ref(&unit), &DocumentOptions::default())[0];
    assert_eq!(doc.model_inputs(), ["Warga antre di pasar."]);
    // "Residents queue at the market." with "antre" → "queue".
    let english = (
        "Residents queue at the market.".to_owned(),
        WordAlignment::new(vec![(0, 0), (1, 1), (2, 2), (3, 4)]),
    );
    let out = render(&unit, doc, &[english]);
    assert_eq!(
        out,
        "Residents <b>queue</b> at the market. Photo: <i>ANTARA/Budi</i>"
    );
}
