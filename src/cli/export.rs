//! `reimburse export`: the general ledger as a plain-text journal, to standard output or to a
//! file the output guard allows.
//!
//! Must not depend on the other commands.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use super::{output_guard, plural, reading_ledger};
use crate::Error;
use crate::parameters::Company;

/// `export`: writes the journal in `format` (`ledger`, `hledger`, `beancount`), to `out` or to
/// the file of `output` (with its `--force`).
pub(super) fn export(
    company: &Company,
    format: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    output: Option<(&Path, bool)>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let format: crate::export::Format = format.parse().map_err(Error::Usage)?;
    let ledger = reading_ledger(company)?;
    let Some((path, force)) = output else {
        let mut w = std::io::BufWriter::new(out);
        crate::export::write_journal(&ledger, format, from, to, &mut w)?;
        return Ok(w.flush()?);
    };
    output_guard::export(company, path, format, force)?;
    let s = crate::export::write_journal_file(&ledger, format, from, to, path)?;
    let dates = match (s.first, s.last) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "exported {} ({}, {}{dates}) to {} ({format})",
        plural(s.vouchers, "voucher"),
        plural(s.lines, "line"),
        plural(s.accounts, "account"),
        path.display()
    )?;
    Ok(())
}
