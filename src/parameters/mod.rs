//! Company parameters: one YAML file per company, validated on load.
//!
//! All YAML handling of the parameters lives here (and in [`crate::fixtures`] for fixture ledgers)
//! so that `serde_yaml` could be swapped for a fork in one place. Decimal values are read from their
//! text ([`crate::money::exact`]), never through `f64`. Every error names the file, the line and
//! column where known, and the key path (`accounts.bank`).
//!
//! A file per part: `params` (the [`Parameters`] and their currencies), `sections` (the company,
//! currency, account, sequence and bank-account sections), `limits` (the scripts' sandbox
//! limits), `overrides` (a fixture's `parameters:`), `company` ([`Company`]: load, paths),
//! `hash` ([`Parameters::hash`]: SHA-256 of the canonical form), `yaml` (reading YAML with
//! positions), `validate` (a check per section), `error`.
//!
//! It depends on `money` and `bank` only, the leaves (and on nothing above them: not the store,
//! the ledger or the scripts).

mod company;
mod error;
mod hash;
mod lifecycle;
mod limits;
mod overrides;
mod params;
mod sections;
mod validate;
mod yaml;

#[cfg(test)]
mod tests;

pub use company::Company;
pub(crate) use company::hex;
pub use error::{ConversionError, YamlError};
pub use lifecycle::{ApprovalSettings, WriteOffSettings};
pub use limits::{MAX_NESTING, ScriptLimits};
pub use overrides::ParameterOverrides;
pub use params::Parameters;
pub use sections::{
    BankAccount, CompanyInfo, CurrencySettings, MAX_BANK_NAME_CHARS, OneTimeVendorSettings,
    OpenDebits, PostingAccounts, SequenceSettings, VoucherSequences,
};
pub(crate) use yaml::parse_yaml;
