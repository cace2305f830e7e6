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
use crate::bank_file::{
    CreditTransfer, CreditTransferMessage, Debtor, ID_MAX_CHARS, check_transferable,
    id_keeping_the_end, sepa_text, write_credit_transfers,
};
use crate::ledger::{BankFileRecord, BankTransferRecord, Ledger, RunId, RunKind, WithInvoice};
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
    /// False when no payment went into a file (none was written).
    pub written: bool,
}

impl BankFileWritten {
    /// What the report says when a bank file was asked for and no payment went into it.
    pub(super) fn none(path: &Path, run: RunId) -> BankFileWritten {
        BankFileWritten {
            path: path.to_path_buf(),
            run,
            message_id: String::new(),
            transactions: 0,
            control_sum: Decimal::ZERO,
            currency: SEPA_CURRENCY,
            written: false,
        }
    }
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
        let folder = folder_of(path);
        if !folder.is_dir() {
            return Err(RunError::BankFileOutput {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("the folder {} does not exist", folder.display()),
                ),
            });
        }
        Ok(Transfers {
            run,
            path: path.to_path_buf(),
            count: 0,
        })
    }

    /// The creditor of `invoice`'s transfer: `Ok(None)` outside EUR (no transfer), `Err` (not
    /// paid) when the vendor has no IBAN ("no bank account"), or SEPA cannot carry the transfer
    /// (an IBAN outside SEPA, an amount out of its range, a name with nothing left in its
    /// character set). A one-time vendor stands for its customer: the customer's account as it is
    /// now is used (not the copy the vendor took when it was made).
    pub(super) fn creditor(
        &self,
        ledger: &Ledger,
        invoice: &WithInvoice,
    ) -> Result<Result<Option<Creditor>, NotPaid>, RunError> {
        let r = &invoice.reimbursement;
        if r.currency != SEPA_CURRENCY {
            return Ok(Ok(None));
        }
        let refuse = |reason, detail: Option<String>| {
            let mut not_paid = NotPaid::of(r, reason);
            not_paid.detail = detail;
            Ok(Err(not_paid))
        };
        let Some(vendor) = ledger.vendor(&r.vendor)? else {
            return refuse(NotPaidReason::NoBankAccount, None);
        };
        let stands_for_customer =
            vendor.one_time && vendor.created_for.as_deref() == Some(r.customer.as_str());
        let account = if stands_for_customer {
            let customer = ledger.customer(&r.customer)?;
            customer.and_then(|c| c.iban.map(|iban| (iban, c.bic)))
        } else {
            vendor.iban.clone().map(|iban| (iban, vendor.bic.clone()))
        };
        let Some((iban, bic)) = account else {
            return refuse(NotPaidReason::NoBankAccount, None);
        };
        let not_sepa = |detail: String| refuse(NotPaidReason::NotPayableBySepa, Some(detail));
        if !iban.in_sepa() {
            return not_sepa(format!(
                "the IBAN's country {} is outside SEPA",
                iban.country()
            ));
        }
        let end_to_end_id = id_keeping_the_end(&r.vendor_invoice);
        if let Err(e) = check_transferable(r.amount, &vendor.name, &end_to_end_id) {
            return not_sepa(e.to_string());
        }
        Ok(Ok(Some(Creditor {
            name: vendor.name,
            iban,
            bic,
        })))
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
                end_to_end_id: id_keeping_the_end(&payment.vendor_invoice),
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
            message_id: message_id(&company.id, self.run),
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
    let record = match ledger.bank_file(run)? {
        Some(record) => record,
        None => return Err(no_bank_file(ledger, run)?),
    };
    let pending = write_pending(ledger, &record, path, false)?;
    pending.persist()
}

/// Why run `run` has no bank file: it does not exist, is not a payment run, or was made without
/// `--bank-file`.
fn no_bank_file(ledger: &Ledger, run: RunId) -> Result<RunError, RunError> {
    let runs = ledger.runs()?;
    Ok(match runs.iter().find(|r| r.id == run) {
        None => RunError::Selection(format!("there is no run {run} (see `reimburse runs`)")),
        Some(r) if r.kind != RunKind::Payment.as_str() => RunError::Selection(format!(
            "run {run} is a {} run, not a payment run: only a payment run made with --bank-file has a bank file",
            r.kind
        )),
        Some(_) => RunError::NoBankFile(run),
    })
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
        let mut temp = tempfile::Builder::new()
            .prefix(".reimburse-bank-file-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .tempfile_in(folder_of(path))
            .map_err(|e| output(std::io::Error::new(e.kind(), e.kind().to_string())))?;
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
            written: true,
        },
    })
}

/// The folder a file at `path` goes into.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The message id of payment run `run`'s file: `<company id>-PAYRUN-<run>`, the company id cut
/// so that the run number always fits (with room for the writer's `-<n>` of a payment block).
fn message_id(company: &str, run: RunId) -> String {
    let suffix = format!("-PAYRUN-{run}");
    let room = (ID_MAX_CHARS - 3).saturating_sub(suffix.len());
    let company = sepa_text(company, room).replace(' ', "-");
    let company = company.trim_matches(['/', '-']);
    format!("{company}{suffix}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_keeps_the_run_number_and_the_end_to_end_id_the_invoice_number() {
        let long = "ACME-Ünïcode & Sons International Holding";
        let (a, b) = (message_id(long, RunId(2)), message_id(long, RunId(13)));
        assert!(
            a.ends_with("-PAYRUN-2") && b.ends_with("-PAYRUN-13"),
            "{a} {b}"
        );
        assert!(a.len() <= ID_MAX_CHARS - 3 && b.len() <= ID_MAX_CHARS - 3);
        assert_eq!(message_id("CONTOSO", RunId(2)), "CONTOSO-PAYRUN-2");
        let invoice = "Rückerstattung/Ä<>000000000000000017";
        let id = id_keeping_the_end(invoice);
        assert!(
            id.ends_with("000017") && id.chars().count() <= ID_MAX_CHARS,
            "{id}"
        );
        assert_ne!(
            id,
            id_keeping_the_end("Rückerstattung/Ä<>000000000000000018")
        );
    }
}
