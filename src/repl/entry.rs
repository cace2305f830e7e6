//! What was typed: whether an entry is complete or continues on the next line, and error
//! messages that point at the typed text with a caret.
//!
//! Depends on Rhai only; must not depend on the session, the ledger or `cli`.

use rhai::{Engine, ParseErrorType};

/// A message about typed text: the message, the position when the text has several lines, and
/// the line with a caret.
pub(super) fn located(
    text: &str,
    line: Option<usize>,
    column: Option<usize>,
    message: &str,
) -> String {
    let mut out = message.to_string();
    if text.lines().count() > 1
        && let (Some(l), Some(c)) = (line, column)
    {
        out.push_str(&format!(" (line {l}, column {c})"));
    }
    if let Some(c) = caret(text, line, column) {
        out.push('\n');
        out.push_str(&c);
    }
    out
}

/// Shows the line of `text` at `line` with a caret under `column`.
fn caret(text: &str, line: Option<usize>, column: Option<usize>) -> Option<String> {
    let line = line?;
    let src = text.lines().nth(line.checked_sub(1)?)?;
    let width = line.to_string().len();
    let mut out = format!("  {line} | {src}");
    if let Some(col) = column {
        let pad: String = src
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("\n  {} | {pad}^", " ".repeat(width)));
    }
    Some(out)
}

/// True when `text` fails to parse only because it ended too early (an open block, call, array,
/// map or back-tick string): the REPL then reads another line.
pub fn is_incomplete(engine: &Engine, text: &str) -> bool {
    let Err(e) = engine.compile(text) else {
        return false;
    };
    let pos = e.position();
    match e.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..) => at_or_after_end(text, pos.line(), pos.position()),
        ParseErrorType::BadInput(rhai::LexError::UnterminatedString) => {
            // A back-tick string may span lines; a "…" string may not.
            let (Some(l), Some(c)) = (pos.line(), pos.position()) else {
                return false;
            };
            text.lines()
                .nth(l - 1)
                .and_then(|s| s.chars().nth(c - 1))
                .is_some_and(|ch| ch == '`')
        }
        _ => false,
    }
}

fn at_or_after_end(text: &str, line: Option<usize>, column: Option<usize>) -> bool {
    let (Some(line), Some(column)) = (line, column) else {
        return true;
    };
    // The position of the last character that is not white space.
    let mut last = (1, 0);
    for (i, l) in text.lines().enumerate() {
        let chars: Vec<char> = l.chars().collect();
        if let Some(c) = chars.iter().rposition(|c| !c.is_whitespace()) {
            last = (i + 1, c + 1);
        }
    }
    (line, column) > last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_entries_continue() {
        let engine = Engine::new();
        for text in [
            "fn f() {",
            "let x = [1, 2,",
            "if true {\n let y = 1;",
            "let x = 1 +",
            "foo(1,",
            "let s = `abc",
            "#{a: 1,",
        ] {
            assert!(is_incomplete(&engine, text), "{text:?} should continue");
        }
        for text in ["let x = 5", "1 +* 2", "}", "foo(1 2)", "let s = \"abc", "x"] {
            assert!(!is_incomplete(&engine, text), "{text:?} is complete");
        }
    }
    #[test]
    fn caret_points_at_the_column() {
        assert_eq!(
            caret("let a = 1;\na + b", Some(2), Some(5)).unwrap(),
            "  2 | a + b\n    |     ^"
        );
    }
}
