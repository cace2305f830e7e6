//! The books in journal order, for the export: the currencies, the accounts a period uses (with
//! their first use), and the vouchers with their lines in date, number and line order (the
//! general ledger's lines, `gl_lines`: the plain lines and the customer and vendor transactions,
//! each with its place in its voucher), read as
//! typed rows inside one read transaction ([`JournalReader`]), so everything read is one
//! consistent snapshot even while a run posts. (Not to be confused with [`super::Journal`],
//! what the primitives of one transaction wrote.)
//!
//! Streamed: the accounts and the vouchers are handed to the caller one at a time from one SQL
//! cursor, so memory stays flat whatever the size of the ledger.
//!
//! Reads only: it must not write, nor depend on posting or settling; it knows nothing of the
//! journal formats.

use chrono::NaiveDate;
use rusqlite::{Row, Transaction, params};

use super::voucher::balances_per_currency;
use super::{Ledger, LedgerError, Res, RunId};
use crate::money::Currency;

/// The customer or vendor of a voucher line (a line on a sub-ledger).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// A customer account.
    Customer(String),
    /// A vendor account.
    Vendor(String),
}

impl Party {
    /// The party of a line from its customer and vendor columns (the customer when both are set).
    fn of(customer: Option<String>, vendor: Option<String>) -> Option<Party> {
        match (customer, vendor) {
            (Some(c), _) => Some(Party::Customer(c)),
            (None, Some(v)) => Some(Party::Vendor(v)),
            (None, None) => None,
        }
    }
}

/// The vouchers read: those dated within `from..=to`, both optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalPeriod {
    /// The first date, if any.
    pub from: Option<NaiveDate>,
    /// The last date, if any.
    pub to: Option<NaiveDate>,
}

impl JournalPeriod {
    /// The lower and upper bound as stored dates (inclusive).
    fn bounds(&self) -> (String, String) {
        (
            self.from.map(|d| d.to_string()).unwrap_or_default(),
            self.to
                .map(|d| d.to_string())
                .unwrap_or_else(|| "9999-12-31".into()),
        )
    }
}

/// A general-ledger account used in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlAccountUse {
    /// The account number.
    pub account: String,
    /// Its name.
    pub name: String,
    /// The date of its first voucher in the period, as stored.
    pub first_date: String,
}

/// An account used in the period: a general-ledger account, or a customer or vendor on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUse {
    /// The general-ledger account.
    pub account: String,
    /// The customer or vendor, for a sub-ledger line.
    pub party: Option<Party>,
    /// The customer's or vendor's name (none for a general-ledger line, or a party not found).
    pub name: Option<String>,
    /// The date of its first voucher in the period, as stored.
    pub first_date: String,
}

/// A voucher with its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalVoucher {
    /// The voucher number.
    pub number: String,
    /// Its date, as stored (`YYYY-MM-DD`), written as it is.
    pub date: String,
    /// Its description.
    pub description: String,
    /// The run that posted it.
    pub run: Option<RunId>,
    /// That run's kind.
    pub run_kind: Option<String>,
    /// The reimbursements it belongs to (vendor invoice or payment), ids joined by `,`.
    pub reimbursements: Option<String>,
    /// Its lines, in line order.
    pub lines: Vec<JournalLine>,
}

/// A line of a [`JournalVoucher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    /// The general-ledger account.
    pub account: String,
    /// The customer or vendor, for a sub-ledger line.
    pub party: Option<Party>,
    /// The currency code.
    pub currency: String,
    /// The amount in minor units (debit positive).
    pub minor: i64,
}

/// The books of a period read in one snapshot: a read transaction when the connection was not
/// in one already, rolled back by [`JournalReader::finish`] (or when dropped).
pub struct JournalReader<'l> {
    ledger: &'l Ledger,
    snapshot: Option<Transaction<'l>>,
    from: String,
    to: String,
}

impl Ledger {
    /// A reader of the books of `period`, in one read transaction (the caller's, if one is open).
    pub fn journal_reader(&self, period: JournalPeriod) -> Res<JournalReader<'_>> {
        let conn = self.store.conn();
        let snapshot = if conn.is_autocommit() {
            Some(conn.unchecked_transaction().map_err(|e| self.sql_err(e))?)
        } else {
            None
        };
        let (from, to) = period.bounds();
        Ok(JournalReader {
            ledger: self,
            snapshot,
            from,
            to,
        })
    }
}

impl JournalReader<'_> {
    fn sql(&self, e: rusqlite::Error) -> LedgerError {
        self.ledger.sql_err(e)
    }

    /// Ends the snapshot.
    pub fn finish(self) -> Res<()> {
        if let Some(tx) = self.snapshot {
            tx.rollback().map_err(|e| self.ledger.sql_err(e))?;
        }
        Ok(())
    }

    /// Every currency of the database (a handful), in code order, with its decimals as recorded.
    pub fn currencies(&self) -> Res<Vec<Currency>> {
        let conn = self.ledger.store.conn();
        let mut stmt = conn
            .prepare("SELECT code, decimals FROM currencies ORDER BY code")
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        let mut currencies = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let code: String = r.get(0).map_err(|e| self.sql(e))?;
            let decimals: u32 = r.get(1).map_err(|e| self.sql(e))?;
            currencies.push(Currency::new(&code, decimals));
        }
        Ok(currencies)
    }

    /// The general-ledger accounts used in the period (a handful), with their first use.
    pub fn gl_accounts(&self) -> Res<Vec<GlAccountUse>> {
        let conn = self.ledger.store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT l.account, a.name, MIN(v.date)
                 FROM gl_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 JOIN gl_accounts a ON a.account = l.account
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![self.from, self.to])
            .map_err(|e| self.sql(e))?;
        let mut accounts = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let use_of = (|| {
                Ok(GlAccountUse {
                    first_date: r.get(2)?,
                    account: r.get(0)?,
                    name: r.get(1)?,
                })
            })();
            accounts.push(use_of.map_err(|e| self.sql(e))?);
        }
        Ok(accounts)
    }

    /// Hands `f` every account used in the period, streamed in the order of general-ledger
    /// account, customer, vendor: each general-ledger account's own lines (no party) first.
    pub fn each_account<E: From<LedgerError>>(
        &self,
        mut f: impl FnMut(AccountUse) -> Result<(), E>,
    ) -> Result<(), E> {
        let conn = self.ledger.store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT l.account, l.customer, c.name, l.vendor, w.name, MIN(v.date)
                 FROM gl_lines l
                 JOIN vouchers v ON v.id = l.voucher_id
                 LEFT JOIN customers c ON c.account = l.customer
                 LEFT JOIN vendors w ON w.account = l.vendor
                 WHERE v.date >= ?1 AND v.date <= ?2
                 GROUP BY l.account, l.customer, l.vendor
                 ORDER BY l.account, l.customer, l.vendor",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![self.from, self.to])
            .map_err(|e| self.sql(e))?;
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            f(account_use(r).map_err(|e| self.sql(e))?)?;
        }
        Ok(())
    }

    /// The first account used in the period (in the order of [`JournalReader::each_account`],
    /// without names or dates) for which `f` returns something: the slow path of a lookup.
    pub fn find_account<T>(
        &self,
        mut f: impl FnMut(String, Option<Party>) -> Option<T>,
    ) -> Res<Option<T>> {
        let conn = self.ledger.store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT DISTINCT l.account, l.customer, l.vendor
                 FROM gl_lines l JOIN vouchers v ON v.id = l.voucher_id
                 WHERE v.date >= ?1 AND v.date <= ?2
                 ORDER BY l.account, l.customer, l.vendor",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![self.from, self.to])
            .map_err(|e| self.sql(e))?;
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let read = (|| Ok((r.get(0)?, Party::of(r.get(1)?, r.get(2)?))))();
            let (account, party) = read.map_err(|e| self.sql(e))?;
            if let Some(found) = f(account, party) {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Hands `f` every voucher of the period with its lines, streamed in date, number and line
    /// order (one voucher held at a time).
    pub fn each_voucher<E: From<LedgerError>>(
        &self,
        mut f: impl FnMut(&JournalVoucher) -> Result<(), E>,
    ) -> Result<(), E> {
        let conn = self.ledger.store.conn();
        let mut stmt = conn
            .prepare(
                "SELECT v.id, v.number, v.date, v.description, v.run_id, runs.kind, r.ids,
                    l.account, l.customer, l.vendor, l.currency, l.amount_minor
             FROM vouchers v
             JOIN gl_lines l ON l.voucher_id = v.id
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
             ORDER BY v.date, v.number, l.line",
            )
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt
            .query(params![self.from, self.to])
            .map_err(|e| self.sql(e))?;
        let mut current: Option<(i64, JournalVoucher)> = None;
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let id: i64 = r.get(0).map_err(|e| self.sql(e))?;
            if current
                .as_ref()
                .is_none_or(|(current_id, _)| *current_id != id)
            {
                if let Some((_, voucher)) = current.take() {
                    hand_over(&voucher, &mut f)?;
                }
                current = Some((id, voucher_head(r).map_err(|e| self.sql(e))?));
            }
            let line = voucher_line(r).map_err(|e| self.sql(e))?;
            if let Some((_, voucher)) = current.as_mut() {
                voucher.lines.push(line);
            }
        }
        if let Some((_, voucher)) = current.take() {
            hand_over(&voucher, &mut f)?;
        }
        Ok(())
    }
}

/// Hands a voucher to the caller once all its lines are read (its rows are consecutive: the
/// query orders by date, number and line, and numbers are unique).
fn hand_over<E>(
    voucher: &JournalVoucher,
    f: &mut impl FnMut(&JournalVoucher) -> Result<(), E>,
) -> Result<(), E> {
    debug_assert!(
        !voucher.lines.is_empty(),
        "a voucher is read with its lines"
    );
    debug_assert!(
        balances_per_currency(voucher.lines.iter().map(|l| (l.currency.as_str(), l.minor))),
        "voucher {} read back does not balance per currency",
        voucher.number
    );
    f(voucher)
}

/// An [`AccountUse`] from a row of [`JournalReader::each_account`]'s query.
fn account_use(r: &Row) -> rusqlite::Result<AccountUse> {
    let account: String = r.get(0)?;
    let customer: Option<String> = r.get(1)?;
    let vendor: Option<String> = r.get(3)?;
    let name = match (&customer, &vendor) {
        (Some(_), _) => r.get(2)?,
        (None, Some(_)) => r.get(4)?,
        (None, None) => None,
    };
    Ok(AccountUse {
        account,
        party: Party::of(customer, vendor),
        name,
        first_date: r.get(5)?,
    })
}

/// A voucher without its lines from a row of [`JournalReader::each_voucher`]'s query.
fn voucher_head(r: &Row) -> rusqlite::Result<JournalVoucher> {
    Ok(JournalVoucher {
        number: r.get(1)?,
        date: r.get(2)?,
        description: r.get(3)?,
        run: r.get(4)?,
        run_kind: r.get(5)?,
        reimbursements: r.get(6)?,
        lines: Vec::new(),
    })
}

/// The line of a row of [`JournalReader::each_voucher`]'s query.
fn voucher_line(r: &Row) -> rusqlite::Result<JournalLine> {
    Ok(JournalLine {
        account: r.get(7)?,
        party: Party::of(r.get(8)?, r.get(9)?),
        currency: r.get(10)?,
        minor: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::{d, day, ledger};
    use crate::ledger::{LineDraft, NewVendor, Target, VoucherDraft};

    /// A voucher whose lines mix plain, customer and vendor lines: bank, customer, expense,
    /// vendor.
    fn mixed(l: &Ledger) {
        l.create_vendor(&NewVendor {
            account: Some("V-1".into()),
            name: "Vendor".into(),
            currency: "USD".into(),
            ..Default::default()
        })
        .unwrap();
        let line = |target, amount: &str| LineDraft {
            target,
            currency: "USD".into(),
            amount: d(amount),
            document: None,
            kind: None,
        };
        l.post_voucher(&VoucherDraft {
            sequence: "opening".into(),
            date: day(),
            description: "mixed".into(),
            lines: vec![
                line(Target::Account("1000".into()), "-30.00"),
                line(Target::Customer("C-1".into()), "50.00"),
                line(Target::Account("3999".into()), "-5.00"),
                line(Target::Vendor("V-1".into()), "-15.00"),
            ],
        })
        .unwrap();
    }

    #[test]
    fn a_voucher_reads_back_in_the_order_posted_whatever_stores_its_lines() {
        let l = ledger();
        mixed(&l);
        // Two plain lines stored as such; the customer's and vendor's are their transactions.
        let stored: i64 = l
            .store
            .conn()
            .query_row("SELECT count(*) FROM voucher_lines", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 2);
        let reader = l.journal_reader(JournalPeriod::default()).unwrap();
        let mut read = Vec::new();
        reader
            .each_voucher(|v| {
                read.push(v.clone());
                Ok::<_, LedgerError>(())
            })
            .unwrap();
        let mut accounts = Vec::new();
        reader
            .each_account(|a| {
                accounts.push((a.account, a.party));
                Ok::<_, LedgerError>(())
            })
            .unwrap();
        reader.finish().unwrap();
        assert_eq!(read.len(), 1);
        let lines: Vec<(&str, Option<&Party>, i64)> = read[0]
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.party.as_ref(), l.minor))
            .collect();
        let (c, v) = (Party::Customer("C-1".into()), Party::Vendor("V-1".into()));
        assert_eq!(
            lines,
            vec![
                ("1000", None, -3000),
                ("1200", Some(&c), 5000),
                ("3999", None, -500),
                ("2000", Some(&v), -1500),
            ]
        );
        assert_eq!(
            accounts,
            vec![
                ("1000".into(), None),
                ("1200".into(), Some(c)),
                ("2000".into(), Some(v)),
                ("3999".into(), None),
            ]
        );
        // The trial balance counts the transactions as the control accounts' lines.
        let tb: Vec<(String, String)> = l
            .trial_balance()
            .unwrap()
            .into_iter()
            .map(|r| (r.account, r.balance.to_string()))
            .collect();
        assert_eq!(
            tb,
            [
                ("1000", "-30.00"),
                ("1200", "50.00"),
                ("2000", "-15.00"),
                ("3999", "-5.00")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(l.control_disagreements().unwrap(), vec![]);
    }
}
