//! Texts in the SEPA character set: the EPC's Latin set (`a-z A-Z 0-9 / - ? : ( ) . , ' +` and
//! space), the only characters the guidelines let a bank file carry unless banks agree otherwise.
//!
//! Letters and digits outside it are transliterated (`Å`→`A`, `Ö`→`O`, `ø`→`o`, `ß`→`ss`,
//! `Æ`→`AE`, `é`→`e`, Greek and Cyrillic letters to Latin ones) by the `deunicode` crate's tables;
//! punctuation is mapped to its nearest kin in the set (`&`→`+` as the EPC's conversion table has
//! it; brackets of every kind → `(` `)`, so `<AB>` stays recognisable as `(AB)`; quotes → `'`;
//! dashes and `_` → `-`; `;` → `,`; `!` → `.`; `\` `|` → `/`; `€` → `EUR`; `№` → `No`); anything else (`@`,
//! `#`, `%`, `*`, symbols, emoji) and every kind of white space become a space. Runs of spaces
//! collapse to one and the ends are trimmed, then the text is cut to its length (characters, which
//! are ASCII by then, so the cut is on a character boundary).

use deunicode::deunicode_char;

/// The longest name the guidelines allow (`Nm`: 70).
pub const NAME_MAX_CHARS: usize = 70;
/// The longest unstructured remittance information (`RmtInf/Ustrd`: 140).
pub const REMITTANCE_MAX_CHARS: usize = 140;
/// The longest identifier (`MsgId`, `PmtInfId`, `EndToEndId`: 35).
pub const ID_MAX_CHARS: usize = 35;

/// `text` in the SEPA character set, its spaces collapsed and trimmed, cut to at most `max_chars`
/// characters: `sepa_text("Åsa Öberg & Søn <AB>", 70)` is `"Asa Oberg + Son (AB)"`. May be empty
/// (an empty text, or one of characters that neither transliterate nor map).
pub fn sepa_text(text: &str, max_chars: usize) -> String {
    let mut mapped = String::with_capacity(text.len());
    for c in text.chars() {
        push_mapped(&mut mapped, c);
    }
    let mut out = String::with_capacity(mapped.len().min(max_chars));
    let mut count = 0;
    let mut space_pending = false;
    for c in mapped.chars() {
        debug_assert!(is_sepa_char(c), "{c:?} was not mapped");
        if c == ' ' {
            space_pending = !out.is_empty();
            continue;
        }
        let needed = if space_pending { 2 } else { 1 };
        if count + needed > max_chars {
            break;
        }
        if space_pending {
            out.push(' ');
            space_pending = false;
        }
        out.push(c);
        count += needed;
    }
    debug_assert!(out.chars().count() <= max_chars);
    out
}

/// An identifier (`MsgId`, `PmtInfId`, `EndToEndId`): [`sepa_text`], and, as the guidelines ask
/// of references and identifiers, no `/` at either end and no `//`. At most `max_chars`
/// characters; may be empty.
pub(crate) fn sepa_id(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for c in sepa_text(text, usize::MAX).chars() {
        let after_slash = out.ends_with('/');
        let skip = match c {
            '/' => out.is_empty() || after_slash,
            ' ' => out.is_empty(),
            _ => false,
        };
        if skip {
            continue;
        }
        if out.len() == max_chars {
            break;
        }
        out.push(c);
    }
    let trimmed = out.trim_end_matches(['/', ' ']);
    debug_assert!(is_clean_id(trimmed) && trimmed.len() <= max_chars);
    trimmed.to_string()
}

/// Whether `text` keeps the identifier rules: the SEPA set, no `/` at either end, no `//`, no
/// space at either end.
pub(crate) fn is_clean_id(text: &str) -> bool {
    text.chars().all(is_sepa_char)
        && !text.starts_with(['/', ' '])
        && !text.ends_with(['/', ' '])
        && !text.contains("//")
}

/// Whether `c` is in the EPC's Latin character set.
pub(crate) fn is_sepa_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
}

/// Appends `c` as the SEPA set writes it: itself, its mapping, its transliteration or a space.
fn push_mapped(out: &mut String, c: char) {
    if is_sepa_char(c) {
        out.push(c);
    } else if let Some(mapped) = punctuation(c) {
        out.push_str(mapped);
    } else if c.is_alphanumeric() {
        // Only letters and digits are transliterated: deunicode spells symbols and emoji out as
        // words ("unicorn"), which a name or a reference should not grow.
        match deunicode_char(c) {
            Some(latin) => latin.chars().for_each(|l| push_ascii(out, l)),
            None => out.push(' '),
        }
    } else {
        out.push(' ');
    }
}

/// Appends an ASCII character of a transliteration: itself when in the set, else its mapping or a
/// space.
fn push_ascii(out: &mut String, c: char) {
    if is_sepa_char(c) {
        out.push(c);
    } else {
        out.push_str(punctuation(c).unwrap_or(" "));
    }
}

/// The nearest characters of the set for punctuation outside it; `None` for the rest (a space).
fn punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "+",
        '<' | '[' | '{' | '‹' => "(",
        '>' | ']' | '}' | '›' => ")",
        '"' | '`' | '´' | '‘' | '’' | '‚' | '‛' | '“' | '”' | '„' | '«' | '»' => {
            "'"
        }
        '_' | '~' | '‐' | '‑' | '‒' | '–' | '—' | '−' => "-",
        ';' => ",",
        '!' => ".",
        '\\' | '|' => "/",
        '€' => "EUR",
        '…' => "...",
        '№' => "No",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_of_the_issue_is_transliterated_and_replaced() {
        assert_eq!(
            sepa_text("Åsa Öberg & Søn <AB>", NAME_MAX_CHARS),
            "Asa Oberg + Son (AB)"
        );
    }

    #[test]
    fn letters_outside_the_set_are_transliterated() {
        assert_eq!(sepa_text("Æble Straße", 70), "AEble Strasse");
        assert_eq!(sepa_text("Café Müller, Zürich", 70), "Cafe Muller, Zurich");
        assert_eq!(sepa_text("Łódź Ærø ÿ ñ ç", 70), "Lodz AEro y n c");
        assert_eq!(sepa_text("Αθήνα", 70), "Athena");
        assert_eq!(sepa_text("Пётр", 70), "Piotr");
    }

    #[test]
    fn punctuation_maps_to_its_kin_and_the_rest_to_spaces() {
        assert_eq!(sepa_text("“Quoted” ‘x’ `y`", 70), "'Quoted' 'x' 'y'");
        assert_eq!(sepa_text("a_b–c—d; e! f\\g|h", 70), "a-b-c-d, e. f/g/h");
        assert_eq!(sepa_text("[x] {y} 10€ wait…", 70), "(x) (y) 10EUR wait...");
        assert_eq!(sepa_text("a@b #1 50% *x* =y $z ^ 🦄", 70), "a b 1 50 x y z");
        assert_eq!(
            sepa_text("allowed /-?:().,'+ 09AZaz", 70),
            "allowed /-?:().,'+ 09AZaz"
        );
    }

    #[test]
    fn white_space_collapses_and_the_ends_are_trimmed() {
        assert_eq!(sepa_text("  a \t\n b\u{a0}\u{2003}c  ", 70), "a b c");
        assert_eq!(sepa_text("x\u{0}y\u{7f}z", 70), "x y z");
        assert_eq!(sepa_text("", 70), "");
        assert_eq!(sepa_text(" & ", 70), "+");
        assert_eq!(sepa_text("北京 🦄", 70), "Bei Jing");
        assert_eq!(sepa_text("🦄 ★", 70), "");
    }

    #[test]
    fn texts_are_cut_to_their_length_without_a_trailing_space() {
        let long = "Ä".repeat(200);
        assert_eq!(sepa_text(&long, 140), "A".repeat(140));
        assert_eq!(sepa_text(&long, 0), "");
        assert_eq!(sepa_text("abc def", 4), "abc");
        assert_eq!(sepa_text("abc def", 5), "abc d");
        // A transliteration longer than its letter counts in full.
        assert_eq!(sepa_text("ßßß", 5), "sssss");
        assert_eq!(sepa_text("ßßß", 4), "ssss");
        for n in 0..30 {
            let cut = sepa_text("Åsa Öberg & Søn <AB> Æ ß € long tail", n);
            assert!(
                cut.len() <= n && !cut.ends_with(' ') && !cut.starts_with(' '),
                "{cut}"
            );
        }
    }

    #[test]
    fn ids_have_no_slash_at_the_ends_nor_a_double_slash() {
        assert_eq!(sepa_id("/PAY//000012/", 35), "PAY/000012");
        assert_eq!(sepa_id("//a///b//", 35), "a/b");
        assert_eq!(sepa_id(" / x", 35), "x");
        assert_eq!(sepa_id("VI-000012", 35), "VI-000012");
        assert_eq!(sepa_id("Réf № 7 & co", 35), "Ref No 7 + co");
        assert_eq!(sepa_id("////", 35), "");
        assert_eq!(sepa_id("", 35), "");
        // The cut does not leave a slash or a space at the end.
        assert_eq!(sepa_id("abc/def", 4), "abc");
        assert_eq!(sepa_id("abc def", 4), "abc");
        assert_eq!(sepa_id(&"x".repeat(50), ID_MAX_CHARS), "x".repeat(35));
    }

    #[test]
    fn every_output_keeps_the_set() {
        let samples = [
            "Åsa Öberg & Søn <AB>",
            "\u{feff}BOM and\u{200b}zero width",
            "ﬁne ½ ² Ⅻ",
            "tab\there",
            "/x//y/",
        ];
        for s in samples {
            for n in [0, 1, 5, 35, 70, 140] {
                assert!(sepa_text(s, n).chars().all(is_sepa_char), "{s}");
                let id = sepa_id(s, n);
                assert!(id.is_empty() || is_clean_id(&id), "{s} -> {id}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Whatever comes in, a text is in the set, within its length, with single inner spaces,
        /// and an id keeps the slash rule.
        #[test]
        fn any_text_comes_out_in_the_set(text in proptest::prelude::any::<String>(), max in 0usize..150) {
            let out = sepa_text(&text, max);
            proptest::prop_assert!(out.chars().all(is_sepa_char));
            proptest::prop_assert!(out.chars().count() <= max);
            proptest::prop_assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "));
            let id = sepa_id(&text, max);
            proptest::prop_assert!(id.len() <= max && (id.is_empty() || is_clean_id(&id)));
        }
    }
}
