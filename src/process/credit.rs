//! One candidate credit through the hooks (`eligible`, `vendor_for`, `create_one_time_vendor`,
//! `post_reimbursement`), with the engine's checks between them, and the reimbursement it
//! records. Depends on `hooks`, `check` and `ahead` (what was worked out ahead); knows nothing of
//! savepoints or blocks (`block`).

use std::rc::Rc;

use chrono::NaiveDate;
use rhai::Dynamic;
use rusqlite::params;
use rust_decimal::Decimal;

use super::ahead::Ahead;
use super::check::{check_no_postings, check_posting};
use super::error::HookError;
use super::hooks::{Hooked, Rules, eligibility, vendor_choice};
use super::report::Reimbursement;
use crate::ledger::{Balance, Customer, Ledger, LedgerError, PostedVoucher, Vendor};
use crate::scripting::{Session, shown};
use crate::store::StoreError;

pub(super) enum Outcome {
    Reimbursed(Reimbursement),
    Skipped(String),
}

pub(super) fn process_credit(
    session: &Rc<Session>,
    rules: &Rules,
    run_id: i64,
    customer: &Customer,
    credit: &Balance,
    ahead: &Ahead,
    one_time_vendor: &mut Option<Vendor>,
) -> Result<Outcome, Box<HookError>> {
    let ledger = session.ledger();
    ledger.take_journal();
    // 0. The engine's own rule: a reimbursement is never dated before what it settles.
    if let Some(latest) = credit.latest_open
        && latest > session.date()
    {
        return Ok(Outcome::Skipped(format!(
            "open transactions dated after the posting date (up to {latest})"
        )));
    }
    // A credit larger than one voucher line can hold cannot be reimbursed in one invoice (the
    // posting would fail, and the run with it, every time).
    if let Ok(currency) = ledger.currency(&credit.currency)
        && -credit.open_credit > currency.from_minor(crate::money::MAX_MINOR)
    {
        return Ok(Outcome::Skipped(format!(
            "the open credit of {} is more than one voucher line can hold ({}): reimburse it by hand, in parts",
            -credit.open_credit,
            currency.from_minor(crate::money::MAX_MINOR)
        )));
    }
    // One shared value each, handed to every hook: cloning a shared value copies a pointer, not
    // the customer (scripts cannot change either: they have no setters).
    let customer_value = Dynamic::from(customer.clone()).into_shared();
    let credit_value = Dynamic::from(credit.clone()).into_shared();
    let c = || customer_value.clone();
    let b = || credit_value.clone();
    let refuse = |hook: &str, message: String| rules.refuse(hook, customer, credit, message);

    // 1. Eligibility (worked out ahead when it could be).
    let verdict = match &ahead.eligible {
        Some(verdict) => verdict.clone(),
        None => eligibility(rules.call("eligible", customer, credit, &|| vec![c(), b()])?)
            .map_err(|value| {
                refuse(
                    "eligible",
                    format!(
                        "must return true, false or a reason text, not {}",
                        shown(&rules.engine, &value)
                    ),
                )
            })?,
    };
    if let Err(reason) = verdict {
        return Ok(Outcome::Skipped(reason));
    }
    check_no_postings(ledger, "eligible", &refuse)?;

    // 2. Vendor mapping.
    let choice = match &ahead.vendor {
        Some(choice) => choice.clone(),
        None => vendor_choice(rules.call("vendor_for", customer, credit, &|| vec![c(), b()])?)
            .map_err(|value| {
                refuse(
                    "vendor_for",
                    format!(
                        "must return a vendor account, a Vendor or () for a one-time vendor, not {}",
                        shown(&rules.engine, &value)
                    ),
                )
            })?,
    };
    let chosen = match choice {
        Ok(chosen) => chosen,
        Err(reason) => return Ok(Outcome::Skipped(reason)),
    };
    check_no_postings(ledger, "vendor_for", &refuse)?;
    let (vendor, created) = match chosen {
        Some(chosen) => {
            let vendor = match chosen {
                Ok(vendor) => vendor,
                Err(account) => ledger
                    .vendor(&account)
                    .map_err(|e| refuse("vendor_for", e.to_string()))?
                    .ok_or_else(|| {
                        refuse("vendor_for", format!("vendor '{account}' does not exist"))
                    })?,
            };
            let created = one_time_vendor
                .as_ref()
                .is_some_and(|v| v.account == vendor.account);
            (vendor, created)
        }
        None => match one_time_vendor {
            Some(v) => (v.clone(), true),
            None => {
                // 3. One-time vendor creation, at most once per customer and run.
                let value = match rules.call("create_one_time_vendor", customer, credit, &|| {
                    vec![c(), b()]
                })? {
                    Hooked::Skip(reason) => return Ok(Outcome::Skipped(reason)),
                    Hooked::Value(v) => v,
                };
                let journal = ledger.take_journal();
                let Some(vendor) = value.clone().try_cast::<Vendor>() else {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "must return the new Vendor (from create_vendor), not {}",
                            shown(&rules.engine, &value)
                        ),
                    ));
                };
                if journal.vendors_created != [vendor.account.clone()] {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "must create exactly one vendor and return it (created: {})",
                            if journal.vendors_created.is_empty() {
                                "none".to_string()
                            } else {
                                journal.vendors_created.join(", ")
                            }
                        ),
                    ));
                }
                if !journal.vouchers.is_empty() || !journal.settlements.is_empty() {
                    return Err(refuse(
                        "create_one_time_vendor",
                        "must not post or settle".into(),
                    ));
                }
                if !journal.master_data.is_empty() {
                    return Err(refuse(
                        "create_one_time_vendor",
                        "must not create or change customers or vendors besides the one vendor"
                            .into(),
                    ));
                }
                // Hooks change only their own customer (the run reads its customers ahead).
                if let Some((other, _)) = journal.links.iter().find(|(c, _)| *c != customer.account)
                {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!("may link the new vendor to its own customer only, not to {other}"),
                    ));
                }
                // ... and only to the vendor it created: another link would redirect the
                // customer's future refunds.
                if let Some((_, other)) = journal.links.iter().find(|(_, v)| *v != vendor.account) {
                    return Err(refuse(
                        "create_one_time_vendor",
                        format!(
                            "may link its customer only to the vendor it created ({}), not to {}",
                            vendor.account,
                            if other.is_empty() { "no vendor" } else { other }
                        ),
                    ));
                }
                // The one vendor the hook created, as `create_vendor` returned it.
                *one_time_vendor = Some(vendor.clone());
                (vendor, true)
            }
        },
    };
    if vendor.blocked {
        return Err(refuse(
            "vendor_for",
            format!(
                "vendor '{}' is blocked; skip this customer in the rules or unblock the vendor",
                vendor.account
            ),
        ));
    }

    // 4. Posting.
    let before = ledger.take_journal();
    if !before.vouchers.is_empty() {
        return Err(refuse(
            "vendor_for",
            "hooks before post_reimbursement must not post".into(),
        ));
    }
    match rules.call("post_reimbursement", customer, credit, &|| {
        vec![c(), b(), Dynamic::from(vendor.clone())]
    })? {
        Hooked::Skip(reason) => return Ok(Outcome::Skipped(reason)),
        Hooked::Value(_) => {}
    }
    let journal = ledger.take_journal();
    let posted = check_posting(ledger, customer, credit, &vendor, journal)
        .map_err(|m| refuse("post_reimbursement", m))?;
    let (voucher, amount, customer_txn, vendor_txn, invoice) = posted;
    let id = record(
        ledger,
        run_id,
        customer,
        &vendor,
        created,
        credit,
        amount,
        &voucher,
        customer_txn,
        vendor_txn,
        &invoice,
        session.date(),
    )
    .map_err(|e| refuse("post_reimbursement", e.to_string()))?;
    Ok(Outcome::Reimbursed(Reimbursement {
        id,
        run: run_id,
        customer: customer.account.clone(),
        vendor: vendor.account.clone(),
        one_time_vendor: created,
        currency: credit.currency.clone(),
        amount,
        date: voucher.date,
        voucher: voucher.number.clone(),
        vendor_invoice: invoice,
        status: "open".into(),
        payment_voucher: None,
        paid_date: None,
    }))
}

#[allow(clippy::too_many_arguments)]
fn record(
    ledger: &Ledger,
    run_id: i64,
    customer: &Customer,
    vendor: &Vendor,
    one_time: bool,
    credit: &Balance,
    amount: Decimal,
    voucher: &PostedVoucher,
    customer_txn: i64,
    vendor_txn: i64,
    invoice: &str,
    date: NaiveDate,
) -> Result<i64, LedgerError> {
    let minor = ledger.currency(&credit.currency)?.to_minor(amount)?;
    ledger
        .store()
        .conn()
        .prepare_cached(
            "INSERT INTO reimbursements(run_id, customer, vendor, one_time_vendor, currency,
                 amount_minor, date, voucher_id, vendor_invoice, customer_txn_id, vendor_txn_id, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open')",
        )
        .and_then(|mut s| {
            s.insert(params![
                    run_id,
                    customer.account,
                    vendor.account,
                    one_time,
                    credit.currency,
                    minor,
                    date.to_string(),
                    voucher.id,
                    invoice,
                    customer_txn,
                    vendor_txn
                ])
        })
        .map_err(|e| LedgerError::Store(StoreError::sqlite(ledger.store().path(), e)))
}
