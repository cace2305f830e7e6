//! The transaction cache ([`TransactionCache`]): what one write transaction has read or written
//! already, so that it does not read the same row twice, and the ledger's ways to fill it and keep
//! it in step with its own writes.
//!
//! It depends only on the store's transaction state and epoch; it must not read the database
//! itself (the callers read, then note what they read here).

use std::collections::{HashMap, HashSet};

use super::{Ledger, Res, Side, numbers};

/// How many customers, and how many vendors, the transaction cache keeps (it starts again empty
/// beyond): more than a page of customers, little memory.
const KNOWN_ROWS: usize = 4096;

/// Adds `key` to a set of the transaction cache, which starts again empty beyond [`KNOWN_ROWS`].
fn remember(known: &mut HashSet<String>, key: &str) {
    if known.len() >= KNOWN_ROWS && !known.contains(key) {
        known.clear();
    }
    known.insert(key.to_string());
}

/// What the ledger knows inside one write transaction without reading it again: number
/// sequences; the customers, vendors (with the vendor's blocked flag) and general-ledger accounts
/// seen to exist; and the open transactions of the account settled last. It belongs to the store's
/// epoch it was filled in; every commit and rollback (also to a savepoint) moves the epoch and so
/// empties it, and outside a transaction nothing is kept (another connection may write between
/// two statements). Within a transaction nothing else writes: the store's transactions are
/// `BEGIN IMMEDIATE`, the ledger is the only writer of these rows (open amounts change only in
/// `post_voucher` and `apply_settlement`), and it never deletes a customer, vendor or account nor
/// changes a vendor's blocked flag.
#[derive(Default)]
pub(super) struct TransactionCache {
    epoch: u64,
    /// Sequence name -> (prefix, width, next).
    pub(super) sequences: HashMap<String, numbers::SequenceState>,
    /// Customers known to exist (at most [`KNOWN_ROWS`]: memory stays flat over a long run).
    pub(super) customers: HashSet<String>,
    /// Vendors known to exist -> blocked.
    pub(super) vendors: HashMap<String, bool>,
    /// General-ledger accounts known to exist (a company has a handful; at most [`KNOWN_ROWS`]).
    pub(super) accounts: HashSet<String>,
    /// The open transactions of the account and currency settled last (one key only: memory stays
    /// flat), kept in step by the ledger's writes.
    pub(super) open: Option<OpenList>,
    /// Debit and credit totals (minor units) of the accounts and currencies posted to, as the
    /// `account_totals` table holds them (see [`control`](super::control)).
    pub(super) totals: HashMap<(String, String), (i64, i64)>,
    /// The next row id of vouchers, customer transactions and vendor transactions, once read
    /// (see [`super::ahead`]), kept in step by `post_voucher`.
    pub(super) next_rows: Option<[i64; 3]>,
}

/// The open transactions of one account in one currency: (id, open minor units, date), oldest
/// first (by date, then id), none with nothing open.
pub(super) struct OpenList {
    pub(super) side: Side,
    pub(super) account: String,
    pub(super) currency: String,
    pub(super) rows: Vec<OpenRow>,
}

/// One transaction of an [`OpenList`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OpenRow {
    /// The transaction's id.
    pub(super) id: i64,
    /// Its open amount in minor units (same sign as its amount), never zero in a list.
    pub(super) open: i64,
    /// Its date as stored (`YYYY-MM-DD`, so text order is date order).
    pub(super) date: String,
}

impl OpenList {
    pub(super) fn is(&self, side: Side, account: &str, currency: &str) -> bool {
        self.side == side && self.account == account && self.currency == currency
    }

    /// Checks, in debug builds, what the ledger relies on: oldest first (by date, then id), each
    /// transaction once, none with nothing open.
    pub(super) fn debug_check(&self) {
        debug_assert!(
            self.rows
                .windows(2)
                .all(|w| (&w[0].date, w[0].id) < (&w[1].date, w[1].id)),
            "open transactions of {} {} out of order: {:?}",
            self.account,
            self.currency,
            self.rows
        );
        debug_assert!(
            self.rows.iter().all(|row| row.open != 0),
            "a settled transaction kept as open"
        );
    }
}

impl Ledger {
    /// The transaction cache, emptied first unless it belongs to the current transaction; `None`
    /// outside a transaction, where nothing may be kept.
    pub(super) fn cache(&self) -> Option<std::cell::RefMut<'_, TransactionCache>> {
        if !self.store.in_transaction() {
            return None;
        }
        let mut cache = self.cache.borrow_mut();
        let epoch = self.store.epoch();
        if cache.epoch != epoch {
            *cache = TransactionCache {
                epoch,
                ..TransactionCache::default()
            };
        }
        Some(cache)
    }

    /// Notes in the transaction cache that customers exist.
    pub(super) fn known_customers<'a>(&self, accounts: impl IntoIterator<Item = &'a str>) {
        if let Some(mut cache) = self.cache() {
            for account in accounts {
                remember(&mut cache.customers, account);
            }
        }
    }

    /// [`Ledger::require_row`] once per transaction: a key found is kept in the set of the
    /// transaction cache that `known` picks.
    pub(super) fn require_known(
        &self,
        known: fn(&mut TransactionCache) -> &mut HashSet<String>,
        sql: &str,
        key: &str,
        what: &'static str,
    ) -> Res<()> {
        let mut cache = self.cache();
        if let Some(c) = cache.as_mut()
            && known(c).contains(key)
        {
            return Ok(());
        }
        self.require_row(sql, key, what)?;
        if let Some(c) = cache.as_mut() {
            remember(known(c), key);
        }
        Ok(())
    }

    /// Notes in the transaction cache that a vendor exists, and whether it is blocked.
    pub(super) fn known_vendor(&self, account: &str, blocked: bool) {
        if let Some(mut cache) = self.cache() {
            if cache.vendors.len() >= KNOWN_ROWS {
                cache.vendors.clear();
            }
            cache.vendors.insert(account.to_string(), blocked);
        }
    }

    /// Keeps the cached open transactions in step with a settlement of `minor` between `debit`
    /// and `credit` on `account`.
    pub(super) fn settled_in_cache(
        &self,
        side: Side,
        account: &str,
        debit: i64,
        credit: i64,
        minor: i64,
    ) {
        let Some(mut cache) = self.cache() else {
            return;
        };
        let Some(list) = cache.open.as_mut() else {
            return;
        };
        if list.side != side || list.account != account {
            return;
        }
        for row in &mut list.rows {
            if row.id == debit {
                row.open -= minor;
                debug_assert!(row.open >= 0, "debit #{debit} settled beyond what was open");
            } else if row.id == credit {
                row.open += minor;
                debug_assert!(
                    row.open <= 0,
                    "credit #{credit} settled beyond what was open"
                );
            }
        }
        list.rows.retain(|row| row.open != 0);
        list.debug_check();
    }

    /// Adds a transaction just posted to the cached open transactions of its account and currency.
    pub(super) fn posted_in_cache(
        &self,
        side: Side,
        account: &str,
        currency: &str,
        id: i64,
        minor: i64,
        date: &str,
    ) {
        let Some(mut cache) = self.cache() else {
            return;
        };
        let Some(list) = cache.open.as_mut() else {
            return;
        };
        if !list.is(side, account, currency) {
            return;
        }
        let at = list
            .rows
            .partition_point(|row| (row.date.as_str(), row.id) < (date, id));
        debug_assert!(minor != 0, "a transaction posted with nothing open");
        list.rows.insert(
            at,
            OpenRow {
                id,
                open: minor,
                date: date.to_string(),
            },
        );
        list.debug_check();
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::tests::{customer, ledger};
    use crate::ledger::{LedgerError, NewVendor};

    #[test]
    fn customers_and_vendors_known_in_a_transaction_are_forgotten_on_rollback() {
        let l = ledger();
        let store = l.store();
        store.begin().unwrap();
        store.savepoint("x").unwrap();
        let vendor = l
            .create_vendor(&NewVendor {
                name: "Once".into(),
                currency: "USD".into(),
                one_time: true,
                ..Default::default()
            })
            .unwrap();
        l.create_customer(&customer("C-2", "Two")).unwrap();
        l.link_vendor("C-2", Some(&vendor.account)).unwrap();
        store.rollback_to("x").unwrap();
        let err = l.link_vendor("C-1", Some(&vendor.account)).unwrap_err();
        assert!(
            matches!(err, LedgerError::NotFound { what: "vendor", .. }),
            "{err}"
        );
        let err = l.link_vendor("C-2", None).unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::NotFound {
                    what: "customer",
                    ..
                }
            ),
            "{err}"
        );
        store.rollback();
    }
}
