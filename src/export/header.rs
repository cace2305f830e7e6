//! The head of a journal: the comment lines naming the company, the period and the tool (by which
//! [`is_export`] recognises a previous export), beancount's options, and the declarations of the
//! commodities (the database's currencies) and of the ledger format's tags.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::NaiveDate;

use super::text::{commodity, decimals_text, one_line, quoted};
use super::{ExportError, Format};
use crate::ledger::{JournalReader, Ledger};
use crate::money::Currency;

/// A currency of the database and how the format writes it.
#[derive(Debug, Clone)]
pub(super) struct Commodity {
    /// The currency, with its decimals as recorded in the database.
    pub(super) currency: Currency,
    /// Its code as the format writes it.
    pub(super) symbol: String,
}

/// Every currency of the database by code, checked for the format.
pub(super) fn commodities(
    reader: &JournalReader<'_>,
    format: Format,
) -> Result<BTreeMap<String, Commodity>, ExportError> {
    let mut commodities = BTreeMap::new();
    for currency in reader.currencies()? {
        let symbol = commodity(&currency.code, format)?;
        commodities.insert(currency.code.clone(), Commodity { currency, symbol });
    }
    Ok(commodities)
}

/// Declares the commodities (beancount: on `first_date`, the first voucher's date, and only when
/// there is one) and the ledger format's tags.
pub(super) fn write_declarations(
    format: Format,
    commodities: &BTreeMap<String, Commodity>,
    first_date: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    match format {
        Format::Ledger => {
            for Commodity { currency, symbol } in commodities.values() {
                writeln!(out, "commodity {symbol}")?;
                writeln!(out, "    format 1000{} {symbol}", decimals_text(currency))?;
            }
            writeln!(out)?;
            for tag in ["run", "run-kind", "reimbursement"] {
                writeln!(out, "tag {tag}")?;
            }
            writeln!(out)?;
        }
        Format::Beancount => {
            if let Some(date) = first_date {
                for Commodity { symbol, .. } in commodities.values() {
                    writeln!(out, "{date} commodity {symbol}")?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Whether `head`, the beginning of a file, is a journal that `reimburse export --format
/// format` wrote (its second line, as `write_header` writes it): such a file may be replaced by
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
