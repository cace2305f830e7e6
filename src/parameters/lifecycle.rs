//! The sections of the company YAML for what happens after a run: `approval` (who may approve
//! reimbursements above a threshold, up to which amount) and `write_off` (small credits written
//! off). Both are optional: without them nothing needs approval and nothing is written off.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::hash;
use crate::money;

/// `approval:` reimbursements above `required_above` (in the accounting currency, compared like
/// the minimum) start as `pending approval` and are paid only once approved by a listed approver
/// within their limit who did not make the run that posted them (four eyes).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    /// At or below this amount (accounting currency) no approval is needed; zero or more.
    #[serde(
        deserialize_with = "money::exact::deserialize",
        serialize_with = "hash::decimal"
    )]
    pub required_above: Decimal,
    /// User → the largest amount (accounting currency) they may approve.
    #[serde(
        default,
        deserialize_with = "super::params::rates",
        serialize_with = "hash::rates"
    )]
    pub approvers: BTreeMap<String, Decimal>,
}

/// `write_off:` a credit below `below` (accounting currency) whose latest open transaction is older
/// than `after_days` days at the posting date is written off to `account` (the default of the
/// rules' `write_off` hook, which decides).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WriteOffSettings {
    /// Credits below this amount (accounting currency) may be written off; more than zero.
    #[serde(
        deserialize_with = "money::exact::deserialize",
        serialize_with = "hash::decimal"
    )]
    pub below: Decimal,
    /// Days since the credit's latest open transaction, at the posting date.
    pub after_days: u32,
    /// The general-ledger account credited (other income).
    pub account: String,
}
