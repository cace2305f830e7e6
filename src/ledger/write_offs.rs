//! The repository of the `write_offs` table: small customer credits written off (the customer's
//! credits settled against a write-off debit, the write-off account credited) and their reversal.
//! Recording one ([`Ledger::insert_write_off`]), listing them ([`Ledger::write_offs`],
//! [`WriteOff`]) and marking one reversed ([`Ledger::mark_write_off_reversed`]).
//!
//! It stores and reads what it is given; it must not depend on the process, the rules or scripts.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::rows::{date_text, stored_date};
use super::{CustomerTransactionId, Ledger, LedgerError, Res, RunId, VoucherId};

/// Where a write-off is: `written-off`, or `reversed` (the credit open again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOffStatus {
    /// Posted: the credit is off the customer's books.
    WrittenOff,
    /// Undone by a reversing voucher: the customer's credit is open again.
    Reversed,
}

impl WriteOffStatus {
    /// The word shown (`written-off`, `reversed`).
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffStatus::WrittenOff => "written-off",
            WriteOffStatus::Reversed => "reversed",
        }
    }
}

crate::text::shown_as_words!(WriteOffStatus);

/// A write-off, as the write-off run reports it and `reimburse write-offs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteOff {
    /// Row id (0 in a dry run's report).
    pub id: i64,
    /// The write-off run that made it.
    pub run: RunId,
    /// Customer account.
    pub customer: String,
    /// Currency.
    pub currency: String,
    /// The credit written off (positive).
    #[serde(serialize_with = "as_text")]
    pub amount: Decimal,
    /// Posting date.
    pub date: NaiveDate,
    /// The write-off voucher's number.
    pub voucher: String,
    /// The general-ledger account credited (the write-off account when it was posted).
    pub account: String,
    /// `written-off` or `reversed`.
    pub status: WriteOffStatus,
    /// The reversing voucher's number, once reversed.
    pub reversal_voucher: Option<String>,
    /// The reversal's date, once reversed.
    pub reversed_date: Option<NaiveDate>,
    /// The write-off's debit on the customer (settled against the credits it wrote off).
    #[serde(skip)]
    pub customer_txn: CustomerTransactionId,
}

fn as_text<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// A write-off to record, as [`Ledger::insert_write_off`] writes it.
#[derive(Debug, Clone)]
pub(crate) struct NewWriteOffRow<'a> {
    /// The write-off run.
    pub run_id: RunId,
    /// Customer account.
    pub customer: &'a str,
    /// Currency.
    pub currency: &'a str,
    /// The amount written off, in minor units (positive).
    pub amount_minor: i64,
    /// Posting date.
    pub date: NaiveDate,
    /// The write-off voucher.
    pub voucher_id: VoucherId,
    /// Its debit on the customer.
    pub customer_txn: CustomerTransactionId,
}

/// The columns of [`WriteOff`], in `read_row` order. The account written off to is the voucher's
/// plain line: read from `voucher_lines` itself, which holds exactly the plain lines of the
/// general ledger (`gl_lines` adds the transactions, which have no index by voucher).
const SELECT: &str = "SELECT w.id, w.run_id, w.customer, w.currency, w.amount_minor, w.date,
        v.number, (SELECT l.account FROM voucher_lines l
                   WHERE l.voucher_id = w.voucher_id AND l.customer IS NULL ORDER BY l.line LIMIT 1),
        rv.number, w.reversed_date, w.customer_txn_id
     FROM write_offs w
     JOIN vouchers v ON v.id = w.voucher_id
     LEFT JOIN vouchers rv ON rv.id = w.reversal_voucher_id";

impl Ledger {
    /// Records a write-off; returns its id.
    pub(crate) fn insert_write_off(&self, w: &NewWriteOffRow) -> Res<i64> {
        debug_assert!(w.amount_minor > 0, "a write-off is of a credit");
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO write_offs(run_id, customer, currency, amount_minor, date, voucher_id,
                     customer_txn_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.insert(rusqlite::params![
                    w.run_id,
                    w.customer,
                    w.currency,
                    w.amount_minor,
                    date_text(w.date),
                    w.voucher_id,
                    w.customer_txn,
                ])
            })
            .map_err(|e| self.sql_err(e))
    }

    /// The write-offs, oldest first: all of them, or those of the write-off run `run`.
    pub fn write_offs(&self, run: Option<RunId>) -> Res<Vec<WriteOff>> {
        let sql = format!("{SELECT} WHERE ?1 IS NULL OR w.run_id = ?1 ORDER BY w.id");
        self.read_write_offs(&sql, run.map(RunId::row))
    }

    /// The write-off `id`, if there is one.
    pub fn write_off(&self, id: i64) -> Res<Option<WriteOff>> {
        let sql = format!("{SELECT} WHERE w.id = ?1");
        Ok(self.read_write_offs(&sql, Some(id))?.pop())
    }

    fn read_write_offs(&self, sql: &str, key: Option<i64>) -> Res<Vec<WriteOff>> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map([key], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, RunId>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, i64>(10)?,
                ))
            })
            .map_err(|e| self.sql_err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, run, customer, currency, minor, date, voucher, account, rv, rd, txn) =
                row.map_err(|e| self.sql_err(e))?;
            let amount = self.currency(&currency)?.from_minor(minor);
            let date = stored_date(Some(date))
                .ok_or_else(|| LedgerError::Invalid(format!("write-off {id} has no valid date")))?;
            out.push(WriteOff {
                id,
                run,
                customer,
                currency,
                amount,
                date,
                voucher,
                account: account.unwrap_or_default(),
                status: if rv.is_some() {
                    WriteOffStatus::Reversed
                } else {
                    WriteOffStatus::WrittenOff
                },
                reversal_voucher: rv,
                reversed_date: stored_date(rd),
                customer_txn: CustomerTransactionId(txn),
            });
        }
        Ok(out)
    }

    /// Marks write-off `id` reversed by `voucher` on `date`; refused when it is already reversed
    /// (or does not exist).
    pub(crate) fn mark_write_off_reversed(
        &self,
        id: i64,
        voucher: VoucherId,
        date: NaiveDate,
    ) -> Res<()> {
        let changed = self
            .store
            .conn()
            .prepare_cached(
                "UPDATE write_offs SET reversal_voucher_id = ?2, reversed_date = ?3
                 WHERE id = ?1 AND reversal_voucher_id IS NULL",
            )
            .and_then(|mut s| s.execute(rusqlite::params![id, voucher, date_text(date)]))
            .map_err(|e| self.sql_err(e))?;
        if changed != 1 {
            return Err(LedgerError::NotFound {
                what: "write-off not yet reversed",
                key: id.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::NewRun;
    use crate::ledger::tests::{d, day, ledger, opening};

    #[test]
    fn a_write_off_is_recorded_listed_and_reversed_once() {
        let l = ledger();
        let run = l
            .insert_run(&NewRun {
                kind: crate::ledger::RunKind::WriteOff,
                started_at: "2026-11-01T00:00:00Z",
                finished_at: None,
                user: "alice",
                posting_date: day(),
                selection: "all customers",
                rules_path: None,
                rules_hash: None,
                parameters_hash: "x",
            })
            .unwrap();
        let txn = opening(&l, "C-1", "3.00", "WO-1");
        let voucher = VoucherId(
            l.store()
                .conn()
                .query_row(
                    "SELECT voucher_id FROM customer_transactions WHERE id = ?1",
                    [txn.row()],
                    |r| r.get(0),
                )
                .unwrap(),
        );
        let id = l
            .insert_write_off(&NewWriteOffRow {
                run_id: run,
                customer: "C-1",
                currency: "USD",
                amount_minor: 300,
                date: day(),
                voucher_id: voucher,
                customer_txn: txn,
            })
            .unwrap();
        let listed = l.write_offs(Some(run)).unwrap();
        assert_eq!(listed.len(), 1);
        let w = &listed[0];
        assert_eq!(
            (w.id, w.amount, w.account.as_str()),
            (id, d("3.00"), "3999")
        );
        assert_eq!(w.status, WriteOffStatus::WrittenOff);
        assert_eq!(l.write_off(id).unwrap().as_ref(), Some(w));
        assert!(l.write_offs(Some(RunId(run.row() + 1))).unwrap().is_empty());
        l.mark_write_off_reversed(id, voucher, day()).unwrap();
        let w = l.write_off(id).unwrap().unwrap();
        assert_eq!(w.status, WriteOffStatus::Reversed);
        assert_eq!(w.reversed_date, Some(day()));
        assert!(l.mark_write_off_reversed(id, voucher, day()).is_err());
        assert_eq!(l.write_off(id + 1).unwrap(), None);
    }
}
