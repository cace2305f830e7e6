//! One candidate credit through the hooks (`eligible`, `vendor_for`, `create_one_time_vendor`,
//! `post_reimbursement`), with the engine's checks between them, and the reimbursement it
//! records. Depends on `hooks`, `check` and `ahead` (what was worked out ahead); knows nothing of
//! savepoints or blocks (`block`).

use std::rc::Rc;

use chrono::NaiveDate;
use rhai::Dynamic;

use super::check::{Checked, check_no_postings, check_one_time_vendor, check_posting};
use super::error::HookError;
use super::hooks::{Eligibility, Hooked, Rules, VendorChoice, eligibility, vendor_choice};
use super::read_ahead::{PostingsAhead, ReadAheadCredit, Worked, WorkedOutcome};
use super::replay::{HookTally, Replay, replay};
use super::report::Reimbursement;
use crate::ledger::{
    Balance, Customer, Ledger, LedgerError, NewReimbursementRow, ReimbursementStatus, RunId, Vendor,
};
use crate::money::Currency;
use crate::scripting::{Session, shown};

/// What became of one candidate credit.
pub(super) enum Outcome {
    /// It was reimbursed.
    Reimbursed(Box<Reimbursement>),
    /// The engine or the rules skipped it, for this reason.
    Skipped(String),
    /// A hook worked out ahead did not replay as it was worked out, after writing: the credit's
    /// work must be undone and worked out in place.
    Redo,
}

/// Why a credit's way through the hooks ended before a reimbursement.
enum Stop {
    /// The engine or the rules skipped the credit, for this reason.
    Skip(String),
    /// A hook failed, or the engine refused its work.
    Fail(Box<HookError>),
    /// See [`Outcome::Redo`].
    Redo,
}

impl From<Box<HookError>> for Stop {
    fn from(e: Box<HookError>) -> Self {
        Stop::Fail(e)
    }
}

/// What the credits of one run share: the session, the rules and the run.
#[derive(Clone, Copy)]
pub(super) struct RunScope<'a> {
    pub(super) session: &'a Rc<Session>,
    pub(super) rules: &'a Rules,
    pub(super) run_id: RunId,
    /// What the run shares with its read-ahead thread to replay the posting hooks worked out
    /// there (`None`: the run works them out in place).
    pub(super) postings: Option<&'a PostingsAhead>,
    pub(super) tally: &'a HookTally,
}

/// The vendor a credit is reimbursed to.
struct Payee {
    vendor: Vendor,
    /// True when it is the one-time vendor the run created for the customer.
    one_time: bool,
}

/// Runs the hooks for one candidate credit of `customer`. `one_time_vendor`: the one-time vendor
/// the run created for the customer at an earlier currency (set here when this credit creates
/// it). `ahead`: what the read-ahead thread worked out for the credit.
pub(super) fn process_credit(
    scope: &RunScope,
    customer: &Customer,
    credit: &Balance,
    ahead: &ReadAheadCredit,
    one_time_vendor: &mut Option<Vendor>,
) -> Result<Outcome, Box<HookError>> {
    let RunScope {
        session,
        rules,
        run_id,
        postings,
        tally,
    } = *scope;
    let ledger = session.ledger();
    ledger.take_journal();
    if let Some(reason) = engine_skip(
        ledger.currency(&credit.currency).ok(),
        session.date(),
        credit,
    ) {
        return Ok(Outcome::Skipped(reason));
    }
    let hooks = CreditHooks {
        session,
        rules,
        run_id,
        postings,
        tally,
        customer,
        credit,
        values: std::cell::OnceCell::new(),
    };
    match hooks.reimburse(ahead, one_time_vendor) {
        Ok(reimbursement) => Ok(Outcome::Reimbursed(Box::new(reimbursement))),
        Err(Stop::Skip(reason)) => Ok(Outcome::Skipped(reason)),
        Err(Stop::Fail(e)) => Err(e),
        Err(Stop::Redo) => Ok(Outcome::Redo),
    }
}

/// Step 0: the engine's own reasons to skip a credit, before any hook (`currency`: the credit's,
/// as the books define it). The read-ahead thread asks too, so it works out only what the run will.
pub(super) fn engine_skip(
    currency: Option<&Currency>,
    date: NaiveDate,
    credit: &Balance,
) -> Option<String> {
    // A reimbursement is never dated before what it settles.
    if let Some(latest) = credit.latest_open
        && latest > date
    {
        return Some(format!(
            "open transactions dated after the posting date (up to {latest})"
        ));
    }
    // A credit larger than one voucher line can hold cannot be reimbursed in one invoice (the
    // posting would fail, and the run with it, every time).
    if let Some(currency) = currency
        && -credit.open_credit > currency.from_minor(crate::money::MAX_MINOR)
    {
        return Some(format!(
            "the open credit of {} is more than one voucher line can hold ({}): reimburse it by hand, in parts",
            -credit.open_credit,
            currency.from_minor(crate::money::MAX_MINOR)
        ));
    }
    None
}

/// One credit on its way through the hooks: what each step needs.
struct CreditHooks<'a> {
    session: &'a Session,
    rules: &'a Rules,
    run_id: RunId,
    postings: Option<&'a PostingsAhead>,
    tally: &'a HookTally,
    customer: &'a Customer,
    credit: &'a Balance,
    /// The customer and the credit as script values, made at the first hook called in place (none
    /// when every hook was worked out ahead): one shared value each, handed to every hook, so
    /// cloning one copies a pointer, not the customer (scripts cannot change either: no setters).
    values: std::cell::OnceCell<(Dynamic, Dynamic)>,
}

impl CreditHooks<'_> {
    /// The hooks in order: eligibility, the vendor, the posting.
    fn reimburse(
        &self,
        ahead: &ReadAheadCredit,
        one_time_vendor: &mut Option<Vendor>,
    ) -> Result<Reimbursement, Stop> {
        self.eligible(ahead)?;
        let payee = self.payee(ahead, one_time_vendor)?;
        self.post(&payee, ahead)
    }

    /// What `hook` gave when worked out ahead (`worked`) and replayed through the ledger; `None`
    /// when the run must call it itself.
    fn replayed<T: Clone>(
        &self,
        hook: &str,
        worked: Option<&Worked<T>>,
    ) -> Result<Option<WorkedOutcome<T>>, Stop> {
        let (Some(worked), Some(postings)) = (worked, self.postings) else {
            self.tally.in_place();
            return Ok(None);
        };
        let replayed = replay(self.ledger(), postings, worked)
            .map_err(|e| Stop::Fail(self.refuse(hook, e.to_string())))?;
        match replayed {
            Replay::Replayed(outcome) => {
                self.tally.replayed();
                Ok(Some(outcome))
            }
            Replay::Elsewhere => {
                self.tally.in_place();
                Ok(None)
            }
            Replay::Differed => Err(Stop::Redo),
        }
    }

    fn ledger(&self) -> &Ledger {
        self.session.ledger()
    }

    /// The engine refuses what `hook` did.
    fn refuse(&self, hook: &str, message: String) -> Box<HookError> {
        self.rules.refuse(hook, self.customer, self.credit, message)
    }

    /// Calls `hook` with the customer and the credit (and the vendor, when given).
    fn call(&self, hook: &str, vendor: Option<&Vendor>) -> Result<Hooked, Box<HookError>> {
        let args = || {
            let (customer, credit) = self.values.get_or_init(|| {
                (
                    Dynamic::from(self.customer.clone()).into_shared(),
                    Dynamic::from(self.credit.clone()).into_shared(),
                )
            });
            let mut args = vec![customer.clone(), credit.clone()];
            args.extend(vendor.map(|v| Dynamic::from(v.clone())));
            args
        };
        self.rules.call(hook, self.customer, self.credit, &args)
    }

    /// Refuses a deciding hook that wrote anything.
    fn no_postings(&self, hook: &str) -> Result<(), Box<HookError>> {
        check_no_postings(&self.ledger().take_journal()).map_err(|m| self.refuse(hook, m))
    }

    /// Step 1, eligibility (worked out ahead when it could be).
    fn eligible(&self, ahead: &ReadAheadCredit) -> Result<(), Stop> {
        let verdict = match &ahead.eligible {
            Some(verdict) => verdict.clone(),
            None => eligibility(self.call("eligible", None)?).map_err(|value| {
                self.refuse(
                    "eligible",
                    format!(
                        "must return true, false or a reason text, not {}",
                        shown(&self.rules.engine, &value)
                    ),
                )
            })?,
        };
        if let Eligibility::Skip(reason) = verdict {
            return Err(Stop::Skip(reason));
        }
        Ok(self.no_postings("eligible")?)
    }

    /// Step 2, vendor mapping (worked out ahead when it could be): the vendor `vendor_for` chose,
    /// or the customer's one-time vendor (created by step 3 when there is none yet); never a
    /// blocked one.
    fn payee(
        &self,
        ahead: &ReadAheadCredit,
        one_time_vendor: &mut Option<Vendor>,
    ) -> Result<Payee, Stop> {
        let choice = match &ahead.vendor {
            Some(choice) => choice.clone(),
            None => vendor_choice(self.call("vendor_for", None)?).map_err(|value| {
                self.refuse(
                    "vendor_for",
                    format!(
                        "must return a vendor account, a Vendor or () for a one-time vendor, not {}",
                        shown(&self.rules.engine, &value)
                    ),
                )
            })?,
        };
        if !matches!(choice, VendorChoice::Skip(_)) {
            self.no_postings("vendor_for")?;
        }
        // A vendor chosen by the hook is the one-time vendor when it is the one the run created.
        let chosen = |vendor: Vendor| Payee {
            one_time: one_time_vendor
                .as_ref()
                .is_some_and(|v| v.account == vendor.account),
            vendor,
        };
        let payee = match choice {
            VendorChoice::Skip(reason) => return Err(Stop::Skip(reason)),
            VendorChoice::Existing(vendor) => chosen(*vendor),
            VendorChoice::ByAccount(account) => chosen(
                self.ledger()
                    .vendor(&account)
                    .map_err(|e| self.refuse("vendor_for", e.to_string()))?
                    .ok_or_else(|| {
                        self.refuse("vendor_for", format!("vendor '{account}' does not exist"))
                    })?,
            ),
            VendorChoice::OneTime => match one_time_vendor {
                Some(v) => Payee {
                    vendor: v.clone(),
                    one_time: true,
                },
                None => {
                    let vendor = self.create_one_time_vendor(ahead)?;
                    *one_time_vendor = Some(vendor.clone());
                    Payee {
                        vendor,
                        one_time: true,
                    }
                }
            },
        };
        if payee.vendor.blocked {
            return Err(self
                .refuse(
                    "vendor_for",
                    format!(
                        "vendor '{}' is blocked; skip this customer in the rules or unblock the vendor",
                        payee.vendor.account
                    ),
                )
                .into());
        }
        Ok(payee)
    }

    /// Step 3, one-time vendor creation, at most once per customer and run: the one vendor the
    /// hook created, as `create_vendor` returned it.
    fn create_one_time_vendor(&self, ahead: &ReadAheadCredit) -> Result<Vendor, Stop> {
        const HOOK: &str = "create_one_time_vendor";
        let vendor = match self.replayed(HOOK, ahead.one_time_vendor.as_ref())? {
            Some(WorkedOutcome::Skip(reason)) => return Err(Stop::Skip(reason)),
            Some(WorkedOutcome::Value(vendor)) => Ok(vendor),
            None => match self.call(HOOK, None)? {
                Hooked::Skip(reason) => return Err(Stop::Skip(reason)),
                Hooked::Value(v) => v.clone().try_cast::<Vendor>().ok_or(v),
            },
        };
        let journal = self.ledger().take_journal();
        let vendor = vendor.map_err(|value| {
            self.refuse(
                HOOK,
                format!(
                    "must return the new Vendor (from create_vendor), not {}",
                    shown(&self.rules.engine, &value)
                ),
            )
        })?;
        check_one_time_vendor(self.customer, &vendor, &journal)
            .map_err(|m| self.refuse(HOOK, m))?;
        Ok(vendor)
    }

    /// Step 4, posting: `post_reimbursement`, the engine's check of what it posted, and the
    /// reimbursement recorded.
    fn post(&self, payee: &Payee, ahead: &ReadAheadCredit) -> Result<Reimbursement, Stop> {
        const HOOK: &str = "post_reimbursement";
        let ledger = self.ledger();
        let before = ledger.take_journal();
        if !before.vouchers.is_empty() {
            return Err(self
                .refuse(
                    "vendor_for",
                    "hooks before post_reimbursement must not post".into(),
                )
                .into());
        }
        match self.replayed(HOOK, ahead.posting.as_ref())? {
            Some(WorkedOutcome::Skip(reason)) => return Err(Stop::Skip(reason)),
            Some(WorkedOutcome::Value(())) => {}
            None => {
                if let Hooked::Skip(reason) = self.call(HOOK, Some(&payee.vendor))? {
                    return Err(Stop::Skip(reason));
                }
            }
        }
        let journal = ledger.take_journal();
        let checked = check_posting(ledger, self.customer, self.credit, &payee.vendor, journal)
            .map_err(|m| self.refuse(HOOK, m))?;
        let row = NewReimbursement {
            run_id: self.run_id,
            customer: self.customer,
            payee,
            credit: self.credit,
            checked: &checked,
            date: self.session.date(),
        };
        let pending = ledger
            .params()
            .approval_needed(checked.amount, &self.credit.currency)
            .map_err(|e| self.refuse(HOOK, e.to_string()))?
            .is_some();
        let id = record(ledger, &row, pending).map_err(|e| self.refuse(HOOK, e.to_string()))?;
        let Checked {
            voucher,
            amount,
            invoice,
            ..
        } = checked;
        Ok(Reimbursement {
            id,
            run: self.run_id,
            customer: self.customer.account.clone(),
            vendor: payee.vendor.account.clone(),
            one_time_vendor: payee.one_time,
            currency: self.credit.currency.clone(),
            amount,
            date: voucher.date,
            voucher: voucher.number,
            vendor_invoice: invoice,
            status: if pending {
                ReimbursementStatus::PendingApproval
            } else {
                ReimbursementStatus::Open
            },
            hold_reason: None,
            payment_voucher: None,
            paid_date: None,
            reversal_voucher: None,
            reversed_date: None,
            last_decision: None,
        })
    }
}

/// A reimbursement to record: the credit, the vendor it went to, and the invoice that was posted.
struct NewReimbursement<'a> {
    run_id: RunId,
    customer: &'a Customer,
    payee: &'a Payee,
    credit: &'a Balance,
    checked: &'a Checked,
    /// The posting date.
    date: NaiveDate,
}

/// Inserts the reimbursement row (status `open`, or `pending approval` when `pending`); returns
/// its id.
fn record(ledger: &Ledger, new: &NewReimbursement, pending: bool) -> Result<i64, LedgerError> {
    let amount_minor = ledger
        .currency(&new.credit.currency)?
        .to_minor(new.checked.amount)?;
    ledger.insert_reimbursement(&NewReimbursementRow {
        run_id: new.run_id,
        customer: &new.customer.account,
        vendor: &new.payee.vendor.account,
        one_time_vendor: new.payee.one_time,
        currency: &new.credit.currency,
        amount_minor,
        date: new.date,
        voucher_id: new.checked.voucher.id,
        vendor_invoice: &new.checked.invoice,
        customer_txn: new.checked.customer_txn,
        vendor_txn: new.checked.vendor_txn,
        pending_approval: pending,
    })
}
