//! Plain-text journal export: the general ledger, with the customer and vendor sub-ledgers as
//! accounts below their summary accounts, in the formats of the double-entry tools auditors use
//! (`ledger`/`hledger` journals and `beancount` files).
//!
//! [`write_journal`] streams the vouchers in date and number order through one SQL cursor (memory
//! stays flat whatever the size of the ledger; only the account names are held), inside one read
//! transaction, so the export is a consistent snapshot even while a run posts. The reading is the
//! ledger's ([`crate::ledger::JournalReader`]): the export writes no SQL.
//!
//! A feature: it depends on the ledger, the parameters and `money`, never on scripting, the
//! process or the command line, and nothing but the command line depends on it.
//!
//! The parts: `format` ([`Format`]), `error`, `names` (account names), `text` (free text,
//! commodities and amounts as the formats write them), `header` (the head and the declarations
//! of commodities and tags), `accounts` (the account declarations), `vouchers` (the
//! transactions), `file` ([`write_journal_file`]); [`write_journal`] here puts them in order.
//!
//! # Account names
//! Every general-ledger account gets a name under one of the five roots both formats know, from its
//! role in the company parameters ([`AccountNames`]): receivables → `Assets:Receivables`, payables
//! → `Liabilities:Payables`, bank → `Assets:Bank`, opening balance → `Equity:Opening-Balances`.
//! Any other account is placed by the usual chart-of-accounts numbering (1 assets, 2 liabilities,
//! 3 equity, 4 income, 5–9 expenses, anything else equity) as `ROOT:GL-<number>`. A line on a
//! customer or vendor posts to a sub-account named after the customer or vendor account:
//! `Assets:Receivables:C-001`, `Liabilities:Payables:V-100`. Components follow beancount's rules
//! (the stricter of the two; both formats get the same names): ASCII letters, digits and `-`,
//! starting with an uppercase letter or a digit ([`component`]). Sanitizing can make two accounts
//! look alike (`C 1` and `C-1`); the export then fails with [`ExportError::NameCollision`] rather
//! than merge them.
//!
//! # Traceability
//! Each account is declared (`account` / `open`) with its general-ledger number (`gl-account`),
//! its customer or vendor and its name as metadata, so a tool can total by general-ledger account
//! (`hledger bal --pivot gl-account`). Each transaction carries its voucher number (the ledger
//! format's code, beancount's `voucher` metadata), the `run` that posted it and the
//! `reimbursement` it belongs to (the vendor invoice, or its payment).
//!
//! # Amounts
//! Exactly the stored integer minor units, written with the currency's decimals as recorded in
//! the database (`50.00 USD`, `500 JPY`, `1.250 KWD`): never rounded, never floating point.

mod accounts;
mod error;
mod file;
mod format;
mod header;
mod names;
#[cfg(test)]
mod tests;
mod text;
mod vouchers;

pub use error::ExportError;
pub use file::write_journal_file;
pub use format::Format;
pub use header::is_export;
pub use names::{AccountKey, AccountNames, Party, component};
pub use text::amount_text;

use std::collections::HashMap;
use std::io::Write;

use chrono::NaiveDate;

use crate::ledger::{GlAccountUse, JournalPeriod, Ledger};

use accounts::declare_accounts;
use header::{commodities, write_declarations, write_header};
use vouchers::VoucherWriter;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    /// Vouchers (transactions) written.
    pub vouchers: usize,
    /// Voucher lines (postings) written.
    pub lines: usize,
    /// Accounts declared.
    pub accounts: usize,
    /// Date of the first voucher written.
    pub first: Option<NaiveDate>,
    /// Date of the last voucher written.
    pub last: Option<NaiveDate>,
}

/// The period of vouchers, checked: `from` not after `to`.
fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<JournalPeriod, ExportError> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ExportError::EmptyPeriod { from, to });
    }
    Ok(JournalPeriod { from, to })
}

/// Writes the general ledger (and the customer and vendor sub-ledgers as sub-accounts) as a
/// plain-text journal in `format`: every voucher dated within `from`..=`to` (both optional,
/// inclusive), in date and number order, with its lines; the accounts and currencies they use are
/// declared first. Returns what was written.
pub fn write_journal(
    ledger: &Ledger,
    format: Format,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    out: &mut dyn Write,
) -> Result<ExportSummary, ExportError> {
    let period = period(from, to)?;
    // One read transaction: the declarations and the vouchers come from the same snapshot.
    let reader = ledger.journal_reader(period)?;
    let commodities = commodities(&reader, format)?;
    write_header(ledger, format, from, to, out)?;
    // The general-ledger accounts used in the period (a handful), with their first use.
    let gl_accounts: HashMap<String, GlAccountUse> = reader
        .gl_accounts()?
        .into_iter()
        .map(|gl| (gl.account.clone(), gl))
        .collect();
    let first_date = gl_accounts.values().map(|gl| gl.first_date.as_str()).min();
    write_declarations(format, &commodities, first_date, out)?;
    let names = AccountNames::new(&ledger.params().accounts);
    let declared = declare_accounts(&reader, format, &names, &gl_accounts, out)?;
    let mut summary = ExportSummary {
        accounts: declared.count,
        ..ExportSummary::default()
    };
    let vouchers = VoucherWriter {
        format,
        names: &names,
        declared: &declared,
        commodities: &commodities,
    };
    vouchers.write_all(&reader, &mut summary, out)?;
    reader.finish()?;
    out.flush()?;
    Ok(summary)
}
