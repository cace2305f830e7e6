//! Tab completion: commands, API functions, the rules' and the user's functions, variables,
//! keywords, properties after a dot (a variable's own when its type is known), and file names
//! after `:load`.
//!
//! Reads the names the session refreshes after each entry ([`Names`]); must not depend on `cli`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use rustyline::completion::Pair;

use super::commands::COMMANDS;

/// Rhai's keywords, offered with the variables.
const KEYWORDS: &[&str] = &[
    "let", "const", "fn", "if", "else", "for", "in", "while", "loop", "do", "until", "break",
    "continue", "return", "throw", "try", "catch", "switch", "true", "false", "print", "debug",
    "type_of",
];

/// Names the completer offers, refreshed after each entry.

#[derive(Debug, Default)]
pub(super) struct Names {
    pub(super) functions: BTreeSet<String>,
    pub(super) properties: BTreeSet<String>,
    pub(super) variables: BTreeSet<String>,
    /// The properties of each variable whose type the session knows (a domain value's, a map's
    /// keys), offered after `variable.`.
    pub(super) variable_properties: HashMap<String, BTreeSet<String>>,
}

/// Tab completion: commands, API functions, the rules' and the user's functions, variables,
/// keywords, properties after a dot, and file names after `:load`.
pub(super) struct Completion {
    pub(super) names: Rc<RefCell<Names>>,
    pub(super) files: rustyline::completion::FilenameCompleter,
}

impl rustyline::completion::Completer for Completion {
    type Candidate = rustyline::completion::Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Self::Candidate>)> {
        let before = &line[..pos];
        if before.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        if before.starts_with(':') && !before.contains(char::is_whitespace) {
            return Ok((0, command_pairs(before)));
        }
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let word = &before[start..];
        let names = self.names.borrow();
        if let Some(object) = before[..start].strip_suffix('.') {
            return Ok((start, names.property_pairs(object, word)));
        }
        if word.is_empty() {
            return Ok((start, Vec::new()));
        }
        Ok((start, names.word_pairs(word, before.starts_with(":api "))))
    }
}

/// The commands that begin with what was typed.
fn command_pairs(before: &str) -> Vec<Pair> {
    COMMANDS
        .iter()
        .map(|(c, _)| c.split_whitespace().next().unwrap_or(c))
        .filter(|c| c.starts_with(before))
        .map(|c| Pair {
            display: c.to_string(),
            replacement: c.to_string(),
        })
        .collect()
}

impl Names {
    /// After `variable.`: that variable's properties when its type is known, else every
    /// property.
    fn property_pairs(&self, object: &str, word: &str) -> Vec<Pair> {
        let mut pairs = Vec::new();
        let variable = object
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let properties = self
            .variable_properties
            .get(variable)
            .unwrap_or(&self.properties);
        for p in properties.iter().filter(|p| p.starts_with(word)) {
            pairs.push(Pair {
                display: p.clone(),
                replacement: p.clone(),
            });
        }
        pairs
    }

    /// Functions (with their opening parenthesis, except after `:api`), then variables and
    /// keywords, that begin with `word`.
    fn word_pairs(&self, word: &str, api_only: bool) -> Vec<Pair> {
        let mut pairs = Vec::new();
        for f in self.functions.iter().filter(|f| f.starts_with(word)) {
            pairs.push(Pair {
                display: format!("{f}("),
                replacement: if api_only { f.clone() } else { format!("{f}(") },
            });
        }
        if !api_only {
            let vars = self.variables.iter().map(String::as_str);
            for v in vars.chain(KEYWORDS.iter().copied()) {
                if v.starts_with(word) && !pairs.iter().any(|p| p.replacement == v) {
                    pairs.push(Pair {
                        display: v.to_string(),
                        replacement: v.to_string(),
                    });
                }
            }
        }
        pairs
    }
}

impl rustyline::hint::Hinter for Completion {
    type Hint = String;
}
impl rustyline::highlight::Highlighter for Completion {}
impl rustyline::validate::Validator for Completion {}
impl rustyline::Helper for Completion {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parameters::Company;
    use crate::repl::{Repl, ReplOptions};
    use chrono::NaiveDate;
    use std::path::Path;

    /// A session over an empty company in a temporary folder, with the shipped rules.
    fn session(dir: &Path) -> Repl {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/reimburse.rhai");
        let yaml =
            crate::SAMPLE_PARAMETERS.replace("rules/reimburse.rhai", &rules.display().to_string());
        let company = Company::from_yaml(&dir.join("company.yaml"), &yaml).unwrap();
        crate::fixtures::init_company(&company, None, false).unwrap();
        let options = ReplOptions {
            date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            user: "test".into(),
            history: None,
        };
        Repl::new(&company, &options).unwrap().0
    }

    /// What Tab offers at the end of `line`.
    fn completions(repl: &Repl, line: &str) -> Vec<String> {
        use rustyline::completion::Completer;
        let completion = Completion {
            names: Rc::clone(&repl.names),
            files: rustyline::completion::FilenameCompleter::new(),
        };
        let history = rustyline::history::DefaultHistory::new();
        let ctx = rustyline::Context::new(&history);
        let (_, pairs) = completion.complete(line, line.len(), &ctx).unwrap();
        pairs.into_iter().map(|p| p.replacement).collect()
    }

    #[test]
    fn completion_after_a_variable_offers_its_types_properties() {
        let dir = tempfile::tempdir().unwrap();
        let mut repl = session(dir.path());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = "let c = params();\nlet m = #{ alpha: 1, beta: 2 };\n";
        for entry in code.lines() {
            repl.handle(entry, &mut out, &mut err);
        }
        assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
        // `params()` is a Parameters: its properties only (no Customer.account, no Vendor.blocked).
        let offered = completions(&repl, "c.a");
        assert_eq!(offered, ["accounting_currency"], "{offered:?}");
        assert!(completions(&repl, "c.").contains(&"open_debits".to_string()));
        assert!(!completions(&repl, "c.").contains(&"blocked".to_string()));
        // A map offers its keys; an unknown name every property.
        assert_eq!(completions(&repl, "m."), ["alpha", "beta"]);
        let unknown = completions(&repl, "x.a");
        assert!(unknown.contains(&"account".to_string()), "{unknown:?}");
        assert!(
            unknown.contains(&"accounting_currency".to_string()),
            "{unknown:?}"
        );
    }
}
