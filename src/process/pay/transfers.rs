//! The bank file of a payment run: [`Transfers`] checks each EUR payment's creditor account,
//! records the credit transfers with the run (`bank_files`, `bank_transfers`), and writes the
//! pain.001.001.09 file to a temporary file beside the target, which [`Pending::persist`] moves
//! into place once the payment committed. [`write_bank_file`] writes a run's file again from what
//! it recorded (the same bytes apart from the creation time).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{NotInBankFile, NotPaid, NotPaidReason, Payment};
use crate::bank::{Bic, Iban};
use crate::bank_file::{CreditTransfer, CreditTransferMessage, Debtor, write_credit_transfers};
use crate::ledger::{BankFileRecord, BankTransferRecord, Ledger, RunId, WithInvoice};
use crate::process::error::RunError;
use crate::process::report::as_text;

/// The currency of SEPA credit transfers: the only one a bank file holds.
pub const SEPA_CURRENCY: &str = "EUR";

/// A bank file written (or that a dry run would write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankFileWritten {
    /// Where.
    pub path: PathBuf,
    /// The payment run it belongs to.
    pub run: RunId,
    /// Its message id.
    pub message_id: String,
    /// Number of credit transfers.
    pub transactions: u64,
    /// Their sum (EUR).
    #[serde(serialize_with = "as_text")]
    pub control_sum: Decimal,
    /// The currency (always EUR).
    pub currency: &'static str,
}

/// Where a transfer goes: the creditor's name and bank account.
#[derive(Debug, Clone)]
pub(super) struct Creditor {
    name: String,
    iban: Iban,
    bic: Option<Bic>,
}

/// The bank file of a payment run being made: its target and how many transfers it holds.
pub(super) struct Transfers {
    run: RunId,
    path: PathBuf,
    count: u64,
}

impl Transfers {
    /// Starts the bank file of payment run `run`, to be written to `path`; the company's bank
    /// account must be in the parameters.
    pub(super) fn start(ledger: &Ledger, run: RunId, path: &Path) -> Result<Transfers, RunError> {
        if ledger.params().bank_account.is_none() {
            return Err(RunError::NoCompanyBankAccount);
        }
        Ok(Transfers {
            run,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    /// The creditor of `invoice`'s transfer: `Ok(None)` outside EUR (no transfer), `Err` (not
    /// paid: "no bank account") when the vendor has no IBAN. A one-time vendor stands for its
    /// customer: the customer's account is used when it has one.
    pub(super) fn creditor(
        &self,
        ledger: &Ledger,
        invoice: &WithInvoice,
    ) -> Result<Result<Option<Creditor>, NotPaid>, RunError> {
        let r = &invoice.reimbursement;
        if r.currency != SEPA_CURRENCY {
            return Ok(Ok(None));
        }
        let vendor = ledger.vendor(&r.vendor)?;
        let customer = ledger.customer(&r.customer)?;
        let one_time = vendor
            .as_ref()
            .is_some_and(|v| v.one_time && v.created_for.as_deref() == Some(r.customer.as_str()));
        let from_customer = customer
            .filter(|_| one_time)
            .and_then(|c| c.iban.map(|iban| (iban, c.bic)));
        let account = from_customer.or_else(|| {
            let v = vendor.as_ref()?;
            v.iban.clone().map(|iban| (iban, v.bic.clone()))
        });
        match (vendor, account) {
            (Some(v), Some((iban, bic))) => Ok(Ok(Some(Creditor {
                name: v.name,
                iban,
                bic,
            }))),
            _ => Ok(Err(NotPaid {
                reimbursement: r.id,
                customer: r.customer.clone(),
                vendor: r.vendor.clone(),
                currency: r.currency.clone(),
                amount: r.amount,
                vendor_invoice: r.vendor_invoice.clone(),
                reason: NotPaidReason::NoBankAccount,
                detail: None,
            })),
        }
    }

    /// Records the transfer of `payment` (made for `invoice` on `date`) when it belongs in the
    /// file; else says why it does not.
    pub(super) fn add(
        &mut self,
        ledger: &Ledger,
        invoice: &WithInvoice,
        payment: &Payment,
        creditor: Option<Creditor>,
        date: NaiveDate,
    ) -> Result<Option<NotInBankFile>, RunError> {
        let Some(creditor) = creditor else {
            return Ok(Some(NotInBankFile::Currency));
        };
        if payment.amount.is_zero() {
            return Ok(Some(NotInBankFile::NothingToTransfer));
        }
        debug_assert_eq!(payment.currency, SEPA_CURRENCY);
        let r = &invoice.reimbursement;
        ledger.insert_bank_transfer(
            self.run,
            &BankTransferRecord {
                reimbursement: r.id,
                execution_date: date,
                end_to_end_id: payment.vendor_invoice.clone(),
                currency: payment.currency.clone(),
                amount: payment.amount,
                creditor_name: creditor.name,
                creditor_iban: creditor.iban,
                creditor_bic: creditor.bic,
                remittance: format!(
                    "Refund of your credit balance, customer {}, reimbursement {}",
                    r.customer, r.voucher
                ),
            },
        )?;
        self.count += 1;
        Ok(None)
    }

    /// Records the file's parties and writes it to a temporary file beside its target (a dry run
    /// writes it nowhere); `None` when no transfer went into it.
    pub(super) fn finish(
        self,
        ledger: &Ledger,
        dry_run: bool,
    ) -> Result<Option<Pending>, RunError> {
        if self.count == 0 {
            return Ok(None);
        }
        let Some(account) = &ledger.params().bank_account else {
            return Err(RunError::NoCompanyBankAccount);
        };
        let company = &ledger.params().company;
        let record = BankFileRecord {
            run: self.run,
            message_id: format!("{}-PAYRUN-{}", company.id, self.run),
            initiating_party: company.name.clone(),
            debtor_name: account.name.clone(),
            debtor_iban: account.iban.clone(),
            debtor_bic: account.bic.clone(),
        };
        ledger.insert_bank_file(&record)?;
        let pending = write_pending(ledger, &record, &self.path, dry_run)?;
        debug_assert_eq!(pending.written.transactions, self.count);
        Ok(Some(pending))
    }
}

/// A bank file written to a temporary file, waiting for its payment run to commit.
pub(super) struct Pending {
    temp: Option<tempfile::NamedTempFile>,
    path: PathBuf,
    /// What it holds.
    pub written: BankFileWritten,
}

impl Pending {
    /// Moves the file into place (the payment committed).
    pub(super) fn persist(self) -> Result<BankFileWritten, RunError> {
        if let Some(temp) = self.temp {
            temp.persist(&self.path)
                .map_err(|e| RunError::BankFileNotSaved {
                    run: self.written.run,
                    path: self.path.clone(),
                    source: e.error,
                })?;
        }
        Ok(self.written)
    }
}

/// Writes the bank file payment run `run` recorded to `path` again (the bank rejected the
/// upload, say): the same bytes as the first time, apart from the creation time.
pub fn write_bank_file(
    ledger: &Ledger,
    run: RunId,
    path: &Path,
) -> Result<BankFileWritten, RunError> {
    let record = ledger.bank_file(run)?.ok_or(RunError::NoBankFile(run))?;
    let pending = write_pending(ledger, &record, path, false)?;
    pending.persist()
}

/// Writes the bank file of `record` to a temporary file beside `path` (to nothing for a dry run).
fn write_pending(
    ledger: &Ledger,
    record: &BankFileRecord,
    path: &Path,
    dry_run: bool,
) -> Result<Pending, RunError> {
    let transfers: Vec<CreditTransfer> = ledger
        .bank_transfers(record.run)?
        .into_iter()
        .map(credit_transfer)
        .collect();
    let message = CreditTransferMessage {
        message_id: record.message_id.clone(),
        created_at: chrono::Local::now().naive_local(),
        initiating_party: record.initiating_party.clone(),
        debtor: Debtor {
            name: record.debtor_name.clone(),
            iban: record.debtor_iban.clone(),
            bic: record.debtor_bic.clone(),
        },
    };
    let output = |source| RunError::BankFileOutput {
        path: path.to_path_buf(),
        source,
    };
    let (temp, summary) = if dry_run {
        let summary = write_credit_transfers(std::io::sink(), &message, &transfers)?;
        (None, summary)
    } else {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".reimburse-bank-file-")
            .tempfile_in(folder)
            .map_err(output)?;
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        let summary = write_credit_transfers(&mut out, &message, &transfers)?;
        out.flush().map_err(output)?;
        drop(out);
        temp.as_file().sync_all().map_err(output)?;
        (Some(temp), summary)
    };
    Ok(Pending {
        temp,
        path: path.to_path_buf(),
        written: BankFileWritten {
            path: path.to_path_buf(),
            run: record.run,
            message_id: summary.message_id,
            transactions: summary.transactions,
            control_sum: summary.control_sum,
            currency: SEPA_CURRENCY,
        },
    })
}

/// A recorded transfer as the file format takes it.
fn credit_transfer(t: BankTransferRecord) -> CreditTransfer {
    CreditTransfer {
        execution_date: t.execution_date,
        end_to_end_id: t.end_to_end_id,
        amount: t.amount,
        creditor_name: t.creditor_name,
        creditor_iban: t.creditor_iban,
        creditor_bic: t.creditor_bic,
        remittance: t.remittance,
    }
}
