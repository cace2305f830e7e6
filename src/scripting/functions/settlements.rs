//! Settling transactions from scripts (`settle`, `settle_against_open`, `settle_open_debits`,
//! `settle_vendor`), on the session's posting date.
//!
//! They must not post or change master data: the ledger's `settle` primitives only.

use std::rc::Rc;

use rhai::Dynamic;
use rust_decimal::Decimal;

use super::hook_ledger::HookLedger;
use crate::ledger::{CustomerTransactionId, VendorTransactionId};
use crate::scripting::api::Api;
use crate::scripting::args::decimal_arg;
use crate::scripting::errors::{RhaiResult, ledger_error};
use crate::scripting::session::Session;

/// Registers the settling functions.
pub(super) fn register(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add("settle", &["first: int", "second: int"], "Decimal",
        "Settles two customer transactions (an open debit and an open credit of one customer and currency) as far as both are open; returns the amount settled.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(CustomerTransactionId(a), CustomerTransactionId(b), None, s.date()).map_err(ledger_error)
        });
    let s = Rc::clone(session);
    api.add("settle", &["first: int", "second: int", "amount: Decimal"], "Decimal",
        "Settles `amount` of two customer transactions against each other; never more than either has open.",
        move |a: i64, b: i64, amount: Dynamic| -> RhaiResult<Decimal> {
            let amount = decimal_arg("settle: amount", &amount)?;
            s.ledger.settle(CustomerTransactionId(a), CustomerTransactionId(b), Some(amount), s.date()).map_err(ledger_error)
        });
    register_hook_calls(api, &(Rc::clone(session) as Rc<dyn HookLedger>));
    let s = Rc::clone(session);
    api.add("settle_vendor", &["first: int", "second: int"], "Decimal",
        "Settles two vendor transactions (an open debit and an open credit of one vendor and currency) as far as both are open.",
        move |a: i64, b: i64| -> RhaiResult<Decimal> {
            s.ledger.settle(VendorTransactionId(a), VendorTransactionId(b), None, s.date()).map_err(ledger_error)
        });
}

/// Registers `settle_against_open` and `settle_open_debits` over `hooks` (the session's ledger, or
/// the books worked out ahead).
pub(super) fn register_hook_calls(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    let s = Rc::clone(hooks);
    api.add("settle_against_open", &["transaction: int"], "Decimal",
        "Settles a customer transaction against the customer's open transactions of the opposite sign in its currency, oldest first; returns the amount settled.",
        move |id: i64| -> RhaiResult<Decimal> {
            s.calls().settle_against_open(CustomerTransactionId(id), s.date()).map_err(|e| s.failed(e))
        });
    let s = Rc::clone(hooks);
    api.add("settle_open_debits", &["customer: String", "currency: String"], "Decimal",
        "Settles the customer's open debits against its open credits in one currency, oldest first (the `net` policy); returns the amount settled.",
        move |customer: &str, currency: &str| -> RhaiResult<Decimal> {
            s.calls().settle_open_debits(customer, currency, s.date()).map_err(|e| s.failed(e))
        });
}
