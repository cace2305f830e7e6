//! `reimburse script` and `reimburse repl`: the Rhai sessions over the company database (see
//! [`crate::repl`]); `script` prints the script's value, says what it committed or rolled back.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use super::committed::{self, Committed};
use super::{output_guard, today, user};
use crate::Error;
use crate::parameters::Company;
use crate::text::printable_lines;

/// `repl`: the interactive session, on the posting date `date` (default today).
pub(super) fn repl(
    company: &Company,
    date: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let options = crate::repl::ReplOptions {
        date: date.unwrap_or_else(today),
        history: output_guard::history(company, crate::repl::default_history()),
        user: user(),
    };
    crate::repl::interact(company, &options, out, &mut std::io::stderr())
}

/// `script`: runs `file` in one transaction (rolled back for `dry_run`) and prints its value.
pub(super) fn script(
    company: &Company,
    file: &Path,
    dry_run: bool,
    args: &[(String, String)],
    date: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let options = crate::repl::ScriptOptions {
        file: file.to_path_buf(),
        dry_run,
        args: args.to_vec(),
        date: date.unwrap_or_else(today),
        user: user(),
    };
    let outcome = crate::repl::run_script(company, &options)?;
    if let Some(w) = &outcome.rules_warning {
        eprintln!(
            "warning: the rule hooks are not loaded: {}",
            printable_lines(&w.to_string())
        );
    }
    // The value before the note on standard error.
    let printed = match crate::render::render(&outcome.value) {
        Some(text) => writeln!(out, "{}", printable_lines(&text)).and_then(|()| out.flush()),
        None => out.flush(),
    }
    .map_err(Error::from);
    let n = outcome.changes;
    let committed = (outcome.committed && n > 0).then_some(Committed::Script(outcome.run));
    let changes = if n == 1 {
        "1 row change".to_string()
    } else {
        format!("{n} row changes")
    };
    if !outcome.committed && n > 0 {
        eprintln!("dry run: {changes} rolled back, nothing written");
    } else if outcome.committed && n > 0 {
        eprintln!("committed {changes}");
    }
    committed::reported(committed, out, printed)
}
