//! The books after a step compared with its expectations: balances, one-time vendors, and the
//! trial balance, which must be zero whatever the fixture says.

use rust_decimal::Decimal;

use crate::fixtures::Expect;
use crate::ledger::{Ledger, Side};

/// Checks the books after a step: the balances and one-time vendors `expect:` lists, and a zero
/// trial balance.
pub(super) fn compare_books(ledger: &Ledger, expect: &Expect, fail: &mut dyn FnMut(String)) {
    compare_balances(ledger, expect, fail);
    if let Some(n) = expect.vendors_created {
        let count = ledger
            .vendors()
            .map(|v| v.iter().filter(|v| v.one_time).count())
            .unwrap_or(0);
        if count != n {
            fail(format!("one-time vendors: expected {n}, found {count}"));
        }
    }
    match ledger.trial_balance_totals() {
        Ok(totals) => {
            for (currency, total) in totals {
                if !total.is_zero() {
                    fail(format!(
                        "the trial balance is {total} in {currency}, not zero"
                    ));
                }
            }
        }
        Err(e) => fail(format!("trial balance: {e}")),
    }
}

/// `customer_balances` and `vendor_balances` (a currency without transactions is 0).
fn compare_balances(ledger: &Ledger, expect: &Expect, fail: &mut dyn FnMut(String)) {
    for (side, expected) in [
        (Side::Customer, &expect.customer_balances),
        (Side::Vendor, &expect.vendor_balances),
    ] {
        for (account, currencies) in expected {
            let actual = match ledger.balances(side, account) {
                Ok(b) => b,
                Err(e) => {
                    fail(format!("{} {account}: {e}", side.name()));
                    continue;
                }
            };
            for (currency, want) in currencies {
                let got = actual
                    .iter()
                    .find(|b| &b.currency == currency)
                    .map_or(Decimal::ZERO, |b| b.balance);
                if got != want.0 {
                    fail(format!(
                        "{} {account} balance in {currency}: expected {}, got {got} (difference {})",
                        side.name(),
                        want.0,
                        got - want.0
                    ));
                }
            }
        }
    }
}
