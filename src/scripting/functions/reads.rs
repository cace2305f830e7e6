//! Functions that read the ledger: customers and vendors, balances, transactions, the trial
//! balance, and `round_money` (by the ledger's currencies).
//!
//! They must not write: nothing here changes the ledger.

use std::rc::Rc;

use rhai::{Array, Dynamic};
use rust_decimal::Decimal;

use super::hook_ledger::HookLedger;
use crate::ledger::{Customer, Side, Vendor};
use crate::scripting::api::Api;
use crate::scripting::errors::{RhaiResult, ledger_error};
use crate::scripting::session::Session;
use crate::scripting::values::array;

/// Registers the functions that read the ledger.
pub(super) fn register(api: &mut Api, session: &Rc<Session>) {
    accounts(api, session);
    balances(api, session);
    credit_balances(api, session);
    transactions(api, session);
    trial_balance(api, session);
    round_money(api, session);
}

/// Customers and vendors, by account or all.
fn accounts(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "customer",
        &["account: String"],
        "Customer",
        "The customer with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Customer> {
            s.ledger.require_customer(account).map_err(ledger_error)
        },
    );
    let s = Rc::clone(session);
    api.add(
        "find_customer",
        &["account: String"],
        "Customer or ()",
        "The customer with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .customer(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "customers",
        &[],
        "Array of Customer",
        "All customers, ordered by account (loads them all: use for small companies and the REPL).",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.customers().map_err(ledger_error)?)) },
    );
    let s = Rc::clone(session);
    api.add(
        "vendor",
        &["account: String"],
        "Vendor",
        "The vendor with this account; an error when there is none.",
        move |account: &str| -> RhaiResult<Vendor> {
            s.ledger.require_vendor(account).map_err(ledger_error)
        },
    );
    let s = Rc::clone(session);
    api.add(
        "find_vendor",
        &["account: String"],
        "Vendor or ()",
        "The vendor with this account, or `()` when there is none.",
        move |account: &str| -> RhaiResult<Dynamic> {
            Ok(s.ledger
                .vendor(account)
                .map_err(ledger_error)?
                .map_or(Dynamic::UNIT, Dynamic::from))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "vendors",
        &[],
        "Array of Vendor",
        "All vendors, ordered by account.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.vendors().map_err(ledger_error)?)) },
    );
}

/// An account's balances per currency.
fn balances(api: &mut Api, session: &Rc<Session>) {
    super::reads::register_hook_reads(api, &(Rc::clone(session) as Rc<dyn HookLedger>));
    let s = Rc::clone(session);
    api.add(
        "vendor_balances",
        &["vendor: String"],
        "Array of Balance",
        "The vendor's balance in each currency (negative: we owe the vendor).",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .balances(Side::Vendor, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
}

/// A customer's credit balances.
fn credit_balances(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "credit_balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |c: Customer| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, &c.account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "credit_balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balances that are credits (balance below zero), one per currency.",
        move |account: &str| -> RhaiResult<Array> {
            let all = s
                .ledger
                .balances(Side::Customer, account)
                .map_err(ledger_error)?;
            Ok(array(
                all.into_iter()
                    .filter(|b| b.balance < Decimal::ZERO)
                    .collect(),
            ))
        },
    );
}

/// Open and all transactions of customers and vendors.
fn transactions(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "open_transactions",
        &["customer: String"],
        "Array of Transaction",
        "The customer's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "open_transactions",
        &["customer: String", "currency: String"],
        "Array of Transaction",
        "The customer's open transactions in one currency, oldest first.",
        move |account: &str, currency: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Customer, account, Some(currency))
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "transactions",
        &["customer: String"],
        "Array of Transaction",
        "All of the customer's transactions, open or settled, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .transactions(Side::Customer, account)
                    .map_err(ledger_error)?,
            ))
        },
    );
    let s = Rc::clone(session);
    api.add(
        "vendor_open_transactions",
        &["vendor: String"],
        "Array of Transaction",
        "The vendor's open transactions, oldest first.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(
                s.ledger
                    .open_transactions(Side::Vendor, account, None)
                    .map_err(ledger_error)?,
            ))
        },
    );
}

/// The trial balance of the general ledger.
fn trial_balance(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add(
        "trial_balance",
        &[],
        "Array of TrialBalanceRow",
        "The trial balance: each general-ledger account's balance per currency.",
        move || -> RhaiResult<Array> { Ok(array(s.ledger.trial_balance().map_err(ledger_error)?)) },
    );
}

/// Rounding by a currency of the ledger.
fn round_money(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add("round_money", &["amount: Decimal", "currency: String"], "Decimal",
        "Rounds to the currency's decimals with its rounding rule (half away from zero unless the parameters say otherwise). Use this, not `round`, which is banker's rounding.",
        move |amount: Decimal, currency: &str| -> RhaiResult<Decimal> {
            Ok(s.ledger.currency(currency).map_err(ledger_error)?.round(amount))
        });
}

/// Registers `balances` (by account and by customer) over `hooks`: the session's ledger, or the
/// books worked out ahead, which answer for the customer being worked out.
pub(super) fn register_hook_reads(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    let s = Rc::clone(hooks);
    api.add(
        "balances",
        &["customer: String"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |account: &str| -> RhaiResult<Array> {
            Ok(array(s.calls().balances(account).map_err(|e| s.failed(e))?))
        },
    );
    let s = Rc::clone(hooks);
    api.add(
        "balances",
        &["customer: Customer"],
        "Array of Balance",
        "The customer's balance in each currency it has transactions in.",
        move |c: Customer| -> RhaiResult<Array> {
            Ok(array(
                s.calls().balances(&c.account).map_err(|e| s.failed(e))?,
            ))
        },
    );
}
