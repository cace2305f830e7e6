//! Tab completion: commands, API functions, the rules' and the user's functions, variables,
//! keywords, properties after a dot (a variable's own when its type is known), and file names
//! after `:load`.
//!
//! Reads the names the session refreshes after each entry ([`Names`]); must not depend on `cli`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

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
        use rustyline::completion::Pair;
        let before = &line[..pos];
        if before.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        if before.starts_with(':') && !before.contains(char::is_whitespace) {
            let pairs = COMMANDS
                .iter()
                .map(|(c, _)| c.split_whitespace().next().unwrap_or(c))
                .filter(|c| c.starts_with(before))
                .map(|c| Pair {
                    display: c.to_string(),
                    replacement: c.to_string(),
                })
                .collect();
            return Ok((0, pairs));
        }
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let word = &before[start..];
        let names = self.names.borrow();
        let mut pairs = Vec::new();
        if let Some(object) = before[..start].strip_suffix('.') {
            // After `variable.`: that variable's properties when its type is known.
            let variable = object
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            let properties = names
                .variable_properties
                .get(variable)
                .unwrap_or(&names.properties);
            for p in properties.iter().filter(|p| p.starts_with(word)) {
                pairs.push(Pair {
                    display: p.clone(),
                    replacement: p.clone(),
                });
            }
            return Ok((start, pairs));
        }
        if word.is_empty() {
            return Ok((start, pairs));
        }
        let api_only = before.starts_with(":api ");
        for f in names.functions.iter().filter(|f| f.starts_with(word)) {
            pairs.push(Pair {
                display: format!("{f}("),
                replacement: if api_only { f.clone() } else { format!("{f}(") },
            });
        }
        if !api_only {
            let vars = names.variables.iter().map(String::as_str);
            for v in vars.chain(KEYWORDS.iter().copied()) {
                if v.starts_with(word) && !pairs.iter().any(|p| p.replacement == v) {
                    pairs.push(Pair {
                        display: v.to_string(),
                        replacement: v.to_string(),
                    });
                }
            }
        }
        Ok((start, pairs))
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
