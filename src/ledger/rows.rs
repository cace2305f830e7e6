//! How the ledger's rows are read and written: the column lists of customers and vendors, dates
//! as stored (`YYYY-MM-DD`), currencies by code, SQL errors, and the one-row reads every part
//! uses.
//!
//! Below every other part of the ledger; it must not depend on the cache, posting or settling.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Statement, params};

use super::{Customer, Ledger, LedgerError, Res, Vendor};
use crate::bank::{Bic, Iban};
use crate::money::Currency;
use crate::store::StoreError;

/// A date as stored (YYYY-MM-DD); `None` for none. (`str::parse` reads ISO dates directly;
/// `parse_from_str` would parse its pattern for every row.)
pub(super) fn stored_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| t.parse().ok())
}

pub(super) fn date_text(date: NaiveDate) -> String {
    use chrono::Datelike;
    // chrono's `format` parses its pattern at every call, and this is called for every row
    // written: the digits are written here.
    let Ok(year @ 0..=9999) = u32::try_from(date.year()) else {
        return date.format("%Y-%m-%d").to_string();
    };
    let (month, day) = (date.month(), date.day());
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        month / 10,
        month % 10,
        day / 10,
        day % 10,
    ];
    let mut text = String::with_capacity(10);
    for (i, digit) in digits.into_iter().enumerate() {
        if i == 4 || i == 6 {
            text.push('-');
        }
        text.push(char::from(b'0' + digit as u8));
    }
    text
}

/// A currency of the company by code.
pub(super) fn currency_in<'a>(
    currencies: &'a HashMap<String, Currency>,
    code: &str,
) -> Res<&'a Currency> {
    currencies
        .get(code)
        .ok_or_else(|| LedgerError::UnknownCurrency(code.to_string()))
}

/// The vendor with this account, over any connection to the database.
pub(super) fn read_vendor(conn: &Connection, account: &str) -> rusqlite::Result<Option<Vendor>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        vendor_columns!(),
        " FROM vendors WHERE account = ?1"
    ))
    .and_then(|mut s| s.query_row([account], Ledger::vendor_from_row).optional())
}

/// An SQL error on the database at `path`.
pub(super) fn sql_error(path: &Path, e: rusqlite::Error) -> LedgerError {
    LedgerError::Store(StoreError::sqlite(path, e))
}

impl Ledger {
    pub(super) fn customer_from_row(r: &Row) -> rusqlite::Result<Customer> {
        Ok(Customer {
            account: r.get(0)?,
            name: r.get(1)?,
            address: r.get(2)?,
            currency: r.get(3)?,
            group: r.get(4)?,
            vendor_account: r.get(5)?,
            payment_hold: r.get(6)?,
            tax_id: r.get(7)?,
            iban: r.get::<_, Option<String>>(8)?.map(Iban::stored),
            bic: r.get::<_, Option<String>>(9)?.map(Bic::stored),
        })
    }

    pub(super) const CUSTOMER_COLUMNS: &'static str = customer_columns!();

    pub(super) fn vendor_from_row(r: &Row) -> rusqlite::Result<Vendor> {
        Ok(Vendor {
            account: r.get(0)?,
            name: r.get(1)?,
            address: r.get(2)?,
            group: r.get(3)?,
            currency: r.get(4)?,
            one_time: r.get(5)?,
            created_for: r.get(6)?,
            blocked: r.get(7)?,
            payment_terms: r.get(8)?,
            method_of_payment: r.get(9)?,
            tax_id: r.get(10)?,
            iban: r.get::<_, Option<String>>(11)?.map(Iban::stored),
            bic: r.get::<_, Option<String>>(12)?.map(Bic::stored),
        })
    }

    pub(super) const VENDOR_COLUMNS: &'static str = vendor_columns!();

    /// Checks that `sql` (a `SELECT 1 ... WHERE key = ?1`) finds a row; `what` names the thing
    /// that is not found otherwise.
    pub(super) fn require_row(&self, sql: &str, key: &str, what: &'static str) -> Res<()> {
        self.one_row(sql, [key], |r| r.get::<_, i64>(0), what, || key.to_string())
            .map(|_| ())
    }

    /// The one row `sql` finds for `params`, read by `row`; [`LedgerError::NotFound`] naming
    /// `what` and `key` when there is none.
    pub(super) fn one_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnOnce(&Row) -> rusqlite::Result<T>,
        what: &'static str,
        key: impl FnOnce() -> String,
    ) -> Res<T> {
        self.store
            .conn()
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params, row).optional())
            .map_err(|e| self.sql_err(e))?
            .ok_or_else(|| LedgerError::NotFound { what, key: key() })
    }
}

/// Executes `stmt` with a customer's fields bound as `?1` (account) to `?10`: the order in which
/// both the INSERT (`create_customer`) and the UPDATE (`update_customer`) of `customers` name
/// them, so a new field is bound in one place.
pub(super) fn execute_with_customer(stmt: &mut Statement, c: &Customer) -> rusqlite::Result<usize> {
    stmt.execute(params![
        c.account,
        c.name,
        c.address,
        c.currency,
        c.group,
        c.vendor_account,
        c.payment_hold,
        c.tax_id,
        c.iban.as_ref().map(Iban::as_str),
        c.bic.as_ref().map(Bic::as_str)
    ])
}

/// Executes `stmt` with a vendor's fields bound as `?1` (account) to `?13`: the order in which
/// both the INSERT (`insert_vendor`) and the UPDATE (`update_vendor`) of `vendors` name them.
pub(super) fn execute_with_vendor(stmt: &mut Statement, v: &Vendor) -> rusqlite::Result<usize> {
    stmt.execute(params![
        v.account,
        v.name,
        v.address,
        v.group,
        v.currency,
        v.one_time,
        v.created_for,
        v.blocked,
        v.payment_terms,
        v.method_of_payment,
        v.tax_id,
        v.iban.as_ref().map(Iban::as_str),
        v.bic.as_ref().map(Bic::as_str)
    ])
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::date_text;
    use crate::ledger::tests::day;

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        for (y, m, dd) in [
            (2026, 11, 30),
            (1, 1, 1),
            (0, 2, 29),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 3, 4),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, dd).unwrap();
            assert_eq!(date_text(date), date.format("%Y-%m-%d").to_string());
        }
        assert_eq!(date_text(day()), "2026-11-01");
    }
}
