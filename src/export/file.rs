//! An export into a named file, replaced whole or not at all.

use chrono::NaiveDate;

use super::{ExportError, ExportSummary, Format, write_journal};
use crate::ledger::Ledger;

/// [`write_journal`] into the file at `path`: written beside it under a temporary name, then
/// renamed, so the file is either the complete export or left as it was.
pub fn write_journal_file(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    path: &std::path::Path,
) -> Result<ExportSummary, ExportError> {
    let file_err = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| file_err(std::io::ErrorKind::InvalidInput.into()))?;
    let mut partial_name = std::ffi::OsString::from(".");
    partial_name.push(name);
    partial_name.push(format!(".{}.partial", std::process::id()));
    let partial = path.with_file_name(partial_name);
    let result = (|| {
        // A new file, never one already there under this name (a killed export's is removed
        // first; a symbolic link there is removed, not followed).
        let _ = std::fs::remove_file(&partial);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(file_err)?;
        let mut w = std::io::BufWriter::new(file);
        let summary = match write_journal(ledger, format, from, to, &mut w) {
            Err(ExportError::Io(e)) => return Err(file_err(e)),
            other => other?,
        };
        let file = w.into_inner().map_err(|e| file_err(e.into_error()))?;
        file.sync_all().map_err(file_err)?;
        std::fs::rename(&partial, path).map_err(file_err)?;
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
