//! The head of a journal: the comment lines naming the company, the period and the tool (by which
//! [`is_export`] recognises a previous export), and beancount's options.

use std::io::Write;

use chrono::NaiveDate;

use super::text::{commodity, one_line, quoted};
use super::{ExportError, Format};
use crate::ledger::Ledger;

/// Whether `head`, the beginning of a file, is a journal that `reimburse export --format
/// format` wrote (its second line, as [`write_header`] writes it): such a file may be replaced by
/// a new export without `--force`.
pub fn is_export(head: &str, format: Format) -> bool {
    let mut lines = head.lines();
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
        return false;
    };
    first.starts_with("; ")
        && second.starts_with("; Written by reimburse ")
        && second.ends_with(&format!("(`reimburse export --format {format}`)."))
}

pub(super) fn write_header(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let params = ledger.params();
    let period = match (from, to) {
        (None, None) => "all vouchers".to_string(),
        (Some(f), None) => format!("vouchers from {f}"),
        (None, Some(t)) => format!("vouchers to {t}"),
        (Some(f), Some(t)) => format!("vouchers from {f} to {t}"),
    };
    // `;` starts a comment line in both formats.
    writeln!(
        out,
        "; {} ({}): general ledger with customer and vendor sub-ledgers, {period}.",
        one_line(&params.company.name),
        one_line(&params.company.id)
    )?;
    writeln!(
        out,
        "; Written by reimburse {} (`reimburse export --format {format}`).",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(out)?;
    if format == Format::Beancount {
        writeln!(out, "option \"title\" {}", quoted(&params.company.name))?;
        if let Ok(symbol) = commodity(&params.accounting_currency, format) {
            writeln!(out, "option \"operating_currency\" \"{symbol}\"")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
