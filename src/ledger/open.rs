//! Opening a ledger: [`Ledger::new`], [`Ledger::open`], [`Ledger::open_for_reading`], and the
//! check of the database against the parameters (currency decimals, control accounts) with the
//! records of the company's currencies, accounts and number sequences.
//!
//! It depends on the store and the parameters, and on [`super::control`] for the control
//! accounts; it must not depend on posting, settling or the reads.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use rusqlite::params;

use super::{
    ChangeOrigin, ControlRole, Journal, Ledger, LedgerError, PostingBound, Res, TransactionCache,
    control,
};
use crate::parameters::{Parameters, SequenceSettings};
use crate::store::Store;

impl Ledger {
    /// Opens the ledger over a company database: checks that the database agrees with the
    /// parameters (currency decimals) and records the company's accounts, currencies and number
    /// sequences where they are missing or changed.
    pub fn new(store: Store, params: Parameters) -> Res<Ledger> {
        let currencies = params
            .currencies
            .keys()
            .filter_map(|code| params.currency(code).map(|c| (code.clone(), c)))
            .collect();
        let ledger = Ledger {
            store,
            params,
            currencies,
            run_id: Cell::new(None),
            journal: RefCell::new(Journal::default()),
            origin: RefCell::new(ChangeOrigin::default()),
            cache: RefCell::new(TransactionCache::default()),
            bound: Cell::new(PostingBound::Books),
        };
        ledger.sync_setup()?;
        Ok(ledger)
    }

    /// Opens the company's database (from its parameters) as a ledger.
    pub fn open(company: &crate::parameters::Company) -> Res<Ledger> {
        Ledger::new(Store::open(&company.database_path)?, company.params.clone())
    }

    /// Opens the company's database to read it, also where its folder is read-only
    /// ([`Store::open_for_reading`]).
    pub fn open_for_reading(company: &crate::parameters::Company) -> Res<Ledger> {
        Ledger::new(
            Store::open_for_reading(&company.database_path)?,
            company.params.clone(),
        )
    }

    /// Checks the database against the parameters (currency decimals, control accounts) and
    /// records the company's currencies, accounts, number sequences and control accounts where
    /// they are missing or changed (in a transaction of its own unless one is open).
    fn sync_setup(&self) -> Res<()> {
        let stored = self.checked_currencies()?;
        let conn = self.store.conn();
        let sql = |e| self.sql_err(e);
        let accounts: HashMap<String, String> = conn
            .prepare("SELECT account, name FROM gl_accounts")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql)?;
        let sequences: HashMap<String, (String, u32)> = conn
            .prepare("SELECT name, prefix, width FROM number_sequences")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                    .collect::<Result<_, _>>()
            })
            .map_err(sql)?;
        let controls = self.unrecorded_control_accounts()?;
        let mut wanted_sequences: Vec<(&str, &SequenceSettings)> = self.params.sequences.all();
        wanted_sequences.push(("one_time_vendor", &self.params.one_time_vendor.sequence));
        let needs_write = !controls.is_empty()
            || self.currencies.keys().any(|c| !stored.contains_key(c))
            || self
                .params
                .accounts
                .all()
                .iter()
                .any(|(a, _)| !accounts.contains_key(*a))
            || wanted_sequences
                .iter()
                .any(|(name, s)| sequences.get(*name) != Some(&(s.prefix.clone(), s.width)));
        if !needs_write {
            return Ok(());
        }
        let own_transaction = !self.store.in_transaction();
        if own_transaction {
            self.store.begin()?;
        }
        match self.record_setup(&wanted_sequences, &controls) {
            Ok(()) if own_transaction => Ok(self.store.commit()?),
            Ok(()) => Ok(()),
            Err(e) => {
                if own_transaction {
                    self.store.rollback();
                }
                Err(self.sql_err(e))
            }
        }
    }

    /// The currencies the database records (code -> decimals), once checked to have the decimals
    /// the parameters give those of the company.
    fn checked_currencies(&self) -> Res<HashMap<String, u32>> {
        let stored: HashMap<String, u32> = self
            .store
            .conn()
            .prepare("SELECT code, decimals FROM currencies")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        for (code, currency) in &self.currencies {
            if let Some(decimals) = stored.get(code)
                && *decimals != currency.decimals
            {
                return Err(LedgerError::Invalid(format!(
                    "currency {code} has {} decimals in the parameters but {decimals} in the database",
                    currency.decimals
                )));
            }
        }
        Ok(stored)
    }

    /// Writes the company's currencies and accounts (with the write-off account) where missing, its number sequences'
    /// prefixes and widths, and the control accounts not recorded yet.
    fn record_setup(
        &self,
        wanted_sequences: &[(&str, &SequenceSettings)],
        controls: &[ControlRole],
    ) -> rusqlite::Result<()> {
        let conn = self.store.conn();
        // In code order, so that two databases made from the same parameters are the same.
        let mut currencies: Vec<_> = self.currencies.iter().collect();
        currencies.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (code, c) in currencies {
            conn.execute(
                "INSERT OR IGNORE INTO currencies(code, decimals) VALUES (?1, ?2)",
                params![code, c.decimals],
            )?;
        }
        let write_off = self
            .params
            .write_off
            .as_ref()
            .map(|w| (w.account.as_str(), "Credits written off"));
        for (account, name) in self.params.accounts.all().into_iter().chain(write_off) {
            conn.execute(
                "INSERT OR IGNORE INTO gl_accounts(account, name) VALUES (?1, ?2)",
                params![account, name],
            )?;
        }
        for (name, s) in wanted_sequences {
            conn.execute(
                "INSERT INTO number_sequences(name, prefix, width) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET prefix = excluded.prefix, width = excluded.width",
                params![name, s.prefix, s.width],
            )?;
        }
        control::record_control_accounts(conn, &self.params, controls)
    }
}
