//! [`ParameterOverrides`]: a fixture's `parameters:` section, the company's keys each optional.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::params::rates;
use super::{
    ApprovalSettings, BankAccount, CompanyInfo, CurrencySettings, OneTimeVendorSettings,
    OpenDebits, Parameters, PostingAccounts, ScriptLimits, VoucherSequences, WriteOffSettings,
};
use crate::money;

/// Overrides of company parameters, as a fixture's `parameters:` section gives them: the same
/// top-level keys as the company YAML, each optional; a key given replaces the company's value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ParameterOverrides {
    /// See [`Parameters::company`].
    pub company: Option<CompanyInfo>,
    /// See [`Parameters::accounting_currency`].
    pub accounting_currency: Option<String>,
    /// See [`Parameters::currencies`].
    pub currencies: Option<BTreeMap<String, CurrencySettings>>,
    /// See [`Parameters::exchange_rates`].
    #[serde(default, deserialize_with = "optional_rates")]
    pub exchange_rates: Option<BTreeMap<String, Decimal>>,
    /// See [`Parameters::minimum_reimbursement`].
    #[serde(default, deserialize_with = "money::exact::deserialize_option")]
    pub minimum_reimbursement: Option<Decimal>,
    /// See [`Parameters::open_debits`].
    pub open_debits: Option<OpenDebits>,
    /// See [`Parameters::accounts`].
    pub accounts: Option<PostingAccounts>,
    /// See [`Parameters::one_time_vendor`].
    pub one_time_vendor: Option<OneTimeVendorSettings>,
    /// See [`Parameters::sequences`].
    pub sequences: Option<VoucherSequences>,
    /// See [`Parameters::bank_account`].
    pub bank_account: Option<BankAccount>,
    /// See [`Parameters::check_before_paying`].
    pub check_before_paying: Option<bool>,
    /// See [`Parameters::limits`].
    pub limits: Option<ScriptLimits>,
    /// See [`Parameters::write_off`]: a fixture may give the section (it cannot take it away).
    pub write_off: Option<WriteOffSettings>,
    /// See [`Parameters::approval`].
    pub approval: Option<ApprovalSettings>,
}

fn optional_rates<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, Decimal>>, D::Error> {
    rates(d).map(Some)
}

impl ParameterOverrides {
    /// True when no key is overridden.
    pub fn is_empty(&self) -> bool {
        *self == ParameterOverrides::default()
    }

    /// Applies the overrides to `params` (which must then be validated again).
    pub fn apply(&self, params: &mut Parameters) {
        let o = self.clone();
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = o.$field { params.$field = v; } )* };
        }
        if let Some(bank) = o.bank_account {
            params.bank_account = Some(bank);
        }
        if let Some(write_off) = o.write_off {
            params.write_off = Some(write_off);
        }
        if let Some(approval) = o.approval {
            params.approval = Some(approval);
        }
        take!(
            company,
            accounting_currency,
            currencies,
            exchange_rates,
            minimum_reimbursement,
            open_debits,
            accounts,
            one_time_vendor,
            sequences,
            check_before_paying,
            limits
        );
    }
}
