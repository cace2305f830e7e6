//! Plain-text journal export: the general ledger, with the customer and vendor sub-ledgers as
//! accounts below their summary accounts, in the formats of the double-entry tools auditors use
//! (`ledger`/`hledger` journals and `beancount` files).
//!
//! [`write_journal`] streams the vouchers in date and number order through one SQL cursor (memory
//! stays flat whatever the size of the ledger; only the account names are held), inside one read
//! transaction, so the export is a consistent snapshot even while a run posts.
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use chrono::NaiveDate;
use rusqlite::params;

use crate::ledger::{Ledger, LedgerError};
use crate::money::Currency;
use crate::store::StoreError;

use accounts::account_named;
use header::write_header;
use names::{account_tags, describe, name_hash};
use text::{commodity, decimals_text, one_line, quoted};
use vouchers::{Line, Voucher, write_voucher};

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

/// The lower and upper bound of the period as SQL text (inclusive), checked.
fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(String, String), ExportError> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ExportError::EmptyPeriod { from, to });
    }
    Ok((
        from.map(|d| d.to_string()).unwrap_or_default(),
        to.map(|d| d.to_string())
            .unwrap_or_else(|| "9999-12-31".into()),
    ))
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
    let (from_text, to_text) = period(from, to)?;
    let store = ledger.store();
    let conn = store.conn();
    let sql = |e| ExportError::Ledger(LedgerError::Store(StoreError::sqlite(store.path(), e)));
    // One read transaction: the declarations and the vouchers come from the same snapshot.
    let snapshot = if conn.is_autocommit() {
        Some(conn.unchecked_transaction().map_err(sql)?)
    } else {
        None
    };

    let mut currencies: BTreeMap<String, (Currency, String)> = BTreeMap::new();
    {
        let mut stmt = conn
            .prepare("SELECT code, decimals FROM currencies ORDER BY code")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let code: String = r.get(0).map_err(sql)?;
            let decimals: u32 = r.get(1).map_err(sql)?;
            let symbol = commodity(&code, format)?;
            currencies.insert(code.clone(), (Currency::new(&code, decimals), symbol));
        }
    }

    write_header(ledger, format, from, to, out)?;
    // The general-ledger accounts used in the period (a handful), with their first use.
    let mut gl_accounts: HashMap<String, (String, String)> = HashMap::new();
    let mut first_date: Option<String> = None;
    {
        let mut stmt = conn
            .prepare(
                "SELECT l.account, a.name, MIN(v.date)
                 FROM voucher_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 JOIN gl_accounts a ON a.account = l.account
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account",
            )
            .map_err(sql)?;
        let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let date: String = r.get(2).map_err(sql)?;
            if first_date.as_ref().is_none_or(|d| date < *d) {
                first_date = Some(date.clone());
            }
            gl_accounts.insert(r.get(0).map_err(sql)?, (r.get(1).map_err(sql)?, date));
        }
    }
    match format {
        Format::Ledger => {
            for (currency, symbol) in currencies.values() {
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
            if let Some(date) = &first_date {
                for (_, symbol) in currencies.values() {
                    writeln!(out, "{date} commodity {symbol}")?;
                }
                writeln!(out)?;
            }
        }
    }

    // Every account used in the period, declared as it streams by, each general-ledger account
    // followed by its customer or vendor sub-accounts. Only a hash of each name is kept (8 bytes
    // an account), to catch two accounts that sanitize to the same name and to check each
    // posting's account.
    let names = AccountNames::new(&ledger.params().accounts);
    let mut declared: HashSet<u64> = HashSet::new();
    let mut count = 0;
    let mut width = 0;
    {
        let mut stmt = conn
            .prepare(
                "SELECT l.account, l.customer, c.name, l.vendor, w.name, MIN(v.date)
                 FROM voucher_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 LEFT JOIN customers c ON c.account = l.customer
                 LEFT JOIN vendors w ON w.account = l.vendor
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account, l.customer, l.vendor
                 ORDER BY l.account, l.customer, l.vendor",
            )
            .map_err(sql)?;
        let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
        let mut declare =
            |key: AccountKey, name: Option<&str>, date: &str| -> Result<(), ExportError> {
                let account = names.name(&key);
                if !declared.insert(name_hash(&account)) {
                    // Seen before, or a hash collision: look for the other account.
                    let other = account_named(conn, &names, &from_text, &to_text, &account, &key)
                        .map_err(sql)?;
                    if let Some(other) = other {
                        return Err(ExportError::NameCollision {
                            name: account,
                            first: describe(&other),
                            second: describe(&key),
                        });
                    }
                }
                let tags = account_tags(&key, name);
                match format {
                    Format::Ledger => {
                        writeln!(out, "account {account}")?;
                        for (tag, value) in tags {
                            writeln!(out, "    ; {tag}: {}", one_line(value))?;
                        }
                    }
                    Format::Beancount => {
                        writeln!(out, "{date} open {account}")?;
                        for (tag, value) in tags {
                            writeln!(out, "  {tag}: {}", quoted(value))?;
                        }
                    }
                }
                width = width.max(account.len());
                count += 1;
                Ok(())
            };
        let mut current_gl: Option<String> = None;
        while let Some(r) = rows.next().map_err(sql)? {
            let gl: String = r.get(0).map_err(sql)?;
            if current_gl.as_ref() != Some(&gl) {
                // The summary account first, as the parent of its sub-accounts.
                let (gl_name, gl_date) = gl_accounts.get(&gl).ok_or_else(|| {
                    LedgerError::Invalid(format!(
                        "general-ledger account '{gl}' changed during the export"
                    ))
                })?;
                declare((gl.clone(), None), Some(gl_name), gl_date)?;
                current_gl = Some(gl.clone());
            }
            let customer: Option<String> = r.get(1).map_err(sql)?;
            let vendor: Option<String> = r.get(3).map_err(sql)?;
            let (party, name): (Party, Option<String>) = match (customer, vendor) {
                (Some(c), _) => (Party::Customer(c), r.get(2).map_err(sql)?),
                (None, Some(v)) => (Party::Vendor(v), r.get(4).map_err(sql)?),
                (None, None) => continue,
            };
            let date: String = r.get(5).map_err(sql)?;
            declare((gl, Some(party)), name.as_deref(), &date)?;
        }
    }
    let mut summary = ExportSummary {
        accounts: count,
        ..ExportSummary::default()
    };

    // The vouchers: one cursor over their lines in date, number and line order.
    let mut stmt = conn
        .prepare(
            "SELECT v.id, v.number, v.date, v.description, v.run_id, runs.kind, r.ids,
                    l.account, l.customer, l.vendor, l.currency, l.amount_minor
             FROM vouchers v
             JOIN voucher_lines l ON l.voucher_id = v.id
             LEFT JOIN runs ON runs.id = v.run_id
             LEFT JOIN (
                 SELECT voucher, group_concat(id, ',') AS ids FROM (
                     SELECT id, voucher_id AS voucher FROM reimbursements
                     UNION ALL
                     SELECT id, payment_voucher_id FROM reimbursements
                     WHERE payment_voucher_id IS NOT NULL
                     ORDER BY 1
                 ) GROUP BY voucher
             ) r ON r.voucher = v.id
             WHERE v.date >= ?1 AND v.date <= ?2
             ORDER BY v.date, v.number, l.id",
        )
        .map_err(sql)?;
    let mut rows = stmt.query(params![from_text, to_text]).map_err(sql)?;
    let mut current: Option<(i64, Voucher)> = None;
    let mut write = |voucher: &Voucher, summary: &mut ExportSummary| -> Result<(), ExportError> {
        write_voucher(format, voucher, &names, &declared, &currencies, width, out)?;
        summary.vouchers += 1;
        summary.lines += voucher.lines.len();
        let date = voucher.date.parse().ok();
        if summary.first.is_none() {
            summary.first = date;
        }
        summary.last = date;
        Ok(())
    };
    while let Some(r) = rows.next().map_err(sql)? {
        let id: i64 = r.get(0).map_err(sql)?;
        if current
            .as_ref()
            .is_none_or(|(current_id, _)| *current_id != id)
        {
            if let Some((_, voucher)) = current.take() {
                write(&voucher, &mut summary)?;
            }
            current = Some((
                id,
                Voucher {
                    number: r.get(1).map_err(sql)?,
                    date: r.get(2).map_err(sql)?,
                    description: r.get(3).map_err(sql)?,
                    run: r.get(4).map_err(sql)?,
                    run_kind: r.get(5).map_err(sql)?,
                    reimbursements: r.get(6).map_err(sql)?,
                    lines: Vec::new(),
                },
            ));
        }
        let customer: Option<String> = r.get(8).map_err(sql)?;
        let vendor: Option<String> = r.get(9).map_err(sql)?;
        let party = match (customer, vendor) {
            (Some(c), _) => Some(Party::Customer(c)),
            (None, Some(v)) => Some(Party::Vendor(v)),
            (None, None) => None,
        };
        if let Some((_, voucher)) = current.as_mut() {
            voucher.lines.push(Line {
                key: (r.get(7).map_err(sql)?, party),
                currency: r.get(10).map_err(sql)?,
                minor: r.get(11).map_err(sql)?,
            });
        }
    }
    if let Some((_, voucher)) = current.take() {
        write(&voucher, &mut summary)?;
    }
    drop(rows);
    drop(stmt);
    if let Some(tx) = snapshot {
        tx.rollback().map_err(sql)?;
    }
    out.flush()?;
    Ok(summary)
}
