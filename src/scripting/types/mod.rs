//! The domain types scripts see (customers, vendors, transactions, balances, vouchers, trial
//! balance rows, the parameters): their names, read-only properties and one-line printing.
//!
//! It must not depend on the session or the API functions: types are registered in every engine,
//! a [`super::ReadAheadEngine`] one too.

mod balance;
mod customer;
mod parameters;
mod transaction;
mod trial_balance;
mod vendor;
mod voucher;

pub use parameters::ParamsView;

use super::api::Api;

/// Registers the domain types, their read-only properties and their printing.
pub(super) fn register_types(api: &mut Api) {
    customer::register(api);
    vendor::register(api);
    transaction::register(api);
    balance::register(api);
    voucher::register(api);
    trial_balance::register(api);
    parameters::register(api);
}
