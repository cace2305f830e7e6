//! The repository of run outcomes (`run_outcomes`): what a committed reimbursement run decided for
//! each credit it looked at and did not reimburse — the skips, with the credit's amount and the
//! reason, and the failures under `--keep-going`, with the error — so that "why was this customer
//! not reimbursed in that run?" is answered from the books. Written in the run's own transaction,
//! one cached INSERT a row; read a page at a time.
//!
//! It stores and reads what it is given; it must not depend on the process or the command line.

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::{Ledger, LedgerError, Res, RunId};

/// What became of a credit the run did not reimburse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunOutcomeKind {
    /// The engine or the rules skipped the credit (the reason is theirs).
    Skipped,
    /// The rules failed for the customer under `--keep-going` (the reason is the error line).
    Failed,
}

impl RunOutcomeKind {
    /// The word stored and shown (`skipped`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcomeKind::Skipped => "skipped",
            RunOutcomeKind::Failed => "failed",
        }
    }

    /// The kind with this word.
    pub fn parse(text: &str) -> Option<RunOutcomeKind> {
        [RunOutcomeKind::Skipped, RunOutcomeKind::Failed]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

crate::text::shown_as_words!(RunOutcomeKind);

/// One credit a run did not reimburse (or one customer it failed for), as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunOutcome {
    /// Row id (outcomes are in the order the run decided them).
    #[serde(skip)]
    pub id: i64,
    /// The run.
    #[serde(skip)]
    pub run: RunId,
    /// Customer account.
    pub customer: String,
    /// The credit's currency (`None` for a failure: it concerns the whole customer).
    pub currency: Option<String>,
    /// The credit's open amount, positive: its open credits summed (`None` for a failure).
    #[serde(serialize_with = "optional_text")]
    pub amount: Option<Decimal>,
    /// Skipped or failed.
    pub outcome: RunOutcomeKind,
    /// The reason the run reported (a skip's reason, or a failure's error line).
    pub reason: String,
}

/// Serializes an optional decimal as its exact text (or null).
fn optional_text<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

/// An outcome to record.
#[derive(Debug, Clone)]
pub(crate) struct NewRunOutcome<'a> {
    /// The run.
    pub run: RunId,
    /// Customer account.
    pub customer: &'a str,
    /// The credit's currency (none for a failure).
    pub currency: Option<&'a str>,
    /// The credit's open amount in minor units, positive (none for a failure).
    pub amount_minor: Option<i64>,
    /// Skipped or failed.
    pub outcome: RunOutcomeKind,
    /// The reason or the error line.
    pub reason: &'a str,
}

/// How many outcomes are read at a time.
const PAGE: i64 = 1000;

impl Ledger {
    /// Records what a run decided for a credit it did not reimburse: one cached INSERT, no read.
    pub(crate) fn insert_run_outcome(&self, new: &NewRunOutcome) -> Res<()> {
        debug_assert_eq!(
            new.currency.is_some(),
            new.amount_minor.is_some(),
            "a currency goes with an amount"
        );
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO run_outcomes(run_id, customer, currency, amount_minor, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    new.run,
                    new.customer,
                    new.currency,
                    new.amount_minor,
                    new.outcome.as_str(),
                    new.reason
                ])
            })
            .map(|_| ())
            .map_err(|e| self.sql_err(e))
    }

    /// Calls `observer` with each outcome of `run` (only those of `customer`, when given), in the
    /// order the run decided them, reading a page at a time (memory stays flat however many
    /// there are), all pages from one read snapshot. A run or customer that does not exist is an
    /// error. Returns how many rows it passed on.
    pub fn each_run_outcome(
        &self,
        run: RunId,
        customer: Option<&str>,
        observer: &mut dyn FnMut(&RunOutcome),
    ) -> Res<u64> {
        let conn = self.store.conn();
        // One read transaction (deferred: takes no write lock) unless one is already open.
        let snapshot = if conn.is_autocommit() {
            Some(conn.unchecked_transaction().map_err(|e| self.sql_err(e))?)
        } else {
            None
        };
        if !self.run_exists(run)? {
            return Err(LedgerError::NotFound {
                what: "run",
                key: run.to_string(),
            });
        }
        if let Some(account) = customer
            && self.customer(account)?.is_none()
        {
            return Err(LedgerError::NotFound {
                what: "customer",
                key: account.to_string(),
            });
        }
        let mut after = 0i64;
        let mut seen = 0u64;
        loop {
            let rows = self.run_outcome_page(run, customer, after)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for row in &rows {
                observer(row);
            }
            seen += rows.len() as u64;
        }
        drop(snapshot); // rolls back the read transaction
        Ok(seen)
    }

    /// The next page of `run`'s outcomes (of `customer`, when given) with ids above `after`.
    fn run_outcome_page(
        &self,
        run: RunId,
        customer: Option<&str>,
        after: i64,
    ) -> Res<Vec<RunOutcome>> {
        let rows = self
            .store
            .conn()
            .prepare_cached(
                "SELECT id, customer, currency, amount_minor, outcome, reason FROM run_outcomes
                 WHERE run_id = ?1 AND id > ?2 AND (?3 IS NULL OR customer = ?3)
                 ORDER BY id LIMIT ?4",
            )
            .and_then(|mut s| {
                s.query_map(rusqlite::params![run, after, customer, PAGE], |r| {
                    Ok(StoredOutcome {
                        id: r.get(0)?,
                        customer: r.get(1)?,
                        currency: r.get(2)?,
                        amount_minor: r.get(3)?,
                        outcome: r.get(4)?,
                        reason: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter()
            .map(|row| row.into_outcome(self, run))
            .collect()
    }
}

/// A row of `run_outcomes` as stored (the amount in minor units, the outcome as text).
struct StoredOutcome {
    id: i64,
    customer: String,
    currency: Option<String>,
    amount_minor: Option<i64>,
    outcome: String,
    reason: String,
}

impl StoredOutcome {
    /// The outcome, its kind checked and its amount in the currency's units.
    fn into_outcome(self, ledger: &Ledger, run: RunId) -> Res<RunOutcome> {
        let outcome = RunOutcomeKind::parse(&self.outcome).ok_or_else(|| {
            LedgerError::Invalid(format!(
                "run outcome {} is '{}', which the books do not know",
                self.id, self.outcome
            ))
        })?;
        let amount = match (&self.currency, self.amount_minor) {
            (Some(code), Some(minor)) => Some(ledger.currency(code)?.from_minor(minor)),
            _ => None,
        };
        Ok(RunOutcome {
            id: self.id,
            run,
            customer: self.customer,
            currency: self.currency,
            amount,
            outcome,
            reason: self.reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::tests::{day, ledger};
    use crate::ledger::{NewRun, RunKind};

    fn new_run(l: &Ledger) -> RunId {
        l.insert_run(&NewRun {
            kind: RunKind::Reimbursement,
            started_at: "2026-11-01T00:00:00Z",
            finished_at: None,
            user: "alice",
            posting_date: day(),
            selection: "all customers",
            rules_path: None,
            rules_hash: None,
            parameters_hash: "x",
        })
        .unwrap()
    }

    fn skip(l: &Ledger, run: RunId, customer: &str, minor: i64) {
        l.insert_run_outcome(&NewRunOutcome {
            run,
            customer,
            currency: Some("USD"),
            amount_minor: Some(minor),
            outcome: RunOutcomeKind::Skipped,
            reason: "below minimum",
        })
        .unwrap();
    }

    #[test]
    fn outcomes_are_read_page_by_page_in_order_per_run_and_customer() {
        let l = ledger();
        let first = new_run(&l);
        let second = new_run(&l);
        // More than a page, the two runs' rows interleaved.
        for i in 0..2_500 {
            skip(&l, first, if i % 2 == 0 { "C-1" } else { "C-X" }, i);
            skip(&l, second, "C-1", 7);
        }
        l.insert_run_outcome(&NewRunOutcome {
            run: first,
            customer: "C-1",
            currency: None,
            amount_minor: None,
            outcome: RunOutcomeKind::Failed,
            reason: "rules.rhai:3:1: hook eligible, customer C-1 (USD): oops",
        })
        .unwrap();
        let mut seen = Vec::new();
        let n = l
            .each_run_outcome(first, None, &mut |o| seen.push(o.clone()))
            .unwrap();
        assert_eq!(n, 2_501);
        assert_eq!(seen.len(), 2_501);
        assert!(seen.windows(2).all(|w| w[0].id < w[1].id));
        assert!(seen.iter().all(|o| o.run == first));
        assert_eq!(seen[3].amount, Some(Decimal::new(3, 2)));
        assert_eq!(seen[3].customer, "C-X");
        assert_eq!(seen[2_500].outcome, RunOutcomeKind::Failed);
        assert_eq!(seen[2_500].amount, None);
        assert_eq!(seen[2_500].currency, None);
        let mut ones = 0;
        let n = l
            .each_run_outcome(first, Some("C-1"), &mut |o| {
                assert_eq!(o.customer, "C-1");
                ones += 1;
            })
            .unwrap();
        assert_eq!((n, ones), (1_251, 1_251));
        let n = l.each_run_outcome(second, None, &mut |_| {}).unwrap();
        assert_eq!(n, 2_500);
    }

    #[test]
    fn an_unknown_run_or_customer_is_an_error() {
        let l = ledger();
        let run = new_run(&l);
        assert_eq!(l.each_run_outcome(run, None, &mut |_| {}).unwrap(), 0);
        let err = l
            .each_run_outcome(RunId(99), None, &mut |_| {})
            .unwrap_err();
        assert!(
            matches!(err, LedgerError::NotFound { what: "run", .. }),
            "{err}"
        );
        let err = l
            .each_run_outcome(run, Some("C-404"), &mut |_| {})
            .unwrap_err();
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
    }

    #[test]
    fn the_kinds_have_their_words() {
        for k in [RunOutcomeKind::Skipped, RunOutcomeKind::Failed] {
            assert_eq!(RunOutcomeKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(RunOutcomeKind::parse("reimbursed"), None);
    }
}
