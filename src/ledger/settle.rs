//! Settlement: two transactions of one account settled against each other ([`Ledger::settle`]),
//! one against the account's open transactions ([`Ledger::settle_against_open`],
//! [`Ledger::settle_against_open_until`]), or all open debits against the open credits
//! ([`Ledger::settle_open_debits`]); never beyond what is open, never across accounts or
//! currencies, never dated before what it settles ([`not_before`]).
//!
//! It depends on the cache and the parties' lean checks; it must not depend on posting or the
//! reports.

use chrono::NaiveDate;
use rusqlite::params;
use rust_decimal::Decimal;

use super::cache::OpenRow;
use super::rows::date_text;
use super::settle_plan::{plan_against, plan_open_debits};
use super::{Ledger, LedgerError, OpenList, Res, SettlementRecord, Side, TransactionId, limits};

/// Refuses to settle transaction `id`, dated `txn_date`, on the settlement date `on` (both
/// YYYY-MM-DD, so text order is date order) when it is dated later: a settlement cannot come
/// before what it settles (a reimbursement dated before the payment it gives back).
pub(super) fn not_before(side: Side, id: i64, txn_date: &str, on: &str) -> Res<()> {
    // Stored dates are canonical `YYYY-MM-DD` in 1900..=9999 (`limits::book_date`): their text
    // order is the order of the days.
    debug_assert!(crate::dates::is_canonical(on), "{on}");
    if txn_date > on {
        return Err(LedgerError::Settlement(format!(
            "{} transaction #{id} is dated {txn_date}, after the settlement date {on} (a settlement cannot be dated before the transactions it settles)",
            side.name()
        )));
    }
    Ok(())
}

/// What settling needs of one transaction.
struct OpenState {
    /// The customer or vendor account.
    account: String,
    /// Its currency.
    currency: String,
    /// The open amount in minor units (same sign as the amount).
    open: i64,
    /// Its date as stored (`YYYY-MM-DD`).
    date: String,
}

/// Which open transactions [`Ledger::settle_against`] settles against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Against {
    /// Every open one; the transaction itself must not be dated after the settlement.
    AllOpen,
    /// Only those dated on or before the settlement; a later transaction settles nothing.
    DatedUntil,
}

impl Ledger {
    /// The account, currency, open minor units and date of one transaction (a lean read for
    /// settling).
    fn open_state(&self, side: Side, id: i64) -> Res<OpenState> {
        if let Some(list) = self.cache().as_ref().and_then(|c| c.open.as_ref())
            && list.side == side
            && let Some(row) = list.rows.iter().find(|row| row.id == id)
        {
            return Ok(OpenState {
                account: list.account.clone(),
                currency: list.currency.clone(),
                open: row.open,
                date: row.date.clone(),
            });
        }
        let sql = match side {
            Side::Customer => {
                "SELECT account, currency, open_minor, date FROM customer_transactions WHERE id = ?1"
            }
            Side::Vendor => {
                "SELECT account, currency, open_minor, date FROM vendor_transactions WHERE id = ?1"
            }
        };
        let state = self.one_row(
            sql,
            [id],
            |r| {
                Ok(OpenState {
                    account: r.get(0)?,
                    currency: r.get(1)?,
                    open: r.get(2)?,
                    date: r.get(3)?,
                })
            },
            "transaction",
            || format!("{} #{id}", side.name()),
        )?;
        // A transaction missing from the cached open list of its account is settled in full.
        debug_assert!(
            state.open == 0
                || !self
                    .cache()
                    .as_ref()
                    .and_then(|c| c.open.as_ref())
                    .is_some_and(|list| list.is(side, &state.account, &state.currency)),
            "{} #{id} is open but missing from the cached open transactions",
            side.name()
        );
        Ok(state)
    }

    /// The open amount (in minor units) of one transaction.
    pub fn open_minor<T: TransactionId>(&self, id: T) -> Res<i64> {
        Ok(self.open_state(T::SIDE, id.row())?.open)
    }

    /// Settles two open transactions of one account against each other: one debit, one credit,
    /// same account, same currency. `amount` (positive) defaults to the most that can be settled;
    /// it may not exceed either open remainder. Returns the amount settled.
    ///
    /// Both ids are of one type `T`, so a customer transaction cannot be settled against a vendor
    /// one: `settle(customer_a, vendor_b, ..)` does not compile.
    pub fn settle<T: TransactionId>(
        &self,
        first: T,
        second: T,
        amount: Option<Decimal>,
        date: NaiveDate,
    ) -> Res<Decimal> {
        self.settle_pair(T::SIDE, first.row(), second.row(), amount, date)
    }

    /// The body of [`Ledger::settle`], on `side`'s rows `first` and `second`.
    fn settle_pair(
        &self,
        side: Side,
        first: i64,
        second: i64,
        amount: Option<Decimal>,
        date: NaiveDate,
    ) -> Res<Decimal> {
        let OpenState {
            account: a_account,
            currency: a_currency,
            open: a_open,
            date: a_date,
        } = self.open_state(side, first)?;
        let OpenState {
            account: b_account,
            currency: b_currency,
            open: b_open,
            date: b_date,
        } = self.open_state(side, second)?;
        let on = limits::book_date(date)?;
        not_before(side, first, &a_date, &on)?;
        not_before(side, second, &b_date, &on)?;
        if a_account != b_account {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} and #{second} belong to different accounts ({a_account} and {b_account})"
            )));
        }
        if a_currency != b_currency {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} ({a_currency}) and #{second} ({b_currency}) are in different currencies"
            )));
        }
        let currency = self.currency(&a_currency)?;
        let ((debit, debit_open), (credit, credit_open)) = if a_open > 0 && b_open < 0 {
            ((first, a_open), (second, b_open))
        } else if b_open > 0 && a_open < 0 {
            ((second, b_open), (first, a_open))
        } else {
            return Err(LedgerError::Settlement(format!(
                "transactions #{first} (open {}) and #{second} (open {}) are not an open debit and an open credit",
                currency.from_minor(a_open),
                currency.from_minor(b_open)
            )));
        };
        let most = debit_open.min(-credit_open);
        let minor = match amount {
            None => most,
            Some(amount) => {
                if amount <= Decimal::ZERO {
                    return Err(LedgerError::Settlement(format!(
                        "the amount to settle must be positive, not {amount}"
                    )));
                }
                let minor = currency.to_minor(amount)?;
                if minor > most {
                    return Err(LedgerError::Settlement(format!(
                        "{amount} {} is more than is open (debit #{debit} open {}, credit #{credit} open {})",
                        currency.code,
                        currency.from_minor(debit_open),
                        currency.from_minor(credit_open)
                    )));
                }
                minor
            }
        };
        debug_assert!(0 < minor && minor <= debit_open && minor <= -credit_open);
        self.apply_settlement(side, &a_account, debit, credit, minor, date)?;
        Ok(currency.from_minor(minor))
    }

    /// Writes a checked settlement: both open amounts move toward zero by `minor`.
    fn apply_settlement(
        &self,
        side: Side,
        account: &str,
        debit: i64,
        credit: i64,
        minor: i64,
        date: NaiveDate,
    ) -> Res<()> {
        if cfg!(debug_assertions) {
            self.debug_check_within_open(side, account, debit, credit, minor);
        }
        let conn = self.store.conn();
        let (update, insert) = match side {
            Side::Customer => (
                "UPDATE customer_transactions SET open_minor = open_minor + ?2 WHERE id = ?1",
                "INSERT INTO customer_settlements(debit_id, credit_id, amount_minor, date, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            ),
            Side::Vendor => (
                "UPDATE vendor_transactions SET open_minor = open_minor + ?2 WHERE id = ?1",
                "INSERT INTO vendor_settlements(debit_id, credit_id, amount_minor, date, run_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            ),
        };
        let result = (|| -> rusqlite::Result<()> {
            conn.prepare_cached(update)?
                .execute(params![debit, -minor])?;
            conn.prepare_cached(update)?
                .execute(params![credit, minor])?;
            conn.prepare_cached(insert)?.execute(params![
                debit,
                credit,
                minor,
                date_text(date),
                self.run_id.get()
            ])?;
            Ok(())
        })();
        result.map_err(|e| self.sql_err(e))?;
        self.settled_in_cache(side, account, debit, credit, minor);
        self.journal
            .borrow_mut()
            .settlements
            .push(SettlementRecord {
                side,
                account: account.to_string(),
                debit,
                credit,
                minor,
            });
        Ok(())
    }

    /// Checks, in debug builds, that a settlement of `minor` is positive and no more than is open
    /// on either side, as far as the transaction cache knows the two transactions (the schema's
    /// CHECK constraints hold it in the database too).
    fn debug_check_within_open(
        &self,
        side: Side,
        account: &str,
        debit: i64,
        credit: i64,
        minor: i64,
    ) {
        debug_assert!(minor > 0, "a settlement of {minor} minor units");
        let Some(cache) = self.cache() else {
            return;
        };
        let Some(list) = cache.open.as_ref() else {
            return;
        };
        if list.side != side || list.account != account {
            return;
        }
        for &OpenRow { id, open, .. } in &list.rows {
            if id == debit {
                debug_assert!(open >= minor, "debit #{debit} open {open}, settled {minor}");
            } else if id == credit {
                debug_assert!(
                    -open >= minor,
                    "credit #{credit} open {open}, settled {minor}"
                );
            }
        }
    }

    /// The open transactions (id, open minor units) of an account in one currency, oldest first.
    #[cfg(test)]
    fn open_ids(&self, side: Side, account: &str, currency: &str) -> Res<Vec<(i64, i64)>> {
        Ok(self
            .open_rows(side, account, currency)?
            .into_iter()
            .map(|row| (row.id, row.open))
            .collect())
    }

    /// The open transactions (id, open minor units, date) of an account in one currency, oldest
    /// first.
    fn open_rows(&self, side: Side, account: &str, currency: &str) -> Res<Vec<OpenRow>> {
        if let Some(list) = self.cache().as_ref().and_then(|c| c.open.as_ref())
            && list.is(side, account, currency)
        {
            return Ok(list.rows.clone());
        }
        // Sorted here, not by `ORDER BY`: an account has a handful of open transactions, and
        // SQLite would build a temporary sorter for each call.
        let sql = match side {
            Side::Customer => {
                "SELECT id, open_minor, date FROM customer_transactions WHERE account = ?1 AND currency = ?2 AND open_minor <> 0"
            }
            Side::Vendor => {
                "SELECT id, open_minor, date FROM vendor_transactions WHERE account = ?1 AND currency = ?2 AND open_minor <> 0"
            }
        };
        let mut rows: Vec<OpenRow> = self
            .store
            .conn()
            .prepare_cached(sql)
            .and_then(|mut s| {
                s.query_map([account, currency], |r| {
                    Ok(OpenRow {
                        id: r.get(0)?,
                        open: r.get(1)?,
                        date: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        // Dates are stored as YYYY-MM-DD, so text order is date order.
        rows.sort_unstable_by(|a, b| (&a.date, a.id).cmp(&(&b.date, b.id)));
        if let Some(mut cache) = self.cache() {
            let list = OpenList {
                side,
                account: account.to_string(),
                currency: currency.to_string(),
                rows: rows.clone(),
            };
            list.debug_check();
            cache.open = Some(list);
        }
        Ok(rows)
    }

    /// Settles one transaction against the open transactions of the opposite sign on the same
    /// account and currency, oldest first, until it is settled or nothing is left. Returns the
    /// amount settled.
    pub fn settle_against_open<T: TransactionId>(&self, id: T, date: NaiveDate) -> Res<Decimal> {
        self.settle_against(T::SIDE, id.row(), date, Against::AllOpen)
    }

    /// Like [`Ledger::settle_against_open`], but only against transactions dated on or before
    /// `date` (the later ones are left open, not an error): what `pay` settles an invoice against
    /// before it pays what is left.
    pub fn settle_against_open_until<T: TransactionId>(
        &self,
        id: T,
        date: NaiveDate,
    ) -> Res<Decimal> {
        self.settle_against(T::SIDE, id.row(), date, Against::DatedUntil)
    }

    /// The body of both: `against` says whether a transaction dated after `date` is an error
    /// (and every open one is a counterpart) or is left out.
    fn settle_against(
        &self,
        side: Side,
        id: i64,
        date: NaiveDate,
        against: Against,
    ) -> Res<Decimal> {
        let on = limits::book_date(date)?;
        let OpenState {
            account,
            currency,
            open,
            date: txn_date,
        } = self.open_state(side, id)?;
        let c = self.currency(&currency)?;
        if open == 0 || (against == Against::DatedUntil && txn_date > on) {
            return Ok(c.from_minor(0));
        }
        not_before(side, id, &txn_date, &on)?;
        let mut others = self.open_rows(side, &account, &currency)?;
        if against == Against::DatedUntil {
            others.retain(|other| other.date <= on);
        }
        Ok(c.from_minor(self.settle_with(side, &account, (id, open), &others, date)?))
    }

    /// Settles `(id, open)` against `others` (oldest first) as far as it goes; minor units settled.
    fn settle_with(
        &self,
        side: Side,
        account: &str,
        (id, open): (i64, i64),
        others: &[OpenRow],
        date: NaiveDate,
    ) -> Res<i64> {
        let plan = plan_against(side, (id, open), others, &date_text(date))?;
        let mut settled = 0;
        for p in &plan {
            self.apply_settlement(side, account, p.debit, p.credit, p.minor, date)?;
            settled += p.minor;
        }
        debug_assert!(settled <= open.abs());
        Ok(settled)
    }

    /// Settles an account's open debits against its open credits in one currency, oldest first
    /// (the `net` policy). Returns the amount settled.
    pub fn settle_open_debits(
        &self,
        side: Side,
        account: &str,
        currency: &str,
        date: NaiveDate,
    ) -> Res<Decimal> {
        let c = self.currency(currency)?;
        // An account that does not exist is an error, not "nothing to settle".
        match side {
            Side::Customer => self.check_customer(account)?,
            Side::Vendor => {
                self.vendor_blocked(account)?;
            }
        }
        let on = limits::book_date(date)?;
        let open = self.open_rows(side, account, currency)?;
        let mut settled = 0;
        for p in plan_open_debits(side, &open, &on)? {
            self.apply_settlement(side, account, p.debit, p.credit, p.minor, date)?;
            settled += p.minor;
        }
        Ok(c.from_minor(settled))
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use crate::ledger::tests::{d, day, dump, ledger, opening};
    use crate::ledger::{Ledger, Side};

    #[test]
    fn over_settlement_is_refused_and_writes_nothing() {
        let l = ledger();
        let inv = opening(&l, "C-1", "100.00", "INV-1");
        let pay = opening(&l, "C-1", "-30.00", "PAY-1");
        let before = dump(&l);
        let e = l.settle(inv, pay, Some(d("30.01")), day()).unwrap_err();
        assert!(e.to_string().contains("more than is open"), "{e}");
        assert_eq!(dump(&l), before);
        let e = l.settle(inv, inv, None, day()).unwrap_err();
        assert!(
            e.to_string()
                .contains("not an open debit and an open credit")
        );
        assert_eq!(
            l.settle(inv, pay, None, day()).unwrap().to_string(),
            "30.00"
        );
        let open = l.open_transactions(Side::Customer, "C-1", None).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].open.to_string(), "70.00");
        let b = l.balances(Side::Customer, "C-1").unwrap();
        assert_eq!(b[0].balance.to_string(), "70.00");
        // A fully settled credit cannot be settled again.
        assert!(l.settle(inv, pay, None, day()).is_err());
    }

    #[test]
    fn settle_open_debits_nets_oldest_first() {
        let l = ledger();
        opening(&l, "C-1", "-40.00", "PAY-1");
        opening(&l, "C-1", "25.00", "INV-1");
        opening(&l, "C-1", "-20.00", "CN-1");
        let settled = l
            .settle_open_debits(Side::Customer, "C-1", "USD", day())
            .unwrap();
        assert_eq!(settled.to_string(), "25.00");
        let b = &l.balances(Side::Customer, "C-1").unwrap()[0];
        assert_eq!(b.open_debit, Decimal::ZERO);
        assert_eq!(b.open_credit.to_string(), "-35.00");
        assert_eq!(b.balance.to_string(), "-35.00");
    }

    /// An account's open transactions as the database has them: (id, open), oldest first.
    fn open_in_db(l: &Ledger, account: &str) -> Vec<(i64, i64)> {
        l.store()
            .conn()
            .prepare(
                "SELECT id, open_minor FROM customer_transactions
                 WHERE account = ?1 AND currency = 'USD' AND open_minor <> 0 ORDER BY date, id",
            )
            .unwrap()
            .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn open_transactions_kept_in_a_transaction_follow_postings_settlements_and_rollbacks() {
        let l = ledger();
        let store = l.store();
        let same = |l: &Ledger| {
            assert_eq!(
                l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
                open_in_db(l, "C-1")
            )
        };
        store.begin().unwrap();
        opening(&l, "C-1", "100.00", "INV-1");
        let cr1 = opening(&l, "C-1", "-30.00", "CR-1");
        let cr2 = opening(&l, "C-1", "-120.00", "CR-2");
        same(&l);
        // INV-1 is netted against CR-1 and 70.00 of CR-2.
        let settled = l
            .settle_open_debits(Side::Customer, "C-1", "USD", day())
            .unwrap();
        assert_eq!(settled, d("100.00"));
        assert_eq!(
            l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
            vec![(cr2.row(), -5000)]
        );
        same(&l);
        // A transaction posted after the list was read joins it.
        let debit = opening(&l, "C-1", "40.00", "RMB-1");
        same(&l);
        store.savepoint("x").unwrap();
        let settled = l.settle_against_open(debit, day()).unwrap();
        assert_eq!(settled, d("40.00"));
        assert_eq!(l.open_minor(debit).unwrap(), 0);
        same(&l);
        // The rollback undoes the settlement, and the ledger must not remember it.
        store.rollback_to("x").unwrap();
        assert_eq!(l.open_minor(debit).unwrap(), 4000);
        assert_eq!(l.open_minor(cr1).unwrap(), 0);
        same(&l);
        let settled = l.settle_against_open(debit, day()).unwrap();
        assert_eq!(settled, d("40.00"));
        assert_eq!(
            l.open_ids(Side::Customer, "C-1", "USD").unwrap(),
            vec![(cr2.row(), -1000)]
        );
        same(&l);
        store.commit().unwrap();
        same(&l);
    }

    #[test]
    fn a_settlement_cannot_be_dated_before_what_it_settles() {
        let l = ledger();
        l.store().begin().unwrap();
        let invoice = opening(&l, "C-1", "100.00", "INV-1");
        let credit = opening(&l, "C-1", "-30.00", "CR-1");
        let before = day().pred_opt().unwrap();
        let refused = "is dated 2026-11-01, after the settlement date 2026-10-31";
        for err in [
            l.settle(invoice, credit, None, before),
            l.settle_against_open(invoice, before),
            l.settle_open_debits(Side::Customer, "C-1", "USD", before),
        ] {
            let err = err.unwrap_err().to_string();
            assert!(err.contains(refused), "{err}");
        }
        assert_eq!(l.open_minor(credit).unwrap(), -3000);
        // On the day itself it settles.
        let settled = l.settle_against_open(invoice, day()).unwrap();
        assert_eq!(settled, d("30.00"));
    }
}
