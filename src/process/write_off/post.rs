//! One credit through the `write_off` hook and, when it says yes, written off: the voucher
//! (receivables debited through the customer, the write-off account credited), the customer's
//! open credits settled against its debit (as a reimbursement settles them), the `write_offs`
//! row and the `write-off` decision. The engine refuses a hook that writes, an answer that is not
//! true or false, and a write-off that does not settle exactly the credit.

use std::rc::Rc;

use rhai::Dynamic;
use rust_decimal::Decimal;

use chrono::NaiveDate;

use crate::ledger::{
    Balance, Customer, CustomerTransactionId, DecisionKind, DecisionSubject, LedgerError,
    LineDraft, NewDecision, NewWriteOffRow, RunId, Target, VoucherDraft, VoucherId, WriteOff,
    WriteOffStatus,
};
use crate::parameters::Parameters;
use crate::process::RunError;
use crate::process::check::check_no_postings;
use crate::process::hooks::{Hooked, Rules, WRITE_OFF_HOOK};
use crate::scripting::{Session, shown};

/// What became of one credit.
pub(super) enum Outcome {
    /// Written off.
    WrittenOff(Box<WriteOff>),
    /// Left on the books, for this reason.
    Left(String),
}

/// What the credits of one write-off run share.
pub(super) struct Credits<'a> {
    pub(super) session: &'a Rc<Session>,
    pub(super) rules: &'a Rules,
    pub(super) run: RunId,
    pub(super) user: &'a str,
    pub(super) at: &'a str,
}

impl Credits<'_> {
    /// Asks the hook of `credit` (the customer's open credits in one currency) and writes it off
    /// when it says yes.
    pub(super) fn write_off(
        &self,
        customer: &Customer,
        credit: &Balance,
    ) -> Result<Outcome, RunError> {
        let (hook, _) = WRITE_OFF_HOOK;
        let ledger = self.session.ledger();
        let date = self.session.date();
        // As in a run: nothing is settled before it exists.
        if let Some(latest) = credit.latest_open
            && latest > date
        {
            return Ok(Outcome::Left(
                "open transactions dated after the posting date".into(),
            ));
        }
        ledger.take_journal();
        let args = || {
            vec![
                Dynamic::from(customer.clone()),
                Dynamic::from(credit.clone()),
            ]
        };
        let refuse = |m: String| RunError::Hook(self.rules.refuse(hook, customer, credit, m));
        let hooked = self
            .rules
            .call(hook, customer, credit, &args)
            .map_err(RunError::Hook)?;
        check_no_postings(&ledger.take_journal()).map_err(refuse)?;
        let value = match hooked {
            Hooked::Skip(reason) => return Ok(Outcome::Left(reason)),
            Hooked::Value(value) => value,
        };
        match value.as_bool() {
            Ok(true) => {}
            Ok(false) => return Ok(Outcome::Left("not written off".into())),
            Err(_) => {
                return Err(refuse(format!(
                    "must return true or false, not {}",
                    shown(self.rules.engine(), &value)
                )));
            }
        }
        self.post(customer, credit).map_err(refuse)
    }

    /// Posts the write-off of `credit`'s open credits and records it; the message of a refusal.
    fn post(&self, customer: &Customer, credit: &Balance) -> Result<Outcome, String> {
        let ledger = self.session.ledger();
        let date = self.session.date();
        let params = ledger.params();
        let Some(settings) = params.write_off.as_ref() else {
            return Err(
                "said yes, but the parameters have no `write_off:` section (its account is \
                 credited)"
                    .into(),
            );
        };
        let amount = -credit.open_credit;
        debug_assert!(amount > Decimal::ZERO, "a candidate has open credits");
        let voucher = ledger
            .post_voucher(&draft(customer, credit, &settings.account, date, params))
            .map_err(|e| e.to_string())?;
        let txn = *voucher
            .customer_transactions
            .first()
            .ok_or("the write-off voucher has no customer transaction")?;
        let settled = ledger
            .settle_against_open(txn, date)
            .map_err(|e| e.to_string())?;
        // The engine never writes off more than the credit there is.
        if settled != amount {
            return Err(format!(
                "the write-off of {amount} {} settled only {settled} of the customer's credits",
                credit.currency
            ));
        }
        let id = self
            .record(customer, credit, amount, voucher.id, txn)
            .map_err(|e| e.to_string())?;
        Ok(Outcome::WrittenOff(Box::new(WriteOff {
            id,
            run: self.run,
            customer: customer.account.clone(),
            currency: credit.currency.clone(),
            amount,
            date,
            voucher: voucher.number,
            account: settings.account.clone(),
            status: WriteOffStatus::WrittenOff,
            reversal_voucher: None,
            reversed_date: None,
            customer_txn: txn,
        })))
    }

    /// Records the write-off row and its decision; returns the row's id.
    fn record(
        &self,
        customer: &Customer,
        credit: &Balance,
        amount: Decimal,
        voucher_id: VoucherId,
        txn: CustomerTransactionId,
    ) -> Result<i64, LedgerError> {
        let ledger = self.session.ledger();
        let amount_minor = ledger.currency(&credit.currency)?.to_minor(amount)?;
        let id = ledger.insert_write_off(&NewWriteOffRow {
            run_id: self.run,
            customer: &customer.account,
            currency: &credit.currency,
            amount_minor,
            date: self.session.date(),
            voucher_id,
            customer_txn: txn,
        })?;
        ledger.record_decision(&NewDecision {
            subject: DecisionSubject::WriteOff(id),
            decision: DecisionKind::WriteOff,
            user: self.user,
            at: self.at,
            run: Some(self.run),
            reason: Some(&format!(
                "the write_off hook of {}",
                self.rules.file().display()
            )),
        })?;
        Ok(id)
    }
}

/// The write-off voucher of `credit`'s open credits: the customer debited (a `write-off`
/// transaction), the write-off account credited.
fn draft(
    customer: &Customer,
    credit: &Balance,
    account: &str,
    date: NaiveDate,
    params: &Parameters,
) -> VoucherDraft {
    let amount = -credit.open_credit;
    VoucherDraft {
        sequence: params.sequences.write_off_sequence().to_string(),
        date,
        description: format!("Write-off of the credit of {}", customer.account),
        lines: vec![
            LineDraft {
                target: Target::Customer(customer.account.clone()),
                currency: credit.currency.clone(),
                amount,
                document: None,
                kind: Some("write-off".into()),
            },
            LineDraft {
                target: Target::Account(account.to_string()),
                currency: credit.currency.clone(),
                amount: -amount,
                document: None,
                kind: None,
            },
        ],
    }
}
