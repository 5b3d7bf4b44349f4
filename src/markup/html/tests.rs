use proptest::prelude::*;

use super::*;
use crate::text::alignment::{words, WordAlignment};
use crate::text::document::DocumentOptions;
use crate::text::inline::{transfer, untranslated};

const PAGES: &[(&str, &str)] = &[
    (
        "news-kompas",
        include_str!("../../../tests/data/html/news-kompas.html"),
    ),
    (
        "news-detik",
        include_str!("../../../tests/data/html/news-detik.html"),
    ),
    (
        "news-tempo",
        include_str!("../../../tests/data/html/news-tempo.html"),
    ),
    (
        "malformed-unclosed",
        include_str!("../../../tests/data/html/malformed-unclosed.html"),
    ),
    (
        "malformed-soup",
        include_str!("../../../tests/data/html/malformed-soup.html"),
    ),
    (
        "malformed-text-only",
        include_str!("../../../tests/data/html/malformed-text-only.html"),
    ),
];

/// Each unit's marks written into `english(plain)` (which has the words of `plain`) by the
/// identity alignment: with `plain` itself, the rendering of an untranslated unit.
fn renderings(page: &HtmlPage, english: impl Fn(&str) -> String) -> Vec<String> {
    page.units()
        .iter()
        .map(|unit| {
            let words = words(&unit.plain).len();
            transfer(unit, &english(&unit.plain), &WordAlignment::identity(words))
        })
        .collect()
}

/// The page with every unit untranslated, through the text path's rules.
fn identity(page: &HtmlPage) -> String {
    page.render(&untranslated(page.units(), &DocumentOptions::default()))
}

/// English that is not the source, with the characters that need escaping in it: every
/// character but a space becomes ASCII of the same byte length.
fn scrambled(plain: &str) -> String {
    const FILL: &[u8] = b"Xy&<Z>\"w'";
    let mut out = String::new();
    for (i, c) in plain.chars().enumerate() {
        if c == ' ' {
            out.push(' ');
        } else {
            for k in 0..c.len_utf8() {
                out.push(FILL[(i + k) % FILL.len()] as char);
            }
        }
    }
    out
}

fn units(source: &str) -> Vec<Marked> {
    HtmlPage::parse(source).units().to_vec()
}

fn plain(text: &str) -> Marked {
    Marked {
        plain: text.to_string(),
        marks: vec![],
    }
}

fn open(at: usize, text: &str) -> Mark {
    Mark::Open {
        at,
        text: text.to_string(),
    }
}

fn close(at: usize, text: &str) -> Mark {
    Mark::Close {
        at,
        text: text.to_string(),
    }
}

fn point(at: usize, text: &str) -> Mark {
    Mark::Point {
        at,
        text: text.to_string(),
    }
}

fn space(at: usize, text: &str) -> Mark {
    Mark::Space {
        at,
        text: text.to_string(),
    }
}

#[test]
fn inline_elements_are_marked_by_their_exact_tags() {
    let unit = &units("<p>Harga <B class=x>emas</B> naik <a href='/a'>tajam</a>.</p>")[0];
    assert_eq!(unit.plain, "Harga emas naik tajam.");
    assert_eq!(
        unit.marks,
        [
            open(6, "<B class=x>"),
            close(10, "</B>"),
            open(16, "<a href='/a'>"),
            close(21, "</a>"),
        ]
    );
}

#[test]
fn blocks_separate_units_and_need_no_end_tags() {
    let source = "<ul><li>Beras<li>Air <b>bersih</ul><p>Satu<p>Dua</p><td>Tiga</td>";
    let found: Vec<String> = units(source).into_iter().map(|u| u.plain).collect();
    assert_eq!(found, ["Beras", "Air bersih", "Satu", "Dua", "Tiga"]);
    assert_eq!(units(source)[1].marks, [open(4, "<b>"), close(10, "")]);
}

#[test]
fn whitespace_runs_are_one_space_and_keep_their_bytes() {
    let unit = &units("<p>\n  Satu\n    dua <a href=x> tiga</a>\n</p>")[0];
    assert_eq!(unit.plain, "Satu dua tiga");
    assert_eq!(
        unit.marks,
        [
            space(4, "\n    "),
            open(9, "<a href=x>"),
            point(9, " "),
            close(13, "</a>"),
        ]
    );
    let unit = &units("<p><b>Satu </b> dua</p>")[0];
    assert_eq!(unit.plain, "Satu dua");
    assert_eq!(
        unit.marks,
        [open(0, "<b>"), close(5, "</b>"), point(5, " ")]
    );
}

#[test]
fn entities_are_decoded_in_the_plain_text() {
    let unit = &units("<p>Rp&nbsp;5 &amp; &#38; AT&T &ldquo;ya&rdquo; &notit; &#x41;</p>")[0];
    assert_eq!(
        unit.plain,
        "Rp\u{a0}5 & & AT&T \u{201c}ya\u{201d} \u{ac}it; A"
    );
    assert!(unit.marks.is_empty());
}

#[test]
fn void_and_opaque_elements_inside_a_sentence_are_points() {
    let unit = &units("<p>Ketik <code>ls -l</code>, lalu<br>tekan <img src=e.png> Enter.</p>")[0];
    assert_eq!(unit.plain, "Ketik , lalu tekan Enter.");
    assert_eq!(
        unit.marks,
        [
            point(6, "<code>ls -l</code>"),
            point(12, "<br>"),
            space(12, ""),
            point(19, "<img src=e.png>"),
            point(19, " "),
        ]
    );
    let unit =
        &units("<p>Pejabat <span translate=\"no\">Kementerian <b>Sosial</b></span> hadir.</p>")[0];
    assert_eq!(unit.plain, "Pejabat  hadir.".replace("  ", " "));
    assert_eq!(
        unit.marks,
        [
            point(8, "<span translate=\"no\">Kementerian <b>Sosial</b></span>"),
            point(8, " ")
        ]
    );
}

#[test]
fn a_br_next_to_whitespace_needs_no_space_of_its_own() {
    let unit = &units("<p>Satu<br>\n dua <br> tiga<br></p>")[0];
    assert_eq!(unit.plain, "Satu dua tiga");
    assert_eq!(
        unit.marks,
        [
            point(4, "<br>"),
            space(4, ""),
            point(5, "\n "),
            point(9, "<br>"),
            point(9, " ")
        ]
    );
}

#[test]
fn misnested_and_stray_tags_still_give_nested_spans() {
    let unit = &units("<p><b><i>miring</b></i> dan </u>tebal</p>")[0];
    assert_eq!(unit.plain, "miring dan tebal");
    assert_eq!(
        unit.marks,
        [
            open(0, "<b>"),
            open(0, "<i>"),
            close(6, ""),
            close(6, "</b>"),
            point(6, "</i>"),
            point(11, "</u>"),
        ]
    );
}

#[test]
fn inline_elements_without_text_are_one_point() {
    let unit = &units(
        "<p>Foto <a href=/f><img src=f.jpg></a> bersama <ins class=\"adsbygoogle\"></ins>warga</p>",
    )[0];
    assert_eq!(unit.plain, "Foto bersama warga");
    assert_eq!(
        unit.marks,
        [
            point(5, "<a href=/f><img src=f.jpg></a>"),
            point(5, " "),
            point(13, "<ins class=\"adsbygoogle\"></ins>"),
        ]
    );
}

#[test]
fn skipped_content_and_blocks_without_letters_make_no_unit() {
    let source =
        "<script>var s = '<p>Halo</p>';</script><style>p{}</style><pre>Kode <b>x</b></pre>\
        <template><p>Templat</p></template><div translate=no><p>Nama</p></div><!-- Komentar -->\
        <p>2025</p><textarea>Isi</textarea><p>Teks</p>";
    assert_eq!(units(source), [plain("Teks")]);
}

#[test]
fn translated_attributes_are_units_in_document_order() {
    let source = "<p title='Judul paragraf'>Lihat <img alt=\"Foto banjir\" src=x> di sini <input placeholder=Cari aria-label=\"Kotak cari\"></p>";
    let found: Vec<String> = units(source).into_iter().map(|u| u.plain).collect();
    assert_eq!(
        found,
        [
            "Judul paragraf",
            "Lihat di sini",
            "Foto banjir",
            "Cari",
            "Kotak cari"
        ]
    );
    let page = HtmlPage::parse(source);
    let english = [
        "Paragraph's title",
        "See here",
        "Flood \"photo\"",
        "Search now",
        "Search box",
    ];
    let english: Vec<String> = english.iter().map(|s| s.to_string()).collect();
    let mut rendered = renderings(&page, str::to_string);
    rendered[0] = english[0].clone();
    rendered[2] = english[2].clone();
    rendered[3] = english[3].clone();
    rendered[4] = english[4].clone();
    assert_eq!(
        page.render(&rendered),
        "<p title='Paragraph&#39;s title'>Lihat <img alt=\"Flood &quot;photo&quot;\" src=x> di sini \
         <input placeholder=\"Search now\" aria-label=\"Search box\"></p>"
    );
}

#[test]
fn lang_id_becomes_en_in_the_same_quoting() {
    let page =
        HtmlPage::parse("<html lang=\"id\"><p lang='id-ID'>Halo dunia</p><p lang=ms>Apa</p>");
    assert_eq!(
        identity(&page),
        "<html lang=\"en\"><p lang='en'>Halo dunia</p><p lang=ms>Apa</p>"
    );
}

#[test]
fn the_english_is_escaped_around_the_marks() {
    let page = HtmlPage::parse("<p>Harga <b>emas</b> naik</p>");
    let rendered = ["Gold <b>prices</b> rise & fall <3".to_string()];
    assert_eq!(
        page.render(&rendered),
        "<p>Gold <b>prices</b> rise &amp; fall &lt;3</p>"
    );
}

#[test]
fn malformed_pages_read_as_browsers_read_them() {
    let found: Vec<String> = units(PAGES[3].1).into_iter().map(|u| u.plain).collect();
    assert_eq!(
        found,
        [
            "Presiden meninjau lokasi banjir di Bekasi",
            "Warga meminta bantuan segera dikirim ke posko.",
            "Beras",
            "Air bersih",
            "Selimut dan obat-obatan",
            "Teks tanpa blok",
            "di akhir halaman",
            "Tag terpotong di akhir",
        ]
    );
    let found: Vec<String> = units(PAGES[4].1).into_iter().map(|u| u.plain).collect();
    assert_eq!(
        found,
        [
            "Harga emas naik 2 < 3 persen & harga perak turun & stabil.",
            "Baca selengkapnya",
            "Berita",
            "Komentar: sangat bagus sekali.",
            "Stray end tags di tengah kalimat tetap utuh.",
            "Entitas: ABC \u{ac}it; &unknown; <b> \"kutip\" \u{201c}kutip ganda\u{201d}",
            "Kosong di tengah",
            "Sel tanpa tabel",
        ]
    );
    assert_eq!(
        units(PAGES[5].1),
        [plain(
            "Hanya teks tanpa tag sama sekali, & tanpa baris akhir"
        )]
    );
    assert!(units("").is_empty());
    assert!(units("<p>Terpotong <b")
        .iter()
        .map(|u| &u.plain)
        .eq(["Terpotong"]));
}

#[test]
fn news_pages_give_their_prose_and_nothing_else() {
    let page = HtmlPage::parse(PAGES[0].1);
    let found: Vec<&str> = page.units().iter().map(|u| u.plain.as_str()).collect();
    for expected in [
        "Banjir Rendam Ribuan Rumah di Jakarta Utara - Kompas.com",
        "Navigasi utama",
        "Cari berita di sini",
        "Warga mengungsi menggunakan perahu karet di Pluit, Minggu (12/1/2025). KOMPAS.com/RINA AYU",
        "Banjir di Jakarta Utara",
        "JAKARTA, KOMPAS.com - Banjir merendam ribuan rumah di Kecamatan Penjaringan, Jakarta Utara, sejak Sabtu\u{a0}malam.",
        "Warga diimbau menghubungi nomor darurat 112 jika membutuhkan bantuan. Pemerintah juga membuka posko di kantor kelurahan.".replace(" 112", "").as_str(),
        "\u{a9} 2025 Kompas.com \u{2014} Hak cipta dilindungi undang-undang.",
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:#?}");
    }
    for page in PAGES {
        for unit in HtmlPage::parse(page.1).units() {
            for needle in [
                "dataLayer",
                "@context",
                "@type",
                "min-height",
                "adsbygoogle",
                "googletag",
                "Pasal 2",
                "examines",
            ] {
                assert!(!unit.plain.contains(needle), "{}: {:?}", page.0, unit.plain);
            }
            assert!(!unit.plain.contains('\n'), "{}: {:?}", page.0, unit.plain);
            assert_eq!(unit.plain.trim(), unit.plain);
        }
    }
}

#[test]
fn every_page_comes_back_byte_for_byte_untranslated() {
    for (name, source) in PAGES {
        let page = HtmlPage::parse(source);
        let expected = source
            .replace("lang=\"id\"", "lang=\"en\"")
            .replace("lang='id-ID'", "lang='en'")
            .replace("lang=id", "lang=en");
        assert_eq!(identity(&page), expected, "{name}");
    }
}

/// The source's tags in order, as their exact text, except those whose text a rendering may
/// change (translated attributes, `lang`), which are compared by name and attribute names.
fn tags(source: &str) -> Vec<String> {
    tokenize(source, 0)
        .into_iter()
        .filter_map(|token| match token {
            Token::Start {
                name,
                span,
                attributes,
                ..
            } => {
                let changes = attributes
                    .iter()
                    .any(|a| a.name == "lang" || TRANSLATED_ATTRIBUTES.contains(&a.name.as_str()));
                Some(if changes {
                    let names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
                    format!("<{name} {}>", names.join(" "))
                } else {
                    source[span].to_string()
                })
            }
            Token::End { span, .. } | Token::Other(span) => Some(source[span].to_string()),
            Token::Text(_) => None,
        })
        .collect()
}

/// The source text of every element copied whole and closed by its end tag.
fn opaque(source: &str) -> Vec<String> {
    let tokens = tokenize(source, 0);
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Token::Start {
            name,
            span,
            self_closing,
            attributes,
        } = &tokens[i]
        {
            let not_translated = attributes
                .iter()
                .any(|a| a.name == "translate" && &source[a.value.clone()] == "no");
            if not_translated || matches!(kind(name), Kind::Opaque | Kind::OpaqueBlock) {
                let (end, next) = element_end(&tokens, i, *self_closing);
                // One that the source leaves open ends where the marks around it put a
                // block or the end of the page, which moves with the English.
                if matches!(&tokens[next - 1], Token::End { name: n, .. } if n == name) {
                    found.push(source[span.start..end].to_string());
                }
                i = next;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// A page rendered with English other than its own still has every tag of the source and
/// every element copied whole, byte for byte.
fn check_scrambled(source: &str) {
    let page = HtmlPage::parse(source);
    let english = renderings(&page, scrambled);
    let out = page.render(&english);
    let sorted = |mut list: Vec<String>| {
        list.sort();
        list
    };
    assert_eq!(sorted(tags(&out)), sorted(tags(source)));
    // Each element copied whole is in the English page, byte for byte. (Re-reading the English
    // page is not the test: an element the source leaves open runs to where its unit ends, and
    // moved with its words it can take in what follows it.)
    for element in opaque(source) {
        let want = source.matches(element.as_str()).count();
        assert!(
            out.matches(element.as_str()).count() >= want,
            "{element:?} in {out:?}"
        );
    }
}

#[test]
fn other_english_keeps_every_tag_and_skipped_element() {
    for (_, source) in PAGES {
        check_scrambled(source);
    }
}

#[test]
fn decode_honours_utf8_and_refuses_other_encodings() {
    assert_eq!(HtmlPage::decode(b"<p>Halo</p>"), Ok("<p>Halo</p>"));
    assert_eq!(
        HtmlPage::decode(b"\xEF\xBB\xBF<p>Halo</p>"),
        Ok("\u{feff}<p>Halo</p>")
    );
    assert_eq!(
        HtmlPage::decode(b"<meta charset=\"UTF-8\"><p>x</p>"),
        Ok("<meta charset=\"UTF-8\"><p>x</p>")
    );
    assert_eq!(
        HtmlPage::decode(b"<meta charset=windows-1252><p>Caf\xe9</p>"),
        Err("declares charset windows-1252; convert it with `iconv -f windows-1252 -t UTF-8` and declare utf-8".to_string())
    );
    assert_eq!(
        HtmlPage::decode(b"<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"),
        Err("declares charset ISO-8859-1; convert it with `iconv -f ISO-8859-1 -t UTF-8` and declare utf-8".to_string())
    );
    assert_eq!(
        HtmlPage::decode(b"\xEF\xBB\xBF<meta charset=windows-1252>ok"),
        Ok("\u{feff}<meta charset=windows-1252>ok")
    );
    assert_eq!(
        HtmlPage::decode(b"<p>ab\xff</p>"),
        Err("invalid UTF-8 at byte 5".to_string())
    );
    assert!(HtmlPage::decode(b"\xFF\xFE<\x00p\x00")
        .unwrap_err()
        .starts_with("UTF-16"));
}

#[test]
fn a_byte_order_mark_stays_out_of_the_units() {
    let page = HtmlPage::parse("\u{feff}Halo <b>dunia</b>");
    assert_eq!(page.units()[0].plain, "Halo dunia");
    assert_eq!(identity(&page), "\u{feff}Halo <b>dunia</b>");
}

/// Pieces of HTML that pages are made of, good and bad. Raw-text elements are left to the
/// page tests: text that reads as tags inside them does not keep its layout through the text
/// path's rules.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "<p>",
        "</p>",
        "<div class=\"a\">",
        "</div>",
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<a href='x'>",
        "</a>",
        "<br>",
        "<img alt=\"Foto kota\" src=y>",
        "<li>",
        "<ul>",
        "</ul>",
        "<td>",
        "<code>",
        "</code>",
        "<span translate=no>",
        "</span>",
        "<!-- c -->",
        "<",
        ">",
        "&amp;",
        "&nbsp;",
        "&#38;",
        "&lt; ",
        "&",
        "&notit;",
        "&#x41;",
        " ",
        "\n  ",
        "\t",
        "Harga",
        "naik",
        "emas",
        ".",
        "2025",
        "\"",
        "'",
        "<pre>",
        "</pre>",
        "<svg><g/>",
        "</svg>",
        "<![CDATA[ x ]]>",
        "</>",
        "<a title=Judul>",
        "é",
        "<br/>",
        "<p",
        "=",
    ])
}

proptest! {
    #[test]
    fn parse_never_panics(source in "\\PC*") {
        let page = HtmlPage::parse(&source);
        let _ = page.render(&renderings(&page, str::to_string));
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = HtmlPage::decode(&bytes);
    }

    #[test]
    fn untranslated_pages_come_back_byte_for_byte(parts in prop::collection::vec(fragment(), 0..40)) {
        let source = parts.concat();
        let page = HtmlPage::parse(&source);
        prop_assert_eq!(identity(&page), source);
    }

    #[test]
    fn other_english_keeps_the_markup(parts in prop::collection::vec(fragment(), 0..40)) {
        check_scrambled(&parts.concat());
    }
}
