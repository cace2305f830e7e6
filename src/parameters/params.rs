//! [`Parameters`]: the whole company YAML, as written, with its currencies and the conversion of
//! amounts to the accounting currency.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::hash::{self, is_default, is_true};
use super::{
    ApprovalSettings, BankAccount, CompanyInfo, ConversionError, CurrencySettings,
    OneTimeVendorSettings, OpenDebits, PostingAccounts, ScriptLimits, VoucherSequences,
    WriteOffSettings,
};
use crate::money::{self, Currency};

/// The company parameters, as written in the company YAML. Serialised, they are the canonical
/// form that [`Parameters::hash`] hashes (absent optional keys and keys at their default left
/// out).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// Company id and name.
    pub company: CompanyInfo,
    /// The accounting currency; the minimum reimbursement is in it.
    pub accounting_currency: String,
    /// Currencies the company uses, by code.
    pub currencies: BTreeMap<String, CurrencySettings>,
    /// Exchange rates to the accounting currency: 1 unit of the currency = rate units of the
    /// accounting currency. Required for every currency but the accounting currency.
    #[serde(
        default,
        deserialize_with = "rates",
        serialize_with = "hash::rates",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exchange_rates: BTreeMap<String, Decimal>,
    /// Credits below this amount (accounting currency) are not reimbursed; zero or more.
    #[serde(
        deserialize_with = "money::exact::deserialize",
        serialize_with = "hash::decimal"
    )]
    pub minimum_reimbursement: Decimal,
    /// How open debits count (`net`, `skip`, `ignore`); default `net`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub open_debits: OpenDebits,
    /// General-ledger posting accounts.
    pub accounts: PostingAccounts,
    /// One-time vendor settings.
    pub one_time_vendor: OneTimeVendorSettings,
    /// Voucher number sequences.
    pub sequences: VoucherSequences,
    /// The company database, relative to the YAML file.
    #[serde(serialize_with = "hash::path")]
    pub database: PathBuf,
    /// The rule file, relative to the YAML file.
    #[serde(serialize_with = "hash::path")]
    pub rules: PathBuf,
    /// The bank account refunds are paid from (needed by `pay --bank-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account: Option<BankAccount>,
    /// Before paying a refund, hold it when its customer has open debits in its currency that
    /// arrived after the reimbursement (default true).
    #[serde(default = "super::sections::yes", skip_serializing_if = "is_true")]
    pub check_before_paying: bool,
    /// Approval of reimbursements above a threshold (none needed when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSettings>,
    /// Small credits written off (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_off: Option<WriteOffSettings>,
    /// Sandbox limits of rule scripts (defaults apply when absent).
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: ScriptLimits,
}

pub(super) fn rates<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Decimal>, D::Error> {
    d.deserialize_map(UniqueDecimals)
}

/// A map of names to exact decimals (exchange rates, approvers' limits) in which a name given
/// twice is an error, not the last value silently winning.
struct UniqueDecimals;

impl<'de> serde::de::Visitor<'de> for UniqueDecimals {
    type Value = BTreeMap<String, Decimal>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of names to decimal numbers")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, money::exact::ExactDecimal>()? {
            if out.insert(key.clone(), value.0).is_some() {
                return Err(serde::de::Error::custom(format!(
                    "duplicate entry with key \"{key}\""
                )));
            }
        }
        Ok(out)
    }
}

impl Parameters {
    /// The currency with this code, if the company uses it.
    pub fn currency(&self, code: &str) -> Option<Currency> {
        self.currencies.get(code).map(|s| Currency {
            code: code.to_string(),
            decimals: s.decimals,
            rounding: s.rounding,
        })
    }

    /// The accounting currency.
    pub fn accounting(&self) -> Currency {
        self.currency(&self.accounting_currency)
            .unwrap_or_else(|| Currency::new(&self.accounting_currency, 2))
    }

    /// Converts `amount` in `currency` to the accounting currency, unrounded.
    pub fn to_accounting(
        &self,
        amount: Decimal,
        currency: &str,
    ) -> Result<Decimal, ConversionError> {
        if currency == self.accounting_currency {
            return Ok(amount);
        }
        let rate = self
            .exchange_rates
            .get(currency)
            .ok_or_else(|| ConversionError::NoRate(currency.to_string()))?;
        amount
            .checked_mul(*rate)
            .ok_or_else(|| ConversionError::Overflow {
                amount,
                currency: currency.to_string(),
                rate: *rate,
                accounting: self.accounting_currency.clone(),
            })
    }
}

impl Parameters {
    /// The amount `amount` in `currency` converted to the accounting currency (unrounded, as the
    /// minimum is compared), when the company has an `approval` section and it is above
    /// `required_above`: such a reimbursement starts as pending approval. `None` when no approval
    /// is needed.
    pub fn approval_needed(
        &self,
        amount: Decimal,
        currency: &str,
    ) -> Result<Option<Decimal>, ConversionError> {
        let Some(approval) = &self.approval else {
            return Ok(None);
        };
        let converted = self.to_accounting(amount, currency)?;
        Ok((converted > approval.required_above).then_some(converted))
    }
}
