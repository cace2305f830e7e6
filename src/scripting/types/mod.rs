//! The domain types scripts see (customers, vendors, transactions, balances, vouchers, trial
//! balance rows, the parameters): their names, read-only properties and one-line printing.
//!
//! It must not depend on the session or the API functions: types are registered in every engine,
//! a [`super::Detached`] one too.

use std::rc::Rc;

use rhai::{Array, Dynamic, Map};

use super::api::Api;
use super::values::{opt, opt_text, unit_or};
use crate::bank::{Bic, Iban};
use crate::ledger::{Balance, Customer, PostedVoucher, Transaction, TrialBalanceRow, Vendor};
use crate::parameters::Parameters;

/// The parameters as scripts see them: read-only (no setters exist).
#[derive(Debug, Clone)]
pub struct ParamsView(pub Rc<Parameters>);

/// Registers the domain types, their read-only properties and their printing.
pub(super) fn register_types(api: &mut Api) {
    api.engine.register_type_with_name::<Customer>("Customer");
    api.engine.register_type_with_name::<Vendor>("Vendor");
    api.engine
        .register_type_with_name::<Transaction>("Transaction");
    api.engine.register_type_with_name::<Balance>("Balance");
    api.engine
        .register_type_with_name::<PostedVoucher>("Voucher");
    api.engine
        .register_type_with_name::<ParamsView>("Parameters");
    api.engine
        .register_type_with_name::<TrialBalanceRow>("TrialBalanceRow");

    api.type_doc(
        "Customer",
        "A customer account (read-only; change it with API functions).",
    );
    api.getter(
        "Customer",
        "account",
        "String",
        "Account number, e.g. `C-001`.",
        |c: &mut Customer| c.account.clone(),
    );
    api.getter("Customer", "name", "String", "Name.", |c: &mut Customer| {
        c.name.clone()
    });
    api.getter(
        "Customer",
        "address",
        "String or ()",
        "Postal address, or `()` when none.",
        |c: &mut Customer| opt(&c.address),
    );
    api.getter(
        "Customer",
        "currency",
        "String",
        "The customer's currency.",
        |c: &mut Customer| c.currency.clone(),
    );
    api.getter(
        "Customer",
        "group",
        "String",
        "Customer group, e.g. `RETAIL`.",
        |c: &mut Customer| c.group.clone(),
    );
    api.getter(
        "Customer",
        "vendor_account",
        "String or ()",
        "The vendor account that receives the customer's credit, or `()` when none.",
        |c: &mut Customer| opt(&c.vendor_account),
    );
    api.getter(
        "Customer",
        "payment_hold",
        "bool",
        "True when the account is on hold for payments.",
        |c: &mut Customer| c.payment_hold,
    );
    api.getter(
        "Customer",
        "tax_id",
        "String or ()",
        "Tax id, or `()` when none.",
        |c: &mut Customer| opt(&c.tax_id),
    );
    api.getter(
        "Customer",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()` when none.",
        |c: &mut Customer| opt_text(c.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Customer",
        "bic",
        "String or ()",
        "The bank's BIC, or `()` when none.",
        |c: &mut Customer| opt_text(c.bic.as_ref().map(Bic::as_str)),
    );

    api.type_doc("Vendor", "A vendor account.");
    api.getter(
        "Vendor",
        "account",
        "String",
        "Account number, e.g. `V-100`.",
        |v: &mut Vendor| v.account.clone(),
    );
    api.getter("Vendor", "name", "String", "Name.", |v: &mut Vendor| {
        v.name.clone()
    });
    api.getter(
        "Vendor",
        "address",
        "String or ()",
        "Postal address, or `()`.",
        |v: &mut Vendor| opt(&v.address),
    );
    api.getter(
        "Vendor",
        "group",
        "String",
        "Vendor group.",
        |v: &mut Vendor| v.group.clone(),
    );
    api.getter(
        "Vendor",
        "currency",
        "String",
        "The vendor's currency.",
        |v: &mut Vendor| v.currency.clone(),
    );
    api.getter(
        "Vendor",
        "one_time",
        "bool",
        "True for a one-time vendor created automatically.",
        |v: &mut Vendor| v.one_time,
    );
    api.getter(
        "Vendor",
        "created_for",
        "String or ()",
        "The customer the vendor was created for, or `()`.",
        |v: &mut Vendor| opt(&v.created_for),
    );
    api.getter(
        "Vendor",
        "blocked",
        "bool",
        "True when the vendor is blocked for postings.",
        |v: &mut Vendor| v.blocked,
    );
    api.getter(
        "Vendor",
        "payment_terms",
        "String or ()",
        "Payment terms, or `()`.",
        |v: &mut Vendor| opt(&v.payment_terms),
    );
    api.getter(
        "Vendor",
        "method_of_payment",
        "String or ()",
        "Method of payment, or `()`.",
        |v: &mut Vendor| opt(&v.method_of_payment),
    );
    api.getter(
        "Vendor",
        "tax_id",
        "String or ()",
        "Tax id, or `()`.",
        |v: &mut Vendor| opt(&v.tax_id),
    );
    api.getter(
        "Vendor",
        "iban",
        "String or ()",
        "Bank account (IBAN, electronic format), or `()`.",
        |v: &mut Vendor| opt_text(v.iban.as_ref().map(Iban::as_str)),
    );
    api.getter(
        "Vendor",
        "bic",
        "String or ()",
        "The bank's BIC, or `()`.",
        |v: &mut Vendor| opt_text(v.bic.as_ref().map(Bic::as_str)),
    );

    api.type_doc(
        "Transaction",
        "A customer or vendor transaction. Amounts are signed: debit +, credit −.",
    );
    api.getter(
        "Transaction",
        "id",
        "int",
        "Row id: pass it to `settle`.",
        |t: &mut Transaction| t.id,
    );
    api.getter(
        "Transaction",
        "account",
        "String",
        "The customer or vendor account.",
        |t: &mut Transaction| t.account.clone(),
    );
    api.getter(
        "Transaction",
        "voucher",
        "String",
        "Voucher number.",
        |t: &mut Transaction| t.voucher.clone(),
    );
    api.getter(
        "Transaction",
        "date",
        "String",
        "Date (YYYY-MM-DD).",
        |t: &mut Transaction| t.date.to_string(),
    );
    api.getter(
        "Transaction",
        "document",
        "String",
        "Document number.",
        |t: &mut Transaction| t.document.clone(),
    );
    api.getter(
        "Transaction",
        "type",
        "String",
        "Type: invoice, payment, credit_note, reimbursement, …",
        |t: &mut Transaction| t.kind.clone(),
    );
    api.getter(
        "Transaction",
        "currency",
        "String",
        "Currency.",
        |t: &mut Transaction| t.currency.clone(),
    );
    api.getter(
        "Transaction",
        "amount",
        "Decimal",
        "Signed amount.",
        |t: &mut Transaction| t.amount,
    );
    api.getter(
        "Transaction",
        "open",
        "Decimal",
        "Open (unsettled) part, same sign as the amount.",
        |t: &mut Transaction| t.open,
    );
    api.getter(
        "Transaction",
        "is_credit",
        "bool",
        "True for a credit (negative amount).",
        |t: &mut Transaction| t.amount.is_sign_negative(),
    );

    api.type_doc(
        "Balance",
        "An account's balance in one currency. The `credit` given to the rule hooks is a Balance.",
    );
    api.getter(
        "Balance",
        "account",
        "String",
        "The customer or vendor account.",
        |b: &mut Balance| b.account.clone(),
    );
    api.getter(
        "Balance",
        "currency",
        "String",
        "Currency.",
        |b: &mut Balance| b.currency.clone(),
    );
    api.getter(
        "Balance",
        "balance",
        "Decimal",
        "Sum of all transactions; negative is a credit balance.",
        |b: &mut Balance| b.balance,
    );
    api.getter(
        "Balance",
        "open_debit",
        "Decimal",
        "Open debits (unpaid invoices), 0 or more.",
        |b: &mut Balance| b.open_debit,
    );
    api.getter(
        "Balance",
        "open_credit",
        "Decimal",
        "Open credits (payments, credit notes), 0 or less.",
        |b: &mut Balance| b.open_credit,
    );
    api.getter(
        "Balance",
        "latest_open",
        "String or ()",
        "Date (YYYY-MM-DD) of the latest open transaction, or () when none is open. A run skips a credit with open transactions dated after its posting date.",
        |b: &mut Balance| unit_or(b.latest_open.map(|d| d.to_string())),
    );

    api.type_doc("Voucher", "A posted voucher.");
    api.getter(
        "Voucher",
        "number",
        "String",
        "Voucher number, e.g. `RMB-000001`.",
        |v: &mut PostedVoucher| v.number.clone(),
    );
    api.getter(
        "Voucher",
        "date",
        "String",
        "Posting date.",
        |v: &mut PostedVoucher| v.date.to_string(),
    );
    api.getter(
        "Voucher",
        "description",
        "String",
        "Description.",
        |v: &mut PostedVoucher| v.description.clone(),
    );
    api.getter(
        "Voucher",
        "customer_transactions",
        "Array of int",
        "Ids of the customer transactions it created.",
        |v: &mut PostedVoucher| {
            v.customer_transactions
                .iter()
                .map(|i| Dynamic::from(*i))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "vendor_transactions",
        "Array of int",
        "Ids of the vendor transactions it created.",
        |v: &mut PostedVoucher| {
            v.vendor_transactions
                .iter()
                .map(|i| Dynamic::from(*i))
                .collect::<Array>()
        },
    );
    api.getter(
        "Voucher",
        "lines",
        "Array of maps",
        "General-ledger lines: #{account, currency, amount}.",
        |v: &mut PostedVoucher| {
            v.lines
                .iter()
                .map(|(a, c, amt)| {
                    let mut m = Map::new();
                    m.insert("account".into(), a.clone().into());
                    m.insert("currency".into(), c.clone().into());
                    m.insert("amount".into(), Dynamic::from(*amt));
                    Dynamic::from(m)
                })
                .collect::<Array>()
        },
    );

    api.type_doc(
        "TrialBalanceRow",
        "A general-ledger account's balance in one currency.",
    );
    api.getter(
        "TrialBalanceRow",
        "account",
        "String",
        "General-ledger account.",
        |r: &mut TrialBalanceRow| r.account.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "name",
        "String",
        "Account name.",
        |r: &mut TrialBalanceRow| r.name.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "currency",
        "String",
        "Currency.",
        |r: &mut TrialBalanceRow| r.currency.clone(),
    );
    api.getter(
        "TrialBalanceRow",
        "balance",
        "Decimal",
        "Balance (debit +).",
        |r: &mut TrialBalanceRow| r.balance,
    );

    api.type_doc(
        "Parameters",
        "The company parameters, read-only: `params().minimum_reimbursement`.",
    );
    api.getter(
        "Parameters",
        "company_id",
        "String",
        "Company id.",
        |p: &mut ParamsView| p.0.company.id.clone(),
    );
    api.getter(
        "Parameters",
        "company_name",
        "String",
        "Company name.",
        |p: &mut ParamsView| p.0.company.name.clone(),
    );
    api.getter(
        "Parameters",
        "accounting_currency",
        "String",
        "The accounting currency.",
        |p: &mut ParamsView| p.0.accounting_currency.clone(),
    );
    api.getter(
        "Parameters",
        "minimum_reimbursement",
        "Decimal",
        "Smallest credit reimbursed, in the accounting currency.",
        |p: &mut ParamsView| p.0.minimum_reimbursement,
    );
    api.getter(
        "Parameters",
        "open_debits",
        "String",
        "How open debits count: `net`, `skip` or `ignore`.",
        |p: &mut ParamsView| p.0.open_debits.as_str().to_string(),
    );
    api.getter(
        "Parameters",
        "link_one_time_vendor",
        "bool",
        "Link a new one-time vendor back to its customer.",
        |p: &mut ParamsView| p.0.one_time_vendor.link_to_customer,
    );
    api.getter(
        "Parameters",
        "one_time_vendor_group",
        "String",
        "Vendor group of one-time vendors.",
        |p: &mut ParamsView| p.0.one_time_vendor.group.clone(),
    );
    api.getter(
        "Parameters",
        "receivables_account",
        "String",
        "Receivables summary account.",
        |p: &mut ParamsView| p.0.accounts.receivables.clone(),
    );
    api.getter(
        "Parameters",
        "payables_account",
        "String",
        "Payables summary account.",
        |p: &mut ParamsView| p.0.accounts.payables.clone(),
    );
    api.getter(
        "Parameters",
        "bank_account",
        "String",
        "Bank account for payments.",
        |p: &mut ParamsView| p.0.accounts.bank.clone(),
    );
    api.getter(
        "Parameters",
        "currencies",
        "Array of String",
        "The company's currency codes.",
        |p: &mut ParamsView| {
            p.0.currencies
                .keys()
                .map(|c| Dynamic::from(c.clone()))
                .collect::<Array>()
        },
    );

    // Readable printing of the domain types.
    macro_rules! printable {
        ($t:ty, $f:expr) => {
            api.printer::<$t>(
                match stringify!($t) {
                    "PostedVoucher" => "Voucher",
                    "ParamsView" => "Parameters",
                    other => other,
                },
                $f,
            );
        };
    }
    printable!(Customer, |c: &mut Customer| format!(
        "Customer {} \"{}\" {} group {}{}{}{}",
        c.account,
        c.name,
        c.currency,
        c.group,
        c.vendor_account
            .as_ref()
            .map(|v| format!(" vendor {v}"))
            .unwrap_or_default(),
        c.iban
            .as_ref()
            .map(|i| format!(" iban {i}"))
            .unwrap_or_default(),
        if c.payment_hold {
            " (payment hold)"
        } else {
            ""
        }
    ));
    printable!(Vendor, |v: &mut Vendor| format!(
        "Vendor {} \"{}\" {} group {}{}{}{}",
        v.account,
        v.name,
        v.currency,
        v.group,
        v.iban
            .as_ref()
            .map(|i| format!(" iban {i}"))
            .unwrap_or_default(),
        if v.one_time { " (one-time)" } else { "" },
        if v.blocked { " (blocked)" } else { "" }
    ));
    printable!(Transaction, |t: &mut Transaction| format!(
        "#{} {} {} {} {} {} {} open {}",
        t.id, t.account, t.date, t.kind, t.document, t.currency, t.amount, t.open
    ));
    printable!(Balance, |b: &mut Balance| format!(
        "{} {} balance {} (open debit {}, open credit {})",
        b.account, b.currency, b.balance, b.open_debit, b.open_credit
    ));
    printable!(PostedVoucher, |v: &mut PostedVoucher| format!(
        "Voucher {} {} \"{}\" {}",
        v.number,
        v.date,
        v.description,
        v.lines
            .iter()
            .map(|(a, c, amt)| format!("[{a} {c} {amt}]"))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    printable!(TrialBalanceRow, |r: &mut TrialBalanceRow| format!(
        "{} {} {} {}",
        r.account, r.name, r.currency, r.balance
    ));
    printable!(ParamsView, |p: &mut ParamsView| format!(
        "Parameters of {} ({}): minimum {} {}, open debits {}",
        p.0.company.id,
        p.0.company.name,
        p.0.minimum_reimbursement,
        p.0.accounting_currency,
        p.0.open_debits.as_str()
    ));
}
