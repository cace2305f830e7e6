//! Small credits written off: [`write_off`] asks the rules' fifth hook, `write_off(customer,
//! credit)`, of every customer credit (per customer and currency, as the run sees credits) and
//! writes off those it says yes to: a voucher that debits the customer (receivables) and credits
//! the parameters' `write_off.account`, the customer's open credits settled against that debit, a
//! `write_offs` row and a `write-off` decision. [`reverse_write_offs`] (a write-off run) and
//! [`reverse_write_offs_by_id`] undo them with a mirroring voucher: the customer's credit is open
//! again. Each is one transaction, recorded as a run (kind `write-off`, `reversal`); a dry run
//! rolls back.
//!
//! A file per part: `mod.rs` (options, reports, the transaction), `post` (one credit: the hook,
//! the engine's checks, the posting), `reverse` (the reversal), `error`. Uses the process's
//! `hooks`, `check` and `pager`; writes no SQL (the ledger's `write_offs` repository does).

mod error;
mod post;
mod reverse;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::audit::{now_text, parameters_hash};
use super::hooks::{Rules, WRITE_OFF_HOOK};
use super::options::Selection;
use super::pager::CustomerPager;
use super::read_ahead::is_candidate;
use crate::ledger::{ChangeOrigin, Ledger, NewRun, RunCounts, RunId, RunKind, WriteOff};
use crate::scripting::Session;

pub use error::WriteOffError;
pub use reverse::{
    ReversedWriteOff, WriteOffReversal, reverse_write_offs, reverse_write_offs_by_id,
};

/// What [`write_off`] is asked: the posting date, the rules, who, and whether to roll back.
#[derive(Debug, Clone)]
pub struct WriteOffOptions {
    /// The posting date (the credits' age is counted to it).
    pub date: NaiveDate,
    /// The rule file (its `write_off` hook decides).
    pub rules: PathBuf,
    /// Show what would be written off and roll back.
    pub dry_run: bool,
    /// The user the run records.
    pub user: String,
}

/// What a write-off run did.
#[derive(Debug, Clone, Serialize)]
pub struct WriteOffReport {
    /// The write-off run (rolled back in a dry run).
    pub run: RunId,
    /// True for a dry run: nothing was written.
    pub dry_run: bool,
    /// The posting date.
    pub date: NaiveDate,
    /// Customers looked at.
    pub considered: u64,
    /// The credits written off (in a dry run: what would be, with id 0).
    pub write_offs: Vec<WriteOff>,
    /// The amount written off per currency.
    #[serde(serialize_with = "totals_as_text")]
    pub totals: BTreeMap<String, Decimal>,
    /// Credits left on the books (the hook said no, or skipped them).
    pub skipped: u64,
    /// How many credits were left for each reason (`not written off` when the hook said false).
    pub skipped_by_reason: BTreeMap<String, u64>,
}

/// Serializes totals per currency as exact texts.
fn totals_as_text<S: Serializer>(t: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(t.iter().map(|(c, d)| (c, d.to_string())))
}

/// Serializes a decimal as its exact text.
fn decimal_text<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

/// Writes off the small credits the rules' `write_off` hook chooses, in one transaction recorded
/// as a run of kind `write-off`. Atomic: on any error (a hook failing, the engine refusing a
/// hook's work) nothing is written; a dry run rolls back. A rule file without the hook is refused
/// ([`super::RunError::MissingHook`]), before anything is written.
pub fn write_off(
    session: &Rc<Session>,
    options: &WriteOffOptions,
) -> Result<WriteOffReport, WriteOffError> {
    session.set_date(options.date);
    let rules = Rules::load(session, &options.rules)?;
    rules.require(WRITE_OFF_HOOK)?;
    let ledger = session.ledger();
    let store = ledger.store();
    store.begin()?;
    let result = {
        // The write-offs are bounded like a run's postings (see MAX_PROCESS_TOTAL).
        let _bound = ledger.process_postings();
        in_transaction(session, &rules, options)
    };
    ledger.set_run(None);
    ledger.take_journal();
    match result {
        Ok(report) if !options.dry_run => {
            store.commit()?;
            Ok(report)
        }
        Ok(mut report) => {
            store.rollback();
            report.write_offs.iter_mut().for_each(|w| w.id = 0);
            Ok(report)
        }
        Err(e) => {
            store.rollback();
            Err(e)
        }
    }
}

/// The write-off run inside its transaction: records the run, pages through every customer,
/// asks the hook of each credit, records the counts.
fn in_transaction(
    session: &Rc<Session>,
    rules: &Rules,
    options: &WriteOffOptions,
) -> Result<WriteOffReport, WriteOffError> {
    let ledger = session.ledger();
    let run = ledger.insert_run(&NewRun {
        kind: RunKind::WriteOff,
        started_at: &now_text(),
        finished_at: None,
        user: &options.user,
        posting_date: options.date,
        selection: "all customers",
        rules_path: Some(&rules.file().to_string_lossy()),
        rules_hash: Some(rules.hash()),
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.set_run(Some(run));
    ledger.set_origin(ChangeOrigin {
        user: options.user.clone(),
        source: "write-off".into(),
        line: None,
    });
    let mut report = WriteOffReport {
        run,
        dry_run: options.dry_run,
        date: options.date,
        considered: 0,
        write_offs: Vec::new(),
        totals: BTreeMap::new(),
        skipped: 0,
        skipped_by_reason: BTreeMap::new(),
    };
    let credits = post::Credits {
        session,
        rules,
        run,
        user: &options.user,
        at: &now_text(),
    };
    each_credit(&credits, &mut report)?;
    ledger.finish_run(
        run,
        &now_text(),
        &RunCounts {
            considered: report.considered as i64,
            reimbursed: report.write_offs.len() as i64,
            skipped: report.skipped as i64,
            failed: 0,
        },
    )?;
    Ok(report)
}

/// Pages through every customer and asks the hook of each of its credits, in account and
/// currency order, counting what became of each in `report`.
fn each_credit(credits: &post::Credits, report: &mut WriteOffReport) -> Result<(), WriteOffError> {
    let ledger = credits.session.ledger();
    let selection = Selection::All;
    let mut pager = CustomerPager::new(&selection, ledger, None);
    while let Some((mut page, _)) = pager.next(ledger)? {
        for customer in page.customers {
            report.considered += 1;
            let balances = page.balances.remove(&customer.account).unwrap_or_default();
            for credit in balances.iter().filter(|b| is_candidate(b)) {
                match credits.write_off(&customer, credit)? {
                    post::Outcome::WrittenOff(w) => {
                        *report.totals.entry(w.currency.clone()).or_default() += w.amount;
                        report.write_offs.push(*w);
                    }
                    post::Outcome::Left(reason) => {
                        report.skipped += 1;
                        *report.skipped_by_reason.entry(reason).or_default() += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The write-offs recorded, oldest first (`reimburse write-offs`).
pub fn write_offs(ledger: &Ledger) -> Result<Vec<WriteOff>, WriteOffError> {
    Ok(ledger.write_offs(None)?)
}
