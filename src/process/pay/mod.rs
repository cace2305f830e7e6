//! The accounts-payable step: [`pay`] and [`pay_observed`] pay open reimbursement invoices (the
//! vendor's open debits first, then a payment voucher against the bank), recorded as a run of
//! kind `payment`. Before paying, the check of `check` holds a refund whose customer owes
//! something new; with a bank file, `transfers` records the EUR transfers and writes the
//! pain.001 file once the payment commits. Depends on the ledger's reimbursements, the audit
//! trail and the payment file format, never on the rules.
//!
//! A file per part: `mod.rs` (the options, the report, the run in its transaction), `invoice`
//! (paying one invoice), `check` (the check before paying), `transfers` (the bank file's transfers and
//! writing it).

mod check;
mod invoice;
mod report;
mod transfers;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::audit::{now_text, parameters_hash};
use super::error::RunError;
use crate::ledger::{Ledger, NewRun, ReimbursementFilter, RunCounts, RunKind, WithInvoice};

pub use report::{NotInBankFile, NotPaid, NotPaidReason, PayEvent, PayReport, Payment};
pub use transfers::{BankFileWritten, write_bank_file};

/// What [`pay`] pays, when, and where its bank file goes.
#[derive(Debug, Clone)]
pub struct PayOptions {
    /// Which reimbursements (its status is ignored: every unpaid one that matches is looked at).
    pub filter: ReimbursementFilter,
    /// The payment date (and the requested execution date of the bank file).
    pub date: NaiveDate,
    /// Show what would be paid and roll back.
    pub dry_run: bool,
    /// The user the payment run records.
    pub user: String,
    /// Write a pain.001.001.09 file of the EUR transfers here, only if the payment commits.
    /// EUR payments to a vendor without an IBAN are then not made.
    pub bank_file: Option<PathBuf>,
}

impl PayOptions {
    /// Pays what `filter` selects on `date` as `user`: no dry run, no bank file.
    pub fn new(filter: ReimbursementFilter, date: NaiveDate, user: &str) -> PayOptions {
        PayOptions {
            filter,
            date,
            dry_run: false,
            user: user.to_string(),
            bank_file: None,
        }
    }
}

/// The accounts-payable step: pays the unpaid reimbursement invoices that match the options'
/// filter: debit the payables summary account (the vendor), credit the bank, settle the vendor
/// invoice and mark the reimbursement paid; holds those the check before paying stops. Atomic; a
/// dry run rolls back and writes no bank file.
pub fn pay(ledger: &Ledger, options: &PayOptions) -> Result<PayReport, RunError> {
    let mut payments = Vec::new();
    let mut not_paid = Vec::new();
    let mut report = pay_observed(ledger, options, &mut |event| match event {
        PayEvent::Paid(p) => payments.push(p.clone()),
        PayEvent::NotPaid(n) => not_paid.push(n.clone()),
    })?;
    report.payments = payments;
    report.not_paid = not_paid;
    Ok(report)
}

/// Like [`pay`], handing each payment and each invoice not paid to `observer` as it goes instead
/// of keeping them (memory stays flat however many invoices there are): the returned report has
/// the totals and counts but empty lists. Atomic like [`pay`]: nothing observed is written unless
/// it returns `Ok` (and is not a dry run); the bank file is written only once the payment
/// committed.
pub fn pay_observed(
    ledger: &Ledger,
    options: &PayOptions,
    observer: &mut dyn FnMut(PayEvent<'_>),
) -> Result<PayReport, RunError> {
    let store = ledger.store();
    store.begin()?;
    // A payment pays what runs invoiced (see MAX_PROCESS_TOTAL).
    let _bound = ledger.process_postings();
    let result = pay_in_transaction(ledger, options, observer);
    ledger.set_run(None);
    ledger.take_journal();
    let (mut report, file) = match result {
        Ok(done) => done,
        Err(e) => {
            store.rollback();
            return Err(e);
        }
    };
    if options.dry_run {
        store.rollback();
        return Ok(report);
    }
    store.commit()?;
    if let Some(file) = file {
        report.bank_file = Some(file.persist()?);
    }
    Ok(report)
}

/// The payment run inside its transaction: records the run, pays each unpaid invoice that matches
/// the filter, records the count, and writes the bank file to its temporary file.
fn pay_in_transaction(
    ledger: &Ledger,
    options: &PayOptions,
    observer: &mut dyn FnMut(PayEvent<'_>),
) -> Result<(PayReport, Option<transfers::Pending>), RunError> {
    let mut filter = options.filter.clone();
    filter.status = None;
    filter.awaiting_payment = true;
    let started_at = now_text();
    let run_id = ledger.insert_run(&NewRun {
        kind: RunKind::Payment,
        started_at: &started_at,
        finished_at: None,
        user: &options.user,
        posting_date: options.date,
        selection: &filter.to_string(),
        rules_path: None,
        rules_hash: None,
        parameters_hash: &parameters_hash(ledger),
    })?;
    ledger.set_run(Some(run_id));
    let mut paying = Paying {
        ledger,
        options,
        payer: check::Payer {
            run: run_id,
            user: &options.user,
            at: &started_at,
        },
        bank: match &options.bank_file {
            Some(path) => Some(transfers::Transfers::start(ledger, run_id, path)?),
            None => None,
        },
        report: PayReport::new(run_id, options.dry_run, options.date),
    };
    // Page through all the open invoices so memory stays flat however many there are.
    filter.limit = None;
    ledger.reimbursement_pages(&filter, |open| -> Result<(), RunError> {
        // Nothing reads what the primitives journal here: drop it a page at a time so it
        // does not grow with the number of invoices.
        ledger.take_journal();
        for invoice in open {
            paying.pay_one(invoice, observer)?;
        }
        Ok(())
    })?;
    let Paying {
        mut report, bank, ..
    } = paying;
    let counts = RunCounts {
        reimbursed: report.paid as i64,
        skipped: (report.held + report.pending_approval + report.no_bank_account) as i64,
        ..RunCounts::default()
    };
    ledger.finish_run(run_id, &now_text(), &counts)?;
    let pending = match bank {
        Some(t) => t.finish(ledger, options.dry_run)?,
        None => None,
    };
    report.bank_file = match (&pending, &options.bank_file) {
        (Some(p), _) => Some(p.written.clone()),
        (None, Some(path)) => Some(BankFileWritten::none(path, run_id)),
        (None, None) => None,
    };
    Ok((report, pending))
}

/// A payment run being made: what it pays with, its bank file and its report so far.
struct Paying<'a> {
    ledger: &'a Ledger,
    options: &'a PayOptions,
    payer: check::Payer<'a>,
    bank: Option<transfers::Transfers>,
    report: PayReport,
}

impl Paying<'_> {
    /// Checks, then pays one unpaid invoice, telling `observer` and the report what happened.
    fn pay_one(
        &mut self,
        invoice: WithInvoice,
        observer: &mut dyn FnMut(PayEvent<'_>),
    ) -> Result<(), RunError> {
        let ledger = self.ledger;
        if let Some(not_paid) = check::before_paying(ledger, &invoice, &self.payer)? {
            self.report.count_not_paid(&not_paid);
            observer(PayEvent::NotPaid(&not_paid));
            return Ok(());
        }
        let creditor = match &self.bank {
            Some(t) => match t.creditor(ledger, &invoice)? {
                Ok(creditor) => creditor,
                Err(not_paid) => {
                    self.report.count_not_paid(&not_paid);
                    observer(PayEvent::NotPaid(&not_paid));
                    return Ok(());
                }
            },
            None => None,
        };
        let date = self.options.date;
        let Some(mut payment) = invoice::pay_invoice(ledger, &invoice, date)? else {
            return Ok(());
        };
        if let Some(t) = &mut self.bank {
            payment.not_in_bank_file = t.add(ledger, &invoice, &payment, creditor, date)?;
        }
        self.report.count_paid(&payment);
        observer(PayEvent::Paid(&payment));
        Ok(())
    }
}

/// Totals per currency, as the report keeps them.
type Totals = BTreeMap<String, rust_decimal::Decimal>;
