//! Posting from scripts: number sequences (`next_number`), balanced vouchers (`post_voucher`)
//! and reimbursements (`post_vendor_invoice`), all through the ledger's one write path.
//!
//! They must not change master data or settle: see [`super::master_data`] and
//! [`super::settlements`].

use std::rc::Rc;

use rhai::{Array, Map};
use rust_decimal::Decimal;

use super::hook_ledger::HookLedger;
use crate::ledger::{LineDraft, PostedVoucher, Target, VoucherDraft};
use crate::scripting::api::Api;
use crate::scripting::args::MapArgs;
use crate::scripting::errors::{RhaiResult, runtime_error};

/// Registers `next_number`, `post_voucher` and `post_vendor_invoice`.
pub(super) fn register(api: &mut Api, session: &Rc<dyn HookLedger>) {
    let s = Rc::clone(session);
    api.add("next_number", &["sequence: String"], "String",
        "Takes the next number of a number sequence (reimbursement, vendor_invoice, payment, opening, one_time_vendor).",
        move |sequence: &str| -> RhaiResult<String> { s.calls().next_number(sequence).map_err(|e| s.failed(e)) });
    let s = Rc::clone(session);
    api.add("post_voucher", &["voucher: Map"], "Voucher",
        "Posts a balanced voucher. Fields: sequence, description, date (default: posting date), lines: array of #{account | customer | vendor, currency, amount, document, type}. Refused unless the lines sum to zero per currency and every account exists; the receivables and payables (control) accounts take customer and vendor lines only.",
        move |voucher: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_voucher", &voucher, &["sequence", "description", "date", "lines"])?;
            let lines = voucher.get("lines").and_then(|l| l.clone().try_cast::<Array>())
                .ok_or_else(|| runtime_error("post_voucher: 'lines' must be an array of maps"))?;
            let mut drafts = Vec::with_capacity(lines.len());
            for (i, line) in lines.into_iter().enumerate() {
                let map = line.try_cast::<Map>().ok_or_else(|| runtime_error(format!("post_voucher: line {i} must be a map")))?;
                let l = MapArgs::new("post_voucher line", &map, &["account", "customer", "vendor", "currency", "amount", "document", "type"])?;
                let target = match (l.string("account")?, l.string("customer")?, l.string("vendor")?) {
                    (Some(a), None, None) => Target::Account(a),
                    (None, Some(c), None) => Target::Customer(c),
                    (None, None, Some(v)) => Target::Vendor(v),
                    _ => return Err(runtime_error(format!("post_voucher: line {i} needs exactly one of account, customer, vendor"))),
                };
                drafts.push(LineDraft { target, currency: l.required("currency")?, amount: l.decimal("amount")?, document: l.string("document")?, kind: l.string("type")? });
            }
            s.calls().post_voucher(&VoucherDraft {
                sequence: m.required("sequence")?,
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_default(),
                lines: drafts,
            }).map_err(|e| s.failed(e))
        });
    let s = Rc::clone(session);
    api.add("post_vendor_invoice", &["invoice: Map"], "Voucher",
        "Posts a reimbursement: a vendor invoice of `amount` to `vendor` and a reimbursement transaction of +amount on `customer`, in `currency` (receivables summary debit, payables summary credit). Fields: customer, vendor, currency, amount (positive), description, date. The invoice number comes from the vendor_invoice sequence, the voucher number from the reimbursement sequence. Settle the customer transaction against the open credits afterwards.",
        move |invoice: Map| -> RhaiResult<PostedVoucher> {
            let m = MapArgs::new("post_vendor_invoice", &invoice, &["customer", "vendor", "currency", "amount", "description", "date"])?;
            let customer = m.required("customer")?;
            let vendor = m.required("vendor")?;
            let currency = m.required("currency")?;
            let amount = m.decimal("amount")?;
            if amount <= Decimal::ZERO {
                return Err(runtime_error(format!("post_vendor_invoice: the amount must be positive, not {amount}")));
            }
            let number = s.calls().next_number("vendor_invoice").map_err(|e| s.failed(e))?;
            s.calls().post_voucher(&VoucherDraft {
                sequence: "reimbursement".into(),
                date: m.date("date", s.date())?,
                description: m.string("description")?.unwrap_or_else(|| format!("Reimbursement of customer {customer}")),
                lines: vec![
                    LineDraft { target: Target::Customer(customer), currency: currency.clone(), amount, document: Some(number.clone()), kind: Some("reimbursement".into()) },
                    LineDraft { target: Target::Vendor(vendor), currency, amount: -amount, document: Some(number), kind: Some("invoice".into()) },
                ],
            }).map_err(|e| s.failed(e))
        });
}
