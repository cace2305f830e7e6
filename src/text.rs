//! Text of the books: the longest a key, a name or a free text may be, the characters it may
//! not hold, and how text is shown to a person.
//!
//! The limits are checked where text enters the books, by the ledger's primitives (creating or
//! changing a customer or vendor, posting a voucher), which every path goes through: a fixture,
//! an import, a run's hooks, a script, the REPL. They are well inside the scripts' default
//! string limit (`limits.max_string_size`, 65,536 bytes): the longest text allowed, 500
//! characters, is at most 2,000 bytes of UTF-8.
//!
//! [`printable`] shows control characters escaped (`\u{1b}`, `\r`), so that a name cannot move
//! the cursor, rewrite a row or set the terminal's title when a table or a message prints it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Implements `Display` and `Serialize` for types whose text is their `as_str()` (the enums of
/// statuses, kinds and reasons that reports, JSON and scripts show as words), so each says its
/// words in one place.
macro_rules! shown_as_words {
    ($($t:ty),+ $(,)?) => {
        $(
            impl std::fmt::Display for $t {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl serde::Serialize for $t {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_str(self.as_str())
                }
            }
        )+
    };
}
pub(crate) use shown_as_words;

/// The longest account, document, group, currency, type, tax id or payment term (characters).
pub const MAX_KEY_CHARS: usize = 64;
/// The longest name of a customer or vendor (characters).
pub const MAX_NAME_CHARS: usize = 200;
/// The longest address, voucher description or other free text (characters).
pub const MAX_TEXT_CHARS: usize = 500;

/// The scripts' string limit below which a text within these limits may not fit a script's
/// string (4 bytes a character at most).
pub const MIN_SCRIPT_STRING_BYTES: usize = 4 * MAX_TEXT_CHARS;

/// What a text field is, which sets its longest length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// An account, document, group, type or other identifier: [`MAX_KEY_CHARS`].
    Key,
    /// A customer's or vendor's name: [`MAX_NAME_CHARS`].
    Name,
    /// An address, a description: [`MAX_TEXT_CHARS`].
    Text,
}

impl TextKind {
    /// The longest text of this kind, in characters.
    pub const fn max_chars(self) -> usize {
        match self {
            TextKind::Key => MAX_KEY_CHARS,
            TextKind::Name => MAX_NAME_CHARS,
            TextKind::Text => MAX_TEXT_CHARS,
        }
    }
}

/// A text that the books refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than its kind allows.
    #[error("{field} is longer than {max} characters ({chars})")]
    TooLong {
        /// Which field (`customer name`, `voucher description`, …).
        field: String,
        /// The most allowed.
        max: usize,
        /// How many it has.
        chars: usize,
    },
    /// Holds a control character (a line break, a tab, an escape, …).
    #[error("{field} contains a control character ({shown}); control characters are not allowed")]
    Control {
        /// Which field.
        field: String,
        /// The character, escaped.
        shown: String,
    },
}

/// Checks a text for its kind's length and for control characters.
pub fn check(field: &str, value: &str, kind: TextKind) -> Result<(), TextError> {
    let max = kind.max_chars();
    // Counting stops past the limit: a huge text costs no more than a short one.
    let chars = value.chars().take(max + 1).count();
    if chars > max {
        return Err(TextError::TooLong {
            field: field.to_string(),
            max,
            chars: value.chars().count(),
        });
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(TextError::Control {
            field: field.to_string(),
            shown: printable(&c.to_string()).into_owned(),
        });
    }
    Ok(())
}

/// Checks an optional text (absent passes).
pub fn check_option(field: &str, value: Option<&str>, kind: TextKind) -> Result<(), TextError> {
    value.map_or(Ok(()), |v| check(field, v, kind))
}

/// True for a character shown escaped: control characters (C0, DEL, C1) and the Unicode
/// direction overrides and isolates, which reorder what a terminal shows.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` for a terminal: each control character shown as an escape (`\n`, `\r`, `\t`,
/// `\u{1b}`, …), so it cannot act on the terminal. Borrowed when there is none (the usual case).
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped(text, |_| false)
}

/// Like [`printable`], keeping line breaks and tabs: for messages of several lines (an error,
/// what a script prints), where a bare carriage return, an escape or a bell are still escaped.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c == '\n' || c == '\t')
}

/// The cells of a table row, each [`printable`].
pub fn printable_row(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| match printable(&c) {
            Cow::Borrowed(_) => c,
            Cow::Owned(o) => o,
        })
        .collect()
}

fn escaped(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !hidden(c) || keep(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Serde support for a required text: YAML's null (`~`, `null`, nothing) is refused as
/// "required, but empty", as the import refuses an empty cell, instead of being read as the text
/// `~` (use with `#[serde(deserialize_with = "text::required")]`).
pub fn required<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    use serde::Deserialize;
    Option::<String>::deserialize(deserializer)?
        .ok_or_else(|| serde::de::Error::custom("required, but empty (null)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert!(matches!(printable("Zoë Ltd"), Cow::Borrowed("Zoë Ltd")));
        assert_eq!(
            printable("A\u{1b}]0;pwned\u{7}B\rC\nD\tE\u{7f}\u{9b}"),
            "A\\u{1b}]0;pwned\\u{7}B\\rC\\nD\\tE\\u{7f}\\u{9b}"
        );
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(
            printable_lines("one\ntwo\tx\r\u{1b}[2J"),
            "one\ntwo\tx\\r\\u{1b}[2J"
        );
    }

    #[test]
    fn limits_count_characters_and_refuse_control_characters() {
        assert_eq!(check("name", &"é".repeat(200), TextKind::Name), Ok(()));
        assert_eq!(
            check("customer name", &"x".repeat(70_000), TextKind::Name)
                .unwrap_err()
                .to_string(),
            "customer name is longer than 200 characters (70000)"
        );
        assert_eq!(
            check("document", "INV\r1", TextKind::Key)
                .unwrap_err()
                .to_string(),
            "document contains a control character (\\r); control characters are not allowed"
        );
        assert_eq!(check_option("address", None, TextKind::Text), Ok(()));
        const { assert!(MIN_SCRIPT_STRING_BYTES < 64 * 1024) };
    }

    #[test]
    fn a_null_required_text_is_refused() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(deserialize_with = "required")]
            #[allow(dead_code)]
            name: String,
        }
        for yaml in ["name: ~", "name: null", "name:"] {
            let e = serde_yaml::from_str::<T>(yaml).unwrap_err().to_string();
            assert!(e.contains("required, but empty (null)"), "{yaml}: {e}");
        }
        assert_eq!(serde_yaml::from_str::<T>("name: '~'").unwrap().name, "~");
    }
}
