//! Why, for every past run: what a run decided for each credit it did not reimburse, kept with
//! the run (the skips with the credit's amount and the reason, the failures under `keep_going`
//! with the error line) by the ledger's repository of run outcomes (`ledger::run_outcomes`), and
//! read back ([`run_outcomes`], [`each_run_outcome`]). Depends on `report` only; `block` records
//! a customer's outcomes once they are final.

use rust_decimal::Decimal;

use super::report::{Failed, Skipped};
use crate::ledger::{
    Ledger, LedgerError, NewRunOutcome, RunId, RunKind, RunOutcome, RunOutcomeKind,
};

/// Records a skipped credit of run `run`: the customer, the currency, the credit's open amount
/// (`open_credit`, its open credits summed: zero or less) and the reason. One cached INSERT.
pub(super) fn record_skip(
    ledger: &Ledger,
    run: RunId,
    skipped: &Skipped,
    open_credit: Decimal,
) -> Result<(), LedgerError> {
    debug_assert!(open_credit <= Decimal::ZERO, "open credits are credits");
    let decimals = ledger.currency(&skipped.currency)?.decimals;
    let amount = -open_credit;
    let amount_minor = minor_units(decimals, amount).ok_or_else(|| {
        LedgerError::Invalid(format!(
            "the open credit {amount} {} cannot be kept in minor units",
            skipped.currency
        ))
    })?;
    ledger.insert_run_outcome(&NewRunOutcome {
        run,
        customer: &skipped.customer,
        currency: Some(&skipped.currency),
        amount_minor: Some(amount_minor),
        outcome: RunOutcomeKind::Skipped,
        reason: &skipped.reason,
    })
}

/// Records a customer of run `run` that failed under `keep_going`, with the error line.
pub(super) fn record_failure(
    ledger: &Ledger,
    run: RunId,
    failed: &Failed,
) -> Result<(), LedgerError> {
    ledger.insert_run_outcome(&NewRunOutcome {
        run,
        customer: &failed.customer,
        currency: None,
        amount_minor: None,
        outcome: RunOutcomeKind::Failed,
        reason: &failed.error,
    })
}

/// `amount` in integer minor units of a currency with `decimals`; `None` if it has more decimals
/// or does not fit. An open credit is a sum of stored amounts, so it has at most the currency's
/// decimals; it may be more than one voucher line can hold (the run skips such a credit), which
/// is why this does not use `Currency::to_minor`.
fn minor_units(decimals: u32, amount: Decimal) -> Option<i64> {
    let mut exact = amount;
    exact.rescale(decimals);
    i64::try_from(exact.mantissa())
        .ok()
        .filter(|_| exact == amount)
}

/// What run `run` decided for the credits it did not reimburse (only those of `customer`, when
/// given), in the order it decided them: skips and failures under `keep_going`. A run or customer
/// that does not exist is an error. A run that reimbursed everything it looked at, a dry run, a
/// run that failed (nothing of it was kept) and a run of another kind have none.
pub fn run_outcomes(
    ledger: &Ledger,
    run: RunId,
    customer: Option<&str>,
) -> Result<Vec<RunOutcome>, LedgerError> {
    let mut rows = Vec::new();
    each_run_outcome(ledger, run, customer, &mut |row| rows.push(row.clone()))?;
    Ok(rows)
}

/// Like [`run_outcomes`], calling `observer` with each row, read a page at a time (memory stays
/// flat however many there are) from one read snapshot. Returns how many rows it passed on.
pub fn each_run_outcome(
    ledger: &Ledger,
    run: RunId,
    customer: Option<&str>,
    observer: &mut dyn FnMut(&RunOutcome),
) -> Result<u64, LedgerError> {
    // Only a reimbursement run looks at credits; any other kind has no skips to show.
    if let Some(kind) = ledger.run_kind(run)?
        && kind != RunKind::Reimbursement.as_str()
    {
        return Err(LedgerError::Invalid(format!(
            "run {run} is a {kind} run: only a reimbursement run looks at credits and skips some"
        )));
    }
    ledger.each_run_outcome(run, customer, observer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_keep_the_exact_amount() {
        assert_eq!(minor_units(2, Decimal::new(1000, 2)), Some(1000));
        assert_eq!(minor_units(2, Decimal::new(10, 0)), Some(1000));
        assert_eq!(minor_units(0, Decimal::new(7, 0)), Some(7));
        assert_eq!(minor_units(2, Decimal::ZERO), Some(0));
        assert_eq!(minor_units(2, Decimal::new(1001, 3)), None);
        assert_eq!(minor_units(2, Decimal::MAX), None);
    }
}
