//! Control accounts and account totals: the general ledger and the sub-ledgers agree.
//!
//! - The receivables and payables summary accounts are *control accounts*: they take lines only
//!   through customer and vendor lines ([`Target::Customer`](super::Target),
//!   [`Target::Vendor`](super::Target)), which post to the summary account and the sub-ledger
//!   together. [`Ledger::post_voucher`] refuses a plain general-ledger line on either, whoever
//!   posts (a script, the REPL, an import, a fixture, the process), so each control account's
//!   balance per currency always equals the sum of its sub-ledger ([`Ledger::control_disagreements`]
//!   checks it).
//! - The control accounts are recorded in the database at its first open; parameters that name
//!   others are refused at open ([`LedgerError::ControlAccountChanged`]), as changed currency
//!   decimals are.
//! - Every account's debits and credits per currency are totalled as they are written (the
//!   `account_totals` table, kept by a trigger) and bounded by [`MAX_ACCOUNT_TOTAL`] (runs and
//!   payments by [`MAX_PROCESS_TOTAL`], which they cannot reach): the posting that would pass the
//!   bound is refused. Every sum the ledger's reports compute (an account's
//!   balance, a customer's or vendor's balance and open amounts, which are parts of a control
//!   account's lines) has partial sums between minus the credits and plus the debits of one account,
//!   so no sum can overflow 64 bits and no accepted posting can make a later report fail.

use std::collections::BTreeMap;
use std::fmt;

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Ledger, LedgerError, Res};
use crate::parameters::Parameters;

/// The most one general-ledger account may hold in one currency of debits, and of credits, in
/// minor units (10^18: 1,000 of the largest amounts, `money::MAX_MINOR`; ten quadrillion of a
/// currency with two decimals), for every posting but those of reimbursement runs and payments.
pub const MAX_ACCOUNT_TOTAL: i64 = 1_000_000_000_000_000_000;

/// The bound for the postings of reimbursement runs and payments ([`PostingBound::Process`]):
/// twice [`MAX_ACCOUNT_TOTAL`], so that a run or a payment never fails on the bound. A run's
/// invoices debit receivables and credit payables by no more than the customers' credits (each is
/// settled against them), which other postings bound by [`MAX_ACCOUNT_TOTAL`]; a payment debits
/// payables and credits the bank by no more than those invoices. So the process adds at most
/// [`MAX_ACCOUNT_TOTAL`] to any total, and every total stays below `i64::MAX` (about
/// 9.2 × 10^18): every sum a report computes stays in 64 bits.
pub const MAX_PROCESS_TOTAL: i64 = 2 * MAX_ACCOUNT_TOTAL;

const _: () = assert!(MAX_PROCESS_TOTAL < i64::MAX / 2);

/// Which bound [`Ledger::post_voucher`] holds account totals to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostingBound {
    /// Scripts, the REPL, imports, fixtures: [`MAX_ACCOUNT_TOTAL`].
    #[default]
    Books,
    /// A reimbursement run or a payment: [`MAX_PROCESS_TOTAL`].
    Process,
}

impl PostingBound {
    /// The bound, in minor units.
    pub fn max(self) -> i64 {
        match self {
            PostingBound::Books => MAX_ACCOUNT_TOTAL,
            PostingBound::Process => MAX_PROCESS_TOTAL,
        }
    }
}

/// Holds a ledger's postings to [`PostingBound::Process`] while it lives; the bound before is
/// back when it is dropped.
pub struct ProcessPostings<'l> {
    ledger: &'l Ledger,
    before: PostingBound,
}

impl Drop for ProcessPostings<'_> {
    fn drop(&mut self) {
        self.ledger.bound.set(self.before);
    }
}

/// The debit and credit totals of the accounts and currencies a voucher posts to, once posted.
pub(super) type NewTotals = Vec<((String, String), (i64, i64))>;

/// Which control account: the receivables or the payables summary account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlRole {
    /// `accounts.receivables`: the sum of the customers.
    Receivables,
    /// `accounts.payables`: the sum of the vendors.
    Payables,
}

impl ControlRole {
    /// Both roles.
    pub const ALL: [ControlRole; 2] = [ControlRole::Receivables, ControlRole::Payables];

    /// `receivables` or `payables` (the parameter's key, and the stored role).
    pub fn key(self) -> &'static str {
        match self {
            ControlRole::Receivables => "receivables",
            ControlRole::Payables => "payables",
        }
    }

    /// `customer` or `vendor`: whose lines move the account.
    pub fn party(self) -> &'static str {
        match self {
            ControlRole::Receivables => "customer",
            ControlRole::Payables => "vendor",
        }
    }

    /// The account the parameters name for this role.
    pub fn account(self, params: &Parameters) -> &str {
        match self {
            ControlRole::Receivables => &params.accounts.receivables,
            ControlRole::Payables => &params.accounts.payables,
        }
    }

    fn transactions(self) -> &'static str {
        match self {
            ControlRole::Receivables => "customer_transactions",
            ControlRole::Payables => "vendor_transactions",
        }
    }
}

impl fmt::Display for ControlRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Debits or credits: which total of an account would pass [`MAX_ACCOUNT_TOTAL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalSide {
    /// The sum of the positive lines.
    Debits,
    /// The sum of the negative lines (as a positive number).
    Credits,
}

impl fmt::Display for TotalSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TotalSide::Debits => "debits",
            TotalSide::Credits => "credits",
        })
    }
}

/// A control account whose balance in a currency is not the sum of its sub-ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// Receivables or payables.
    pub role: ControlRole,
    /// The general-ledger account.
    pub account: String,
    /// Currency.
    pub currency: String,
    /// The general-ledger balance.
    pub general_ledger: Decimal,
    /// The sum of the customers' (or vendors') transactions.
    pub sub_ledger: Decimal,
}

/// The control accounts a database keeps, by role; the roles not recorded yet are absent.
fn stored_control_accounts(conn: &Connection) -> rusqlite::Result<BTreeMap<String, String>> {
    conn.prepare("SELECT role, account FROM control_accounts")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Records the control accounts of `roles` as the parameters name them.
pub(super) fn record_control_accounts(
    conn: &Connection,
    params: &Parameters,
    roles: &[ControlRole],
) -> rusqlite::Result<()> {
    for role in roles {
        conn.execute(
            "INSERT INTO control_accounts(role, account) VALUES (?1, ?2)",
            params![role.key(), role.account(params)],
        )?;
    }
    Ok(())
}

impl Ledger {
    /// Holds postings to [`PostingBound::Process`] until the guard is dropped: for the
    /// reimbursement run and `pay` only (see [`MAX_PROCESS_TOTAL`] for why that is safe).
    pub fn process_postings(&self) -> ProcessPostings<'_> {
        let before = self.bound.replace(PostingBound::Process);
        ProcessPostings {
            ledger: self,
            before,
        }
    }

    /// Checks the parameters' control accounts against those the database keeps: an error when
    /// one changed; the roles not recorded yet (a database from before they were), which the
    /// caller records unless the database is read-only.
    pub(super) fn unrecorded_control_accounts(&self) -> Res<Vec<ControlRole>> {
        let conn = self.store.conn();
        let stored = stored_control_accounts(conn).map_err(|e| self.sql_err(e))?;
        let mut missing = Vec::new();
        for role in ControlRole::ALL {
            let given = role.account(&self.params);
            match stored.get(role.key()) {
                Some(kept) if kept != given => {
                    return Err(LedgerError::ControlAccountChanged {
                        role,
                        stored: kept.clone(),
                        given: given.to_string(),
                    });
                }
                Some(_) => {}
                None => missing.push(role),
            }
        }
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            missing.clear();
        }
        Ok(missing)
    }

    /// The control role of a general-ledger account, if it is one.
    pub fn control_role(&self, account: &str) -> Option<ControlRole> {
        ControlRole::ALL
            .into_iter()
            .find(|role| role.account(&self.params) == account)
    }

    /// Refuses a plain general-ledger line on a control account.
    pub(super) fn refuse_control_line(&self, account: &str) -> Res<()> {
        match self.control_role(account) {
            Some(role) => Err(LedgerError::ControlAccount {
                account: account.to_string(),
                role,
            }),
            None => Ok(()),
        }
    }

    /// Refuses lines (account, currency, minor units) that would take an account's debits or
    /// credits in a currency past the bound ([`MAX_ACCOUNT_TOTAL`], or [`MAX_PROCESS_TOTAL`] in
    /// a run or a payment). Returns the totals once they are posted, for
    /// [`Ledger::totals_posted`].
    pub(super) fn check_account_totals<'a>(
        &self,
        lines: impl Iterator<Item = (&'a str, &'a str, i64)>,
    ) -> Res<NewTotals> {
        let mut adds: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
        for (account, currency, minor) in lines {
            let add = adds.entry((account, currency)).or_default();
            if minor > 0 {
                add.0 = add.0.saturating_add(minor);
            } else {
                add.1 = add.1.saturating_add(minor.saturating_neg());
            }
        }
        let mut new_totals = Vec::with_capacity(adds.len());
        for ((account, currency), (debits, credits)) in adds {
            let (had_debits, had_credits) = self.account_totals(account, currency)?;
            let max = self.bound.get().max();
            for (side, had, add) in [
                (TotalSide::Debits, had_debits, debits),
                (TotalSide::Credits, had_credits, credits),
            ] {
                if had.saturating_add(add) > max {
                    return Err(LedgerError::TotalTooLarge {
                        account: account.to_string(),
                        currency: currency.to_string(),
                        side,
                        max: self.amount(currency, max)?,
                        minor: max,
                        had: self.amount(currency, had)?,
                    });
                }
            }
            new_totals.push((
                (account.to_string(), currency.to_string()),
                (had_debits + debits, had_credits + credits),
            ));
        }
        Ok(new_totals)
    }

    /// The debit and credit totals of an account in a currency (minor units), from the
    /// transaction cache when this transaction has read or posted them.
    fn account_totals(&self, account: &str, currency: &str) -> Res<(i64, i64)> {
        let key = (account.to_string(), currency.to_string());
        if let Some(&totals) = self.cache().as_ref().and_then(|c| c.totals.get(&key)) {
            return Ok(totals);
        }
        let totals = self
            .store
            .conn()
            .prepare_cached(
                "SELECT debit_minor, credit_minor FROM account_totals
                 WHERE account = ?1 AND currency = ?2",
            )
            .and_then(|mut s| {
                s.query_row([account, currency], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.sql_err(e))?
            .unwrap_or((0, 0));
        if let Some(mut cache) = self.cache() {
            cache.totals.insert(key, totals);
        }
        Ok(totals)
    }

    /// Keeps the cached totals in step with a voucher just posted (the `account_totals` trigger
    /// added its lines to the table).
    pub(super) fn totals_posted(&self, totals: NewTotals) {
        if let Some(mut cache) = self.cache() {
            cache.totals.extend(totals);
        }
    }

    /// The control accounts whose balance in a currency differs from the sum of their sub-ledger
    /// (none, for sound books: [`Ledger::post_voucher`] refuses every line that could make one).
    pub fn control_disagreements(&self) -> Res<Vec<Disagreement>> {
        let mut found = Vec::new();
        for role in ControlRole::ALL {
            let account = role.account(&self.params);
            let sql = format!(
                "SELECT currency, SUM(gl), SUM(sub) FROM (
                     SELECT currency, amount_minor AS gl, 0 AS sub FROM gl_lines
                     WHERE account = ?1
                     UNION ALL
                     SELECT currency, 0, amount_minor FROM {}
                 ) GROUP BY currency ORDER BY currency",
                role.transactions()
            );
            let rows: Vec<(String, i64, i64)> = self
                .store
                .conn()
                .prepare(&sql)
                .and_then(|mut s| {
                    s.query_map([account], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect()
                })
                .map_err(|e| self.sql_err(e))?;
            for (currency, gl, sub) in rows.into_iter().filter(|(_, gl, sub)| gl != sub) {
                found.push(Disagreement {
                    role,
                    account: account.to_string(),
                    general_ledger: self.amount(&currency, gl)?,
                    sub_ledger: self.amount(&currency, sub)?,
                    currency,
                });
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::ledger::tests::{customer, sample_company};
    use crate::ledger::{LineDraft, Target, VoucherDraft};
    use crate::store::Store;

    fn ledger() -> Ledger {
        let l = Ledger::new(Store::in_memory().unwrap(), sample_company().params).unwrap();
        l.create_customer(&customer("C-1", "One")).unwrap();
        l
    }

    /// A voucher of `amount` USD on customer C-1 against the bank (1000).
    fn to_customer(amount: Decimal) -> VoucherDraft {
        let line = |target, amount| LineDraft {
            target,
            currency: "USD".into(),
            amount,
            document: None,
            kind: None,
        };
        VoucherDraft {
            sequence: "opening".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            description: "test".into(),
            lines: vec![
                line(Target::Customer("C-1".into()), amount),
                line(Target::Account("1000".into()), -amount),
            ],
        }
    }

    #[test]
    fn a_line_on_the_control_account_alone_is_a_disagreement() {
        let l = ledger();
        l.post_voucher(&to_customer(Decimal::new(-5000, 2)))
            .unwrap();
        assert_eq!(l.control_disagreements().unwrap(), vec![]);
        // What post_voucher refuses, written behind its back.
        l.store
            .conn()
            .execute_batch(
                "INSERT INTO voucher_lines(voucher_id, account, currency, amount_minor)
                 VALUES (1, '1200', 'USD', -700), (1, '1000', 'USD', 700)",
            )
            .unwrap();
        assert_eq!(
            l.control_disagreements().unwrap(),
            vec![Disagreement {
                role: ControlRole::Receivables,
                account: "1200".into(),
                currency: "USD".into(),
                general_ledger: Decimal::new(-5700, 2),
                sub_ledger: Decimal::new(-5000, 2),
            }]
        );
    }

    #[test]
    fn runs_and_payments_have_room_beyond_the_bound_of_other_postings() {
        let l = ledger();
        let largest = Decimal::new(crate::money::MAX_MINOR, 2);
        for _ in 0..1000 {
            l.post_voucher(&to_customer(largest)).unwrap();
        }
        let e = l
            .post_voucher(&to_customer(Decimal::new(1, 2)))
            .unwrap_err();
        assert!(
            matches!(e, LedgerError::TotalTooLarge { minor, .. } if minor == MAX_ACCOUNT_TOTAL),
            "{e}"
        );
        {
            let _process = l.process_postings();
            l.post_voucher(&to_customer(largest)).unwrap();
        }
        // The guard is gone: the bound of other postings again.
        assert!(l.post_voucher(&to_customer(Decimal::new(1, 2))).is_err());
    }

    #[test]
    fn totals_kept_in_a_transaction_follow_its_postings_and_rollbacks() {
        let l = ledger();
        let largest = Decimal::new(crate::money::MAX_MINOR, 2);
        l.store.begin().unwrap();
        for _ in 0..999 {
            l.post_voucher(&to_customer(largest)).unwrap();
        }
        // A savepoint whose postings are rolled back: the totals read again from the table.
        l.store.begin().unwrap();
        l.post_voucher(&to_customer(largest)).unwrap();
        assert!(l.post_voucher(&to_customer(Decimal::new(1, 2))).is_err());
        l.store.rollback();
        l.post_voucher(&to_customer(largest - Decimal::new(1, 2)))
            .unwrap();
        l.post_voucher(&to_customer(Decimal::new(1, 2))).unwrap();
        assert!(l.post_voucher(&to_customer(Decimal::new(1, 2))).is_err());
        l.store.commit().unwrap();
        let stored: (i64, i64) = l
            .store
            .conn()
            .query_row(
                "SELECT debit_minor, credit_minor FROM account_totals WHERE account = '1200'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(stored, (MAX_ACCOUNT_TOTAL, 0));
    }
}
