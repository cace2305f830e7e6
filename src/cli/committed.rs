//! A command that committed, then could not print its report (standard output full or closed
//! on error, `TMPDIR` full or not writable): the books changed, and the error must say so, with
//! the command that shows what was done, never a bare "cannot write output".

use std::io::Write;
use std::path::PathBuf;

use crate::Error;
use crate::ledger::RunId;

/// What a command committed before printing its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// A reimbursement run (its number).
    Run(RunId),
    /// A payment run (its number).
    Pay(RunId),
    /// A reversal or a rejection (its reversal run).
    Reversal(RunId),
    /// An import (its run).
    Import(RunId),
    /// A script (its run, when it was recorded as one).
    Script(Option<RunId>),
    /// `init`: the database created.
    Init(PathBuf),
}

impl Committed {
    /// What was committed, as the error's first words.
    fn what(&self) -> String {
        match self {
            Committed::Run(n) => format!("run {n} was committed (the books changed)"),
            Committed::Pay(n) => format!("payment run {n} was committed (the books changed)"),
            Committed::Reversal(n) => {
                format!("reversal run {n} was committed (the books changed)")
            }
            Committed::Import(n) => {
                format!("the import was committed as run {n} (the books changed)")
            }
            Committed::Script(Some(n)) => {
                format!("the script was committed as run {n} (the books changed)")
            }
            Committed::Script(None) => {
                "the script's changes were committed (the books changed)".into()
            }
            Committed::Init(db) => format!("the database {} was created", db.display()),
        }
    }

    /// The command that shows what was done.
    fn hint(&self) -> String {
        match self {
            Committed::Run(n) => format!(
                "see what it did with `reimburse reimbursements --run {n}` (and `reimburse runs`)"
            ),
            Committed::Pay(n) => format!(
                "see what it paid with `reimburse reimbursements --status paid` (run {n} in \
                 `reimburse runs`)"
            ),
            Committed::Reversal(n) => format!(
                "see what it reversed with `reimburse reimbursements` (status reversed) and run \
                 {n} in `reimburse runs`"
            ),
            Committed::Import(n) | Committed::Script(Some(n)) => format!(
                "see what it changed with `reimburse changes --run {n}` (and `reimburse runs`)"
            ),
            Committed::Script(None) => "see `reimburse runs` and `reimburse balances`".into(),
            Committed::Init(_) => "see it with `reimburse balances`".into(),
        }
    }
}

/// A command committed (the books changed), then could not print its report.
#[derive(Debug, thiserror::Error)]
#[error("{}, but its report cannot be printed: {source}; {}", .committed.what(), .committed.hint())]
pub struct NotReported {
    /// What was committed.
    pub committed: Committed,
    /// Why the report could not be printed.
    pub source: Error,
}

impl NotReported {
    /// True when standard output was closed by its reader (`reimburse run | head`): not an
    /// error of ours.
    pub fn is_broken_pipe(&self) -> bool {
        is_broken_pipe(&self.source)
    }
}

/// True for a write to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &Error) -> bool {
    match e {
        Error::Io(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
        Error::Json(e) => e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe),
        _ => false,
    }
}

/// The end of a command that may have committed: `printed` is how printing its report went.
/// Flushes `out`; when something was committed, an output error (standard output, the
/// temporary files) becomes [`NotReported`], which says what was committed; any other result
/// passes unchanged.
pub fn reported(
    committed: Option<Committed>,
    out: &mut dyn Write,
    printed: Result<(), Error>,
) -> Result<(), Error> {
    let flushed = out.flush();
    let printed = match (printed, flushed) {
        (Ok(()) | Err(Error::CustomersFailed(_)), Err(e)) => Err(Error::Io(e)),
        (printed, _) => printed,
    };
    match (committed, printed) {
        (Some(committed), Err(source @ (Error::Io(_) | Error::Json(_)))) => {
            Err(Error::NotReported(Box::new(NotReported {
                committed,
                source,
            })))
        }
        (_, printed) => printed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails as a full disk does.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(28))
        }
    }

    #[test]
    fn an_output_error_after_a_commit_says_what_was_committed() {
        let printed = writeln!(Full, "run 3: ...").map_err(Error::from);
        let e = reported(Some(Committed::Run(RunId(3))), &mut Full, printed).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("run 3 was committed (the books changed), but its report cannot be printed: cannot write output: No space left on device"), "{text}");
        assert!(
            text.ends_with(
                "see what it did with `reimburse reimbursements --run 3` (and `reimburse runs`)"
            ),
            "{text}"
        );
        // Nothing committed (a dry run): the error as it is.
        let e = reported(None, &mut Full, Ok(())).unwrap_err();
        assert!(matches!(e, Error::Io(_)), "{e}");
        // An error that is not about the output passes.
        let e = reported(
            Some(Committed::Run(RunId(3))),
            &mut Vec::new(),
            Err(Error::Usage("x".into())),
        );
        assert!(matches!(e, Err(Error::Usage(_))));
    }
}
