//! The repository of the bank files payment runs wrote (`bank_files`, `bank_transfers`): the
//! parties of each file and its credit transfers, as `pay --bank-file` made them, so that the
//! same file can be written again (`reimburse bank-file --run N`) whatever changed since in the
//! parameters or the master data.
//!
//! It stores and reads what it is given; it must not depend on the process or the file format.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ledger, LedgerError, Res, RunId};
use crate::bank::{Bic, Iban};

/// The parties of the bank file of a payment run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFileRecord {
    /// The payment run that wrote it.
    pub run: RunId,
    /// The message id (unique per file).
    pub message_id: String,
    /// The initiating party's name (the company).
    pub initiating_party: String,
    /// The debtor: the account holder's name.
    pub debtor_name: String,
    /// The debtor's IBAN (the company's bank account).
    pub debtor_iban: Iban,
    /// The debtor's bank, when known.
    pub debtor_bic: Option<Bic>,
}

/// One credit transfer of a payment run's bank file: the payment of one reimbursement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTransferRecord {
    /// The reimbursement paid.
    pub reimbursement: i64,
    /// The requested execution date (the payment date).
    pub execution_date: NaiveDate,
    /// The end-to-end id (the vendor invoice number).
    pub end_to_end_id: String,
    /// The currency (EUR: SEPA transfers are in euro).
    pub currency: String,
    /// The amount transferred (positive).
    pub amount: Decimal,
    /// The creditor's name.
    pub creditor_name: String,
    /// The creditor's IBAN.
    pub creditor_iban: Iban,
    /// The creditor's bank, when known.
    pub creditor_bic: Option<Bic>,
    /// The remittance information (unstructured).
    pub remittance: String,
}

impl Ledger {
    /// Records the bank file of a payment run (before its transfers).
    pub(crate) fn insert_bank_file(&self, file: &BankFileRecord) -> Res<()> {
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO bank_files(run_id, message_id, initiating_party, debtor_name,
                     debtor_iban, debtor_bic) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    file.run,
                    file.message_id,
                    file.initiating_party,
                    file.debtor_name,
                    file.debtor_iban.as_str(),
                    file.debtor_bic.as_ref().map(Bic::as_str),
                ])
            })
            .map(drop)
            .map_err(|e| self.sql_err(e))
    }

    /// Records a credit transfer of the bank file of payment run `run`.
    pub(crate) fn insert_bank_transfer(&self, run: RunId, t: &BankTransferRecord) -> Res<()> {
        debug_assert!(t.amount > Decimal::ZERO, "a transfer is positive");
        let minor = self.currency(&t.currency)?.to_minor(t.amount)?;
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO bank_transfers(run_id, reimbursement_id, execution_date, end_to_end_id,
                     currency, amount_minor, creditor_name, creditor_iban, creditor_bic, remittance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(rusqlite::params![
                    run,
                    t.reimbursement,
                    t.execution_date.to_string(),
                    t.end_to_end_id,
                    t.currency,
                    minor,
                    t.creditor_name,
                    t.creditor_iban.as_str(),
                    t.creditor_bic.as_ref().map(Bic::as_str),
                    t.remittance,
                ])
            })
            .map(drop)
            .map_err(|e| self.sql_err(e))
    }

    /// The bank file payment run `run` wrote; `None` when it wrote none.
    pub fn bank_file(&self, run: RunId) -> Res<Option<BankFileRecord>> {
        let row = self
            .store
            .conn()
            .prepare_cached(
                "SELECT message_id, initiating_party, debtor_name, debtor_iban, debtor_bic
                 FROM bank_files WHERE run_id = ?1",
            )
            .and_then(|mut s| {
                let mut rows = s.query_map([run], |r| {
                    Ok(BankFileRecord {
                        run,
                        message_id: r.get(0)?,
                        initiating_party: r.get(1)?,
                        debtor_name: r.get(2)?,
                        debtor_iban: Iban::stored(r.get(3)?),
                        debtor_bic: r.get::<_, Option<String>>(4)?.map(Bic::stored),
                    })
                })?;
                rows.next().transpose()
            })
            .map_err(|e| self.sql_err(e))?;
        Ok(row)
    }

    /// The credit transfers of the bank file of payment run `run`, in the order they were made.
    pub fn bank_transfers(&self, run: RunId) -> Res<Vec<BankTransferRecord>> {
        let rows = self
            .store
            .conn()
            .prepare_cached(
                "SELECT reimbursement_id, execution_date, end_to_end_id, currency, amount_minor,
                        creditor_name, creditor_iban, creditor_bic, remittance
                 FROM bank_transfers WHERE run_id = ?1 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map([run], StoredTransfer::read)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.sql_err(e))?;
        rows.into_iter().map(|row| row.into_record(self)).collect()
    }
}

/// A row of `bank_transfers` as stored: the amount in minor units, the date as text.
struct StoredTransfer {
    reimbursement: i64,
    execution_date: String,
    end_to_end_id: String,
    currency: String,
    minor: i64,
    creditor_name: String,
    creditor_iban: String,
    creditor_bic: Option<String>,
    remittance: String,
}

impl StoredTransfer {
    fn read(r: &rusqlite::Row) -> rusqlite::Result<StoredTransfer> {
        Ok(StoredTransfer {
            reimbursement: r.get(0)?,
            execution_date: r.get(1)?,
            end_to_end_id: r.get(2)?,
            currency: r.get(3)?,
            minor: r.get(4)?,
            creditor_name: r.get(5)?,
            creditor_iban: r.get(6)?,
            creditor_bic: r.get(7)?,
            remittance: r.get(8)?,
        })
    }

    fn into_record(self, ledger: &Ledger) -> Res<BankTransferRecord> {
        let execution_date = self.execution_date.parse::<NaiveDate>().map_err(|_| {
            LedgerError::Invalid(format!(
                "bank transfer {} has the date '{}', which is not a date",
                self.end_to_end_id, self.execution_date
            ))
        })?;
        Ok(BankTransferRecord {
            reimbursement: self.reimbursement,
            execution_date,
            end_to_end_id: self.end_to_end_id,
            amount: ledger.currency(&self.currency)?.from_minor(self.minor),
            currency: self.currency,
            creditor_name: self.creditor_name,
            creditor_iban: Iban::stored(self.creditor_iban),
            creditor_bic: self.creditor_bic.map(Bic::stored),
            remittance: self.remittance,
        })
    }
}
