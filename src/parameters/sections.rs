//! The sections of the company YAML: company, currencies, posting accounts, number sequences,
//! one-time vendors and how open debits count (the whole file is [`super::Parameters`]).

use serde::{Deserialize, Serialize};

use super::hash::{is_default, is_true};

use crate::bank::{Bic, Iban};
use crate::money::Rounding;

/// Company identification.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CompanyInfo {
    /// Short company id, e.g. `CONTOSO`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A currency's settings in the parameters.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CurrencySettings {
    /// Number of decimals (0 to 6).
    pub decimals: u32,
    /// Rounding rule; default half away from zero.
    #[serde(default, skip_serializing_if = "is_default")]
    pub rounding: Rounding,
}

/// General-ledger posting accounts.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PostingAccounts {
    /// Receivables summary account (customer sub-ledger total).
    pub receivables: String,
    /// Payables summary account (vendor sub-ledger total).
    pub payables: String,
    /// Bank account that pays vendor invoices.
    pub bank: String,
    /// Counter account for opening balances loaded from fixtures.
    pub opening_balance: String,
    /// Counter account of the transactions `reimburse import` posts (default: `opening_balance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
}

impl PostingAccounts {
    /// All accounts with a short name for each (the import account when it has one of its own).
    pub fn all(&self) -> Vec<(&str, &str)> {
        let mut all = vec![
            (self.receivables.as_str(), "Receivables summary"),
            (self.payables.as_str(), "Payables summary"),
            (self.bank.as_str(), "Bank"),
            (self.opening_balance.as_str(), "Opening balances"),
        ];
        if let Some(import) = self.import.as_deref()
            && import != self.opening_balance
        {
            all.push((import, "Imported balances"));
        }
        all
    }

    /// The counter account of imported transactions.
    pub fn import_counter(&self) -> &str {
        self.import.as_deref().unwrap_or(&self.opening_balance)
    }
}

/// A number sequence: numbers are `prefix` followed by the counter padded to `width` digits.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SequenceSettings {
    /// Text before the number, e.g. `RMB-`.
    pub prefix: String,
    /// Minimum number of digits (1 to 18), zero-padded.
    pub width: u32,
}

/// Settings for vendors created automatically for customers without a vendor account.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OneTimeVendorSettings {
    /// Vendor group of one-time vendors.
    pub group: String,
    /// Number sequence of one-time vendor accounts.
    pub sequence: SequenceSettings,
    /// Link the new vendor back to the customer so the next run reuses it (default true).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub link_to_customer: bool,
    /// Default payment terms of new one-time vendors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// Default method of payment of new one-time vendors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_of_payment: Option<String>,
}

pub(super) fn yes() -> bool {
    true
}

/// Voucher number sequences.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VoucherSequences {
    /// Reimbursement vouchers (vendor invoices posted by a run).
    pub reimbursement: SequenceSettings,
    /// Vendor invoice numbers.
    pub vendor_invoice: SequenceSettings,
    /// Payment vouchers.
    pub payment: SequenceSettings,
    /// Opening-balance vouchers written when a fixture is loaded.
    pub opening: SequenceSettings,
    /// Vouchers of imported transactions (default: the `opening` sequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<SequenceSettings>,
    /// Vouchers that reverse a reimbursement or a write-off (default: the `reimbursement`
    /// sequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reversal: Option<SequenceSettings>,
    /// Write-off vouchers (default: the `reimbursement` sequence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_off: Option<SequenceSettings>,
}

impl VoucherSequences {
    /// Every sequence with its name in the database (`import` when it has one of its own).
    pub fn all(&self) -> Vec<(&'static str, &SequenceSettings)> {
        let mut all = vec![
            ("reimbursement", &self.reimbursement),
            ("vendor_invoice", &self.vendor_invoice),
            ("payment", &self.payment),
            ("opening", &self.opening),
        ];
        for (name, own) in [
            ("import", &self.import),
            ("reversal", &self.reversal),
            ("write_off", &self.write_off),
        ] {
            if let Some(own) = own {
                all.push((name, own));
            }
        }
        all
    }

    /// The name of the sequence that numbers reversal vouchers.
    pub fn reversal_sequence(&self) -> &'static str {
        if self.reversal.is_some() {
            "reversal"
        } else {
            "reimbursement"
        }
    }

    /// The name of the sequence that numbers write-off vouchers.
    pub fn write_off_sequence(&self) -> &'static str {
        if self.write_off.is_some() {
            "write_off"
        } else {
            "reimbursement"
        }
    }

    /// The name of the sequence that numbers imported transactions' vouchers.
    pub fn import_sequence(&self) -> &'static str {
        if self.import.is_some() {
            "import"
        } else {
            "opening"
        }
    }
}

/// The most characters a name may have in a SEPA payment file: the limit of
/// [`BankAccount::name`].
pub const MAX_BANK_NAME_CHARS: usize = 70;

/// The company's own bank account, the one refunds are paid from: the debtor of the payment
/// files `pay --bank-file` writes (the general-ledger account it posts to is `accounts.bank`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BankAccount {
    /// Account holder's name as the bank knows it: 1 to [`MAX_BANK_NAME_CHARS`] characters,
    /// no control characters.
    pub name: String,
    /// The account's IBAN (checked: country format and checksum).
    pub iban: Iban,
    /// The bank's BIC (ISO 9362); optional, as in the SEPA guidelines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<Bic>,
}

/// How open debits (unpaid invoices beside the credits) count for reimbursement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenDebits {
    /// Open debits are settled against the credits first; the remaining credit is reimbursed.
    #[default]
    Net,
    /// A customer with any open debit is not reimbursed.
    Skip,
    /// Every open credit is reimbursed in full; the open debits stay open.
    Ignore,
}

impl OpenDebits {
    /// The parameter's text (`net`, `skip`, `ignore`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpenDebits::Net => "net",
            OpenDebits::Skip => "skip",
            OpenDebits::Ignore => "ignore",
        }
    }
}
