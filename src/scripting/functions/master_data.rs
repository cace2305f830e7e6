//! Creating and changing customers and vendors from scripts (`create_vendor`, `create_customer`,
//! `update_customer`, `update_vendor`, `link_vendor`): the same checks as an import, and every
//! change in the trail of master-data changes (written by the ledger).
//!
//! They must not post: amounts go through [`super::postings`].

use std::rc::Rc;

use rhai::Map;

use super::hook_ledger::HookLedger;
use crate::ledger::{CUSTOMER_FIELDS, Customer, NewVendor, VENDOR_FIELDS, Vendor};
use crate::scripting::api::Api;
use crate::scripting::args::MapArgs;
use crate::scripting::errors::{RhaiResult, ledger_error};
use crate::scripting::session::Session;

/// Registers the functions that create and change customers and vendors.
pub(super) fn register(api: &mut Api, session: &Rc<Session>) {
    let hooks: Rc<dyn HookLedger> = Rc::clone(session) as Rc<dyn HookLedger>;
    register_create_vendor(api, &hooks);
    register_customers_and_updates(api, session);
    register_link_vendor(api, &hooks);
}

/// Applies the fields of `m` to a customer (a key left out keeps its value, `()` clears it).
fn apply_customer_fields(m: &MapArgs, c: &mut Customer) -> RhaiResult<()> {
    m.update_required("name", &mut c.name)?;
    m.update_required("currency", &mut c.currency)?;
    m.update_required("group", &mut c.group)?;
    m.update_text("vendor_account", &mut c.vendor_account)?;
    if let Some(hold) = m.bool("payment_hold")? {
        c.payment_hold = hold;
    }
    m.update_text("address", &mut c.address)?;
    m.update_text("tax_id", &mut c.tax_id)?;
    if m.has("iban") {
        c.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        c.bic = m.bic("bic")?;
    }
    Ok(())
}

/// Applies the fields of `m` to a vendor (a key left out keeps its value, `()` clears it).
fn apply_vendor_fields(m: &MapArgs, v: &mut Vendor) -> RhaiResult<()> {
    m.update_required("name", &mut v.name)?;
    m.update_required("currency", &mut v.currency)?;
    m.update_required("group", &mut v.group)?;
    if let Some(blocked) = m.bool("blocked")? {
        v.blocked = blocked;
    }
    m.update_text("address", &mut v.address)?;
    m.update_text("tax_id", &mut v.tax_id)?;
    if m.has("iban") {
        v.iban = m.iban("iban")?;
    }
    if m.has("bic") {
        v.bic = m.bic("bic")?;
    }
    m.update_text("payment_terms", &mut v.payment_terms)?;
    m.update_text("method_of_payment", &mut v.method_of_payment)?;
    Ok(())
}

/// Creating and changing customers, and changing vendors: the same checks as an import, and
/// every change in the audit trail of master-data changes.
fn register_customers_and_updates(api: &mut Api, session: &Rc<Session>) {
    let s = Rc::clone(session);
    api.add("create_customer", &["fields: Map"], "Customer",
        "Creates a customer. Fields: account, name and currency (required); group (default DEFAULT), vendor_account, payment_hold (bool), address, tax_id, iban, bic (checked). Recorded in the trail of master-data changes (`reimburse changes`).",
        move |fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("create_customer", &fields, &CUSTOMER_FIELDS)?;
            let mut c = Customer {
                account: m.required("account")?,
                name: m.required("name")?,
                currency: m.required("currency")?,
                group: "DEFAULT".into(),
                address: None,
                vendor_account: None,
                payment_hold: false,
                tax_id: None,
                iban: None,
                bic: None,
            };
            apply_customer_fields(&m, &mut c)?;
            s.ledger.create_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_customer", &["account: String", "fields: Map"], "Customer",
        "Changes a customer's fields: name, currency, group, vendor_account, payment_hold, address, tax_id, iban, bic. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes (who, when, old and new value).",
        move |account: &str, fields: Map| -> RhaiResult<Customer> {
            let m = MapArgs::new("update_customer", &fields, &CUSTOMER_FIELDS[1..])?;
            let mut c = s.ledger.require_customer(account).map_err(ledger_error)?;
            apply_customer_fields(&m, &mut c)?;
            s.ledger.update_customer(&c).map_err(ledger_error)?;
            Ok(c)
        });
    let s = Rc::clone(session);
    api.add("update_vendor", &["account: String", "fields: Map"], "Vendor",
        "Changes a vendor's fields: name, currency, group, blocked, address, tax_id, iban, bic, payment_terms, method_of_payment. A field left out keeps its value; `()` clears an optional one. Each change is recorded in the trail of master-data changes.",
        move |account: &str, fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("update_vendor", &fields, &VENDOR_FIELDS[1..])?;
            let mut v = s.ledger.require_vendor(account).map_err(ledger_error)?;
            apply_vendor_fields(&m, &mut v)?;
            s.ledger.update_vendor(&v).map_err(ledger_error)?;
            Ok(v)
        });
}

/// Registers `create_vendor` and `link_vendor` over `hooks` (the session's ledger, or the books
/// worked out ahead).
pub(super) fn register_hook_calls(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    register_create_vendor(api, hooks);
    register_link_vendor(api, hooks);
}

fn register_create_vendor(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    let s = Rc::clone(hooks);
    api.add("create_vendor", &["fields: Map"], "Vendor",
        "Creates a vendor. Fields: name and currency (required); account (default: next number of the one-time vendor sequence), address, group, one_time (bool), created_for (customer account), payment_terms, method_of_payment, tax_id, iban, bic (checked). Recorded in the trail of master-data changes.",
        move |fields: Map| -> RhaiResult<Vendor> {
            let m = MapArgs::new("create_vendor", &fields, &["account", "name", "address", "group", "currency", "one_time", "created_for", "payment_terms", "method_of_payment", "tax_id", "iban", "bic"])?;
            let v = NewVendor {
                account: m.string("account")?,
                name: m.required("name")?,
                address: m.string("address")?,
                group: m.string("group")?,
                currency: m.required("currency")?,
                one_time: m.bool("one_time")?.unwrap_or(false),
                created_for: m.string("created_for")?,
                payment_terms: m.string("payment_terms")?,
                method_of_payment: m.string("method_of_payment")?,
                tax_id: m.string("tax_id")?,
                iban: m.iban("iban")?,
                bic: m.bic("bic")?,
            };
            s.calls().create_vendor(&v).map_err(|e| s.failed(e))
        });
}

fn register_link_vendor(api: &mut Api, hooks: &Rc<dyn HookLedger>) {
    let s = Rc::clone(hooks);
    api.add(
        "link_vendor",
        &["customer: String", "vendor: String"],
        "()",
        "Makes `vendor` the customer's vendor account (used by the next runs).",
        move |customer: &str, vendor: &str| -> RhaiResult<()> {
            s.calls()
                .link_vendor(customer, Some(vendor))
                .map_err(|e| s.failed(e))
        },
    );
}
