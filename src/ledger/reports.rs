//! What the books say: balances per account and currency, every account's balances, the
//! sub-ledger transactions (open, all, by document, by id), the trial balance, how many
//! customers there are, and whether a run exists.
//!
//! Reads only: it must not write, nor depend on posting or settling.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::Row;
use rust_decimal::Decimal;

use super::rows::stored_date;
use super::{
    AccountBalance, Balance, Ledger, LedgerError, Res, RunId, Side, Transaction, TransactionId,
    TrialBalanceRow,
};
use crate::bank::Iban;

/// Which transactions a query selects.
#[derive(Debug, Clone, Copy)]
enum TxFilter {
    Account,
    Open,
    OpenInCurrency,
    Id,
    Document,
}

macro_rules! transactions_query {
    ($table:literal, $filter:literal) => {
        concat!(
            "SELECT t.id, t.account, v.number, t.date, t.document, t.type, t.currency, \
             t.amount_minor, t.open_minor FROM ",
            $table,
            " t JOIN vouchers v ON v.id = t.voucher_id WHERE ",
            $filter,
            " ORDER BY t.date, t.id"
        )
    };
}

/// The SQL of a transaction query, fixed at compile time (no formatting on the hot path).
fn transactions_sql(side: Side, filter: TxFilter) -> &'static str {
    macro_rules! both {
        ($filter:literal) => {
            match side {
                Side::Customer => transactions_query!("customer_transactions", $filter),
                Side::Vendor => transactions_query!("vendor_transactions", $filter),
            }
        };
    }
    match filter {
        TxFilter::Account => both!("t.account = ?1"),
        TxFilter::Open => both!("t.account = ?1 AND t.open_minor <> 0"),
        TxFilter::OpenInCurrency => {
            both!("t.account = ?1 AND t.currency = ?2 AND t.open_minor <> 0")
        }
        TxFilter::Id => both!("t.id = ?1"),
        TxFilter::Document => both!("t.account = ?1 AND t.document = ?2"),
    }
}

impl Ledger {
    /// Whether a run (of any kind) with this id was recorded.
    pub fn run_exists(&self, id: RunId) -> Res<bool> {
        self.store
            .conn()
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut s| s.exists([id]))
            .map_err(|e| self.sql_err(e))
    }

    /// How many customers there are: all, or those in `groups`.
    pub fn count_customers(&self, groups: Option<&[String]>) -> Res<u64> {
        let conn = self.store.conn();
        let n: i64 = match groups {
            Some(groups) => {
                let placeholders = vec!["?"; groups.len()].join(",");
                conn.query_row(
                    &format!(
                        "SELECT count(*) FROM customers WHERE customer_group IN ({placeholders})"
                    ),
                    rusqlite::params_from_iter(groups.iter()),
                    |r| r.get(0),
                )
            }
            None => conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)),
        }
        .map_err(|e| self.sql_err(e))?;
        Ok(n.max(0) as u64)
    }

    /// An account's balance per currency (currencies without transactions are left out).
    pub fn balances(&self, side: Side, account: &str) -> Res<Vec<Balance>> {
        let sql = format!(
            "SELECT currency, SUM(amount_minor),
                    SUM(CASE WHEN open_minor > 0 THEN open_minor ELSE 0 END),
                    SUM(CASE WHEN open_minor < 0 THEN open_minor ELSE 0 END),
                    MAX(CASE WHEN open_minor <> 0 THEN date END)
             FROM {} WHERE account = ?1 GROUP BY currency ORDER BY currency",
            side.transactions()
        );
        type Row = (String, i64, i64, i64, Option<String>);
        let rows: Vec<Row> = self
            .store
            .conn()
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.query_map([account], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(|(currency, bal, deb, cred, latest)| {
                Ok(Balance {
                    account: account.to_string(),
                    balance: self.amount(&currency, bal)?,
                    open_debit: self.amount(&currency, deb)?,
                    open_credit: self.amount(&currency, cred)?,
                    currency,
                    latest_open: stored_date(latest),
                })
            })
            .collect()
    }

    /// Every account's balance per currency, ordered by account and currency.
    pub fn all_balances(&self, side: Side) -> Res<Vec<AccountBalance>> {
        let (parties, key) = match side {
            Side::Customer => ("customers", "account"),
            Side::Vendor => ("vendors", "account"),
        };
        let sql = format!(
            "SELECT t.account, p.name, t.currency, SUM(t.amount_minor),
                    SUM(CASE WHEN t.open_minor > 0 THEN t.open_minor ELSE 0 END),
                    SUM(CASE WHEN t.open_minor < 0 THEN t.open_minor ELSE 0 END),
                    MAX(CASE WHEN t.open_minor <> 0 THEN t.date END), p.iban
             FROM {} t JOIN {parties} p ON p.{key} = t.account
             GROUP BY t.account, t.currency ORDER BY t.account, t.currency",
            side.transactions()
        );
        type Row = (
            String,
            String,
            String,
            (i64, i64, i64),
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = self
            .store
            .conn()
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        (r.get(3)?, r.get(4)?, r.get(5)?),
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(
                |(account, name, currency, (bal, deb, cred), latest, iban)| {
                    Ok(AccountBalance {
                        name,
                        iban: iban.map(Iban::stored),
                        balance: Balance {
                            account: account.clone(),
                            balance: self.amount(&currency, bal)?,
                            open_debit: self.amount(&currency, deb)?,
                            open_credit: self.amount(&currency, cred)?,
                            currency,
                            latest_open: stored_date(latest),
                        },
                    })
                },
            )
            .collect()
    }

    pub(super) fn transaction_from_row(
        &self,
        side: Side,
        r: &Row,
    ) -> rusqlite::Result<Transaction> {
        let currency: String = r.get(6)?;
        let decimals = self.currencies.get(&currency).map_or(0, |c| c.decimals);
        let date: String = r.get(3)?;
        Ok(Transaction {
            id: r.get(0)?,
            side,
            account: r.get(1)?,
            voucher: r.get(2)?,
            date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap_or_default(),
            document: r.get(4)?,
            kind: r.get(5)?,
            amount: Decimal::new(r.get(7)?, decimals),
            open: Decimal::new(r.get(8)?, decimals),
            currency,
        })
    }

    fn transactions_where(
        &self,
        side: Side,
        filter: TxFilter,
        args: &[&dyn rusqlite::ToSql],
    ) -> Res<Vec<Transaction>> {
        self.store
            .conn()
            .prepare_cached(transactions_sql(side, filter))
            .and_then(|mut s| {
                s.query_map(args, |r| self.transaction_from_row(side, r))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))
    }

    /// An account's open transactions (optionally in one currency), oldest first.
    pub fn open_transactions(
        &self,
        side: Side,
        account: &str,
        currency: Option<&str>,
    ) -> Res<Vec<Transaction>> {
        match currency {
            Some(c) => self.transactions_where(side, TxFilter::OpenInCurrency, &[&account, &c]),
            None => self.transactions_where(side, TxFilter::Open, &[&account]),
        }
    }

    /// All of an account's transactions, oldest first.
    pub fn transactions(&self, side: Side, account: &str) -> Res<Vec<Transaction>> {
        self.transactions_where(side, TxFilter::Account, &[&account])
    }

    /// An account's transactions with this document number, oldest first.
    pub fn transactions_by_document(
        &self,
        side: Side,
        account: &str,
        document: &str,
    ) -> Res<Vec<Transaction>> {
        self.transactions_where(side, TxFilter::Document, &[&account, &document])
    }

    /// One transaction by id.
    pub fn transaction<T: TransactionId>(&self, id: T) -> Res<Transaction> {
        let side = T::SIDE;
        self.transactions_where(side, TxFilter::Id, &[&id.row()])?
            .pop()
            .ok_or_else(|| LedgerError::NotFound {
                what: "transaction",
                key: format!("{} #{id}", side.name()),
            })
    }

    /// The trial balance: every general-ledger account's balance per currency, from the general
    /// ledger's lines (`gl_lines`: the plain lines and the customer and vendor transactions).
    pub fn trial_balance(&self) -> Res<Vec<TrialBalanceRow>> {
        let rows: Vec<(String, String, String, i64)> = self
            .store
            .conn()
            .prepare(
                "SELECT l.account, a.name, l.currency, SUM(l.amount_minor)
                 FROM gl_lines l JOIN gl_accounts a ON a.account = l.account
                 GROUP BY l.account, l.currency ORDER BY l.account, l.currency",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(|(account, name, currency, minor)| {
                Ok(TrialBalanceRow {
                    balance: self.amount(&currency, minor)?,
                    account,
                    name,
                    currency,
                })
            })
            .collect()
    }

    /// The trial balance's total per currency: zero in every currency for sound books.
    pub fn trial_balance_totals(&self) -> Res<BTreeMap<String, Decimal>> {
        let mut totals = BTreeMap::new();
        for row in self.trial_balance()? {
            *totals.entry(row.currency).or_insert(Decimal::ZERO) += row.balance;
        }
        Ok(totals)
    }
}
