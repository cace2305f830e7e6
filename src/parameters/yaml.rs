//! Reading YAML with positions: serde's errors turned into a [`YamlError`] with the file, line,
//! column and key path, and the best-effort search of a key's line (for the errors of validation,
//! which serde does not locate, and for keys indented wrongly or repeated).

use std::path::Path;

use super::YamlError;

/// Parses YAML into `T`, with errors that carry the file, line, column and key path.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    file: &Path,
    text: &str,
) -> Result<T, YamlError> {
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = key_path(err.path().to_string());
        let inner = err.into_inner();
        let mut position = inner.location().map(|l| (l.line(), l.column()));
        let mut message = serde_message(inner.to_string(), &path);
        point_at_the_cause(text, &mut message, &mut position);
        point_at_the_key(text, &path, &mut position);
        let (line, column) = position.unzip();
        YamlError {
            file: file.to_path_buf(),
            line,
            column,
            path,
            message,
        }
    })
}

/// The key path of a serde error, without the `?` of a syntax error.
fn key_path(mut path: String) -> String {
    // A syntax error has no key of its own: `accounts.?` means "somewhere in accounts".
    while path == "?" || path == "." || path.ends_with(".?") {
        path.truncate(path.len().saturating_sub(2));
    }
    path
}

/// serde_yaml's message without the position and the key path, which the error shows in front.
fn serde_message(mut message: String, path: &str) -> String {
    // serde_yaml appends " at line L column C"; we show the position in front instead.
    if let Some(pos) = message.find(" at line ") {
        message.truncate(pos);
    }
    // serde_yaml starts nested errors with its own path (`sequences.payment: unknown
    // field …`); the key path is shown in front already.
    if let Some((prefix, rest)) = message.split_once(": ")
        && !prefix.is_empty()
        && path.starts_with(prefix)
        && !prefix.contains(' ')
    {
        message = rest.to_string();
    }
    message
}

/// Says what libyaml's words leave unsaid (a tab, a line indented otherwise), and moves the
/// position (line, column) of a repeated or wrongly indented key to that key.
fn point_at_the_cause(text: &str, message: &mut String, position: &mut Option<(usize, usize)>) {
    // libyaml's words for a tab where indentation is expected do not say "tab".
    if let Some((l, c)) = *position
        && message.ends_with("cannot start any token")
        && text.lines().nth(l - 1).and_then(|t| t.chars().nth(c - 1)) == Some('\t')
    {
        message.push_str(" (a tab: indent with spaces)");
    }
    // serde_yaml places a duplicate key at the start of its mapping: point at the repeat.
    if let Some(key) = message
        .strip_prefix("duplicate field `")
        .or_else(|| message.strip_prefix("duplicate entry with key \""))
        .and_then(|k| k.split(['`', '"']).next())
        && let Some((l, c)) = second_key(text, key, position.map_or(1, |(l, _)| l))
    {
        *position = Some((l, c));
    }
    // libyaml's words for a line indented deeper or shallower than its neighbours.
    if message == "did not find expected key" {
        message.push_str(
            " (is this line, or the one above it, indented otherwise than its neighbours?)",
        );
    }
    // A key indented wrongly leaves its mapping without it: point at that key instead.
    if let Some(key) = message
        .strip_prefix("missing field `")
        .and_then(|k| k.split('`').next())
        && let Some((l, c)) = *position
        && let Some((at, indent, note)) = misplaced_key(text, key, l, c)
    {
        *position = Some((at, indent + 1));
        message.push_str(&note);
    }
}

/// Moves the position of an error to its key when serde placed it before that key: a value
/// refused by its own `Deserialize` (an IBAN's checksum, a BIC's shape) is placed where its
/// mapping begins, not at the key (best effort, through [`locate`]).
fn point_at_the_key(text: &str, path: &str, position: &mut Option<(usize, usize)>) {
    if path.is_empty() {
        return;
    }
    if let Some(at) = locate(text, path)
        && position.is_none_or(|p| p < at)
    {
        *position = Some(at);
    }
}

/// A `key:` line that belongs to the mapping at `line`:`column` (which lacks `key`) but is
/// indented otherwise than its keys, looked for from that line to the end of the mapping's
/// block: its line, its indentation and a note saying so (best effort, for a "missing field" caused by
/// indentation). When no key begins at `column` (the mapping is the value of the key on that
/// line), its keys belong deeper than that line.
fn misplaced_key(
    text: &str,
    key: &str,
    line: usize,
    column: usize,
) -> Option<(usize, usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let parent = indent_of(lines.get(line.checked_sub(1)?)?);
    let expected = (column.checked_sub(1)? == parent).then_some(parent);
    let start = if expected.is_some() { line - 1 } else { line };
    for (i, l) in lines.iter().enumerate().skip(start) {
        let (trimmed, indent) = (l.trim_start(), indent_of(l));
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let is_key = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'));
        let note = match expected {
            Some(e) if is_key && indent != e => format!(
                " (this `{key}:` is indented by {indent} space(s), the mapping's other keys by \
                 {e}: indent it like them)"
            ),
            None if is_key && indent <= parent => format!(
                " (this `{key}:` is indented by {indent} space(s), no deeper than the key on \
                 line {line} that it belongs to: indent it under that key)"
            ),
            // A shallower line that is not the key ends the mapping's block.
            _ if indent < expected.unwrap_or(parent + 1) => return None,
            _ => continue,
        };
        return Some((i + 1, indent, note));
    }
    None
}

/// The line and column of the second `key:` at one indentation from line `from` on (best
/// effort, for duplicate keys).
fn second_key(text: &str, key: &str, from: usize) -> Option<(usize, usize)> {
    let mut first_indent = None;
    for (i, line) in text.lines().enumerate().skip(from.saturating_sub(1)) {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches(['"', '\'']);
        if bare.starts_with(key)
            && bare[key.len()..]
                .trim_start_matches(['"', '\''])
                .starts_with(':')
        {
            match first_indent {
                None => first_indent = Some(indent),
                Some(f) if f == indent => return Some((i + 1, indent + 1)),
                Some(_) => {}
            }
        }
    }
    None
}

/// Finds the line and column of a key path (`a.b.c`) in YAML text, by indentation. Best effort:
/// used to point validation errors (which serde does not locate) at the right line.
pub(super) fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let mut found = None;
    let mut min_indent = 0usize;
    let mut start = 0usize;
    let lines: Vec<&str> = text.lines().collect();
    for segment in path.split('.') {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(start) {
            let indent = line.len() - line.trim_start().len();
            let trimmed = line.trim_start().trim_start_matches("- ");
            if i > start && indent < min_indent && !line.trim().is_empty() && found.is_some() {
                break;
            }
            let key = trimmed.trim_start_matches(['"', '\'']);
            if key.starts_with(segment)
                && key[segment.len()..]
                    .trim_start_matches(['"', '\''])
                    .starts_with(':')
            {
                hit = Some((i, indent));
                break;
            }
        }
        // A key written in flow style (`USD: { decimals: 7 }`) is not found on its own line:
        // point at the deepest key found.
        let Some((i, indent)) = hit else {
            return found;
        };
        found = Some((i + 1, indent + 1));
        min_indent = indent + 1;
        start = i + 1;
    }
    found
}
