//! The one user-facing rendering of errors: one line `error: …` on standard error (control
//! characters escaped) and the exit code (1; 3 for a `--keep-going` run with failed customers;
//! 0 for a closed pipe). Usage errors are clap's (exit code 2, see [`super::main`]).
//!
//! Must not depend on the commands' implementations.

use std::io::Write;
use std::process::ExitCode;

use super::committed;
use crate::Error;
use crate::text::printable_lines;

/// The exit code of a command's result; an error is said on standard error, after what the
/// command printed on `out`.
pub(super) fn exit_code(result: Result<(), Error>, out: &mut dyn Write) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`reimburse … | head`) is not an error of ours.
        Err(e) if committed::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(Error::NotReported(e)) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // The failures were printed with the results.
        Err(Error::TestsFailed(_)) => ExitCode::FAILURE,
        Err(e @ Error::CustomersFailed(_)) => {
            let _ = out.flush();
            eprintln!("error: {}", printable_lines(&e.to_string()));
            ExitCode::from(3)
        }
        Err(e) => {
            let _ = out.flush();
            eprintln!("error: {}", printable_lines(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}
