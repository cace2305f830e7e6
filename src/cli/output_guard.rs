//! The files the command line writes where the user says (`export -o`, the REPL's history),
//! through the one guard of [`crate::files`]: never the company's own files, never a file that
//! is not a regular file, and only a previous output of the same kind unless `--force`.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::export::Format;
use crate::files::{Protected, Replaceable, check_output};
use crate::parameters::Company;

/// Checks that `export -o path` may write `path`: a new file, a previous export in `format`, or,
/// with `force`, another regular file.
pub fn export(company: &Company, path: &Path, format: Format, force: bool) -> Result<(), Error> {
    check_output(
        path,
        &Protected::company(company),
        &Replaceable::Previous {
            what: &format!("{format} export (`reimburse export --format {format}`)"),
            recognise: &|head| crate::export::is_export(head, format),
            force,
            hint: "give another file, or --force to replace it",
        },
    )?;
    Ok(())
}

/// The REPL's history file, unless the history must not replace it (one of the company's files,
/// a file that is not a regular file, a file that is not a history): then none, and a warning
/// says why.
pub fn history(company: &Company, history: Option<PathBuf>) -> Option<PathBuf> {
    let path = history?;
    let replaceable = Replaceable::Previous {
        what: "REPL history",
        // rustyline's history files begin with their version.
        recognise: &|head: &str| head.is_empty() || head.starts_with("#V2"),
        force: false,
        hint: "set REIMBURSE_HISTORY to another file, or to nothing for no history",
    };
    match check_output(&path, &Protected::company(company), &replaceable) {
        Ok(_) => Some(path),
        Err(e) => {
            eprintln!("warning: no history is kept: {e}");
            None
        }
    }
}

/// Checks that `pay --bank-file path` may write `path`: only a new file (a bank file holds
/// payments: one not yet uploaded is never replaced by the next payment run's).
pub fn new_bank_file(company: &Company, path: &Path) -> Result<(), Error> {
    check_output(
        path,
        &Protected::company(company),
        &Replaceable::Previous {
            what: "file of this payment run",
            recognise: &|_| false,
            force: false,
            hint: "a bank file holds payments: give a new file name (a payment run's file is \
                   written again with `reimburse bank-file --run N -o FILE`)",
        },
    )?;
    Ok(())
}

/// Checks that `bank-file --run N -o path` may write `path`: a new file, the bank file of the
/// same message (`message_id`) written before, or, with `force`, another regular file.
pub fn bank_file_again(
    company: &Company,
    path: &Path,
    message_id: &str,
    force: bool,
) -> Result<(), Error> {
    let own = format!("<MsgId>{message_id}</MsgId>");
    check_output(
        path,
        &Protected::company(company),
        &Replaceable::Previous {
            what: "bank file of this payment run",
            recognise: &|head| head.contains(crate::bank_file::NAMESPACE) && head.contains(&own),
            force,
            hint: "give another file, or --force to replace it",
        },
    )?;
    Ok(())
}
