//! The rule files compared ahead and in place: the default rules and copies of them changed where
//! working the posting hooks out ahead could go wrong (a voucher number used inside the hook, a
//! number taken from a sequence, reads after settling, a vendor another customer's hook created,
//! output, a failure). Each knows its exact effect against the default rules' dry run on the same
//! books (`effects`), so a variant that stopped biting would be noticed.

use reimburse::process::RunReport;

use super::books::Books;
use super::effects::{self, Base};
use crate::common::{default_rules_text, edit};

/// A rule file compared ahead and in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The shipped rules.
    Default,
    /// `post_reimbursement` skips (after writing) when the voucher number ends in 7: every later
    /// credit gets that number again and is skipped too.
    Seven,
    /// `post_reimbursement` skips (after writing) when the voucher number's last digit and the
    /// customer account's add up to a multiple of 3.
    NumberDigits,
    /// `post_reimbursement` settles against the newest credits first when the voucher number is
    /// even (oldest first when odd).
    SettleByNumber,
    /// `create_one_time_vendor` names the vendor with `next_number("vendor_invoice")`.
    VendorNamedByNumber,
    /// `post_reimbursement` reads `open_transactions` and `balances` after settling: the
    /// description says what is open, and a credit that leaves the customer owing is skipped.
    ReadsAfterSettling,
    /// `post_reimbursement` looks up the first one-time vendor of the run (created for an
    /// earlier customer) and names it in the description.
    EarlierVendor,
    /// Every customer without a vendor is reimbursed to one vendor, `SHARED`, that the first of
    /// them creates and `vendor_for` finds for the others.
    SharedVendor,
    /// `create_one_time_vendor` and `post_reimbursement` print.
    Prints,
    /// `post_reimbursement` fails (after writing) for one customer of the default rules'
    /// reimbursements (the middle one).
    Fails {
        /// The run's `keep_going`.
        keep_going: bool,
    },
}

/// Every variant.
pub const ALL: [Variant; 11] = [
    Variant::Default,
    Variant::Seven,
    Variant::NumberDigits,
    Variant::SettleByNumber,
    Variant::VendorNamedByNumber,
    Variant::ReadsAfterSettling,
    Variant::EarlierVendor,
    Variant::SharedVendor,
    Variant::Prints,
    Variant::Fails { keep_going: true },
    Variant::Fails { keep_going: false },
];

const POST: &str = "fn post_reimbursement(customer, credit, vendor) {\n";
const AMOUNT: &str = "    let amount = reimbursable_amount(credit, policy);\n";
const DESCRIPTION: &str =
    "        description: `Reimbursement of ${customer.account} ${customer.name}`,\n";
const SETTLE: &str = "    settle_against_open(voucher.customer_transactions[0]);\n";
const ONE_TIME: &str = "fn create_one_time_vendor(customer, credit) {\n";
const LAST_DIGIT: &str =
    "\nfn last_digit(text) {\n    text.sub_string(text.len() - 1, 1).parse_int()\n}\n";

/// `text` with `insert` after `anchor`.
fn after(text: &str, anchor: &str, insert: &str) -> String {
    edit(text, anchor, &format!("{anchor}{insert}"))
}

/// The last character of a number or account, as a digit.
pub(super) fn last_digit(text: &str) -> u32 {
    text.chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .unwrap_or_else(|| panic!("{text} does not end in a digit"))
}

fn number_digits(text: &str) -> String {
    after(
        text,
        SETTLE,
        "    if (last_digit(voucher.number) + last_digit(customer.account)) % 3 == 0 {\n        \
         skip(`number ${voucher.number} for ${customer.account}`);\n    }\n",
    ) + LAST_DIGIT
}

fn settle_by_number(text: &str) -> String {
    edit(
        text,
        SETTLE,
        "    let invoice = voucher.customer_transactions[0];\n    \
         if last_digit(voucher.number) % 2 == 0 {\n        \
         let credits = open_transactions(customer.account, credit.currency)\n            \
         .filter(|t| t.is_credit);\n        \
         credits.reverse();\n        \
         let left = amount;\n        \
         for t in credits {\n            \
         if left > 0 { left -= settle(invoice, t.id); }\n        \
         }\n    \
         } else {\n        \
         settle_against_open(invoice);\n    \
         }\n",
    ) + LAST_DIGIT
}

fn reads_after_settling(text: &str) -> String {
    let text = after(
        text,
        AMOUNT,
        "    let open = open_transactions(customer.account, credit.currency);\n    \
         let currencies = balances(customer).len();\n",
    );
    let text = edit(
        &text,
        DESCRIPTION,
        "        description: `Reimbursement of ${customer.account}: ${open.len()} open, \
         ${currencies} currencies`,\n",
    );
    after(
        &text,
        SETTLE,
        "    for b in balances(customer.account) {\n        \
         if b.currency == credit.currency && b.balance > 0 {\n            \
         skip(`owes ${b.balance} ${b.currency} after settling`);\n        \
         }\n    }\n",
    )
}

fn earlier_vendor(text: &str, base: &Base) -> String {
    let first = first_one_time_vendor(&base.report).unwrap_or("OTV-NONE");
    let text = after(
        text,
        POST,
        &format!(
            "    let first = find_vendor(\"{first}\");\n    \
             let seen = if first == () {{ \"none yet\" }} else {{ \
             `${{first.account}} of ${{first.created_for}}` }};\n"
        ),
    );
    edit(
        &text,
        DESCRIPTION,
        "        description: `Reimbursement of ${customer.account} (first one-time \
         vendor: ${seen})`,\n",
    )
}

fn shared_vendor(text: &str) -> String {
    let text = edit(
        text,
        "fn vendor_for(customer, credit) {\n",
        "fn vendor_for(customer, credit) {\n    let common = find_vendor(\"SHARED\");\n    \
         if customer.vendor_account == () && common != () { return common; }\n",
    );
    edit(
        &text,
        "    let vendor = create_vendor(#{\n",
        "    let vendor = create_vendor(#{\n        account: \"SHARED\",\n",
    )
}

fn prints(text: &str) -> String {
    let text = after(
        text,
        ONE_TIME,
        "    print(`vendor for ${customer.account}`);\n",
    );
    let text = after(
        &text,
        POST,
        "    print(`post ${customer.account} ${credit.currency}`);\n",
    );
    after(&text, SETTLE, "    print(`posted ${voucher.number}`);\n")
}

impl Variant {
    /// A short name (the rule file's).
    pub fn name(self) -> String {
        match self {
            Variant::Fails { keep_going } => format!("fails-keep-going-{keep_going}"),
            other => format!("{other:?}").to_lowercase(),
        }
    }

    /// The run's `keep_going`.
    pub fn keep_going(self) -> bool {
        matches!(self, Variant::Fails { keep_going: true })
    }

    /// The rule file's text.
    pub fn rules(self, base: &Base) -> String {
        let text = default_rules_text();
        match self {
            Variant::Default => text,
            Variant::Seven => after(
                &text,
                SETTLE,
                "    if voucher.number.ends_with(\"7\") { skip(`number ${voucher.number}`); }\n",
            ),
            Variant::NumberDigits => number_digits(&text),
            Variant::SettleByNumber => settle_by_number(&text),
            Variant::VendorNamedByNumber => edit(
                &text,
                "        name: customer.name,\n",
                "        name: `${customer.name} ${next_number(\"vendor_invoice\")}`,\n",
            ),
            Variant::ReadsAfterSettling => reads_after_settling(&text),
            Variant::EarlierVendor => earlier_vendor(&text, base),
            Variant::SharedVendor => shared_vendor(&text),
            Variant::Prints => prints(&text),
            Variant::Fails { .. } => after(
                &text,
                SETTLE,
                &format!(
                    "    if customer.account == \"{}\" {{ throw `rule failed for ${{customer.account}}`; }}\n",
                    failing(&base.report).unwrap_or("NO-ONE")
                ),
            ),
        }
    }

    /// Checks the variant's exact effect: `run` is what the run gave (the ahead one; the one in
    /// place is the same), `books` the books after it.
    pub fn check(
        self,
        base: &Base,
        run: &Result<RunReport, String>,
        books: &Books,
    ) -> Result<(), String> {
        let d = &base.report;
        if let Variant::Fails { keep_going: false } = self
            && let Some(customer) = failing(d)
        {
            let err = run.as_ref().err().ok_or("the run did not fail")?;
            effects::ensure(err.contains(&format!("rule failed for {customer}")), || {
                format!("the error names another failure: {err}")
            })?;
            return base.books.same_as(books, "before", "after the failed run");
        }
        let r = run.as_ref().map_err(|e| format!("the run failed: {e}"))?;
        match self {
            Variant::Default | Variant::SettleByNumber => effects::same(d, r),
            Variant::Seven => effects::seven(d, r),
            Variant::NumberDigits => effects::number_digits(d, r),
            Variant::VendorNamedByNumber => effects::vendor_named_by_number(d, r, books),
            Variant::ReadsAfterSettling => effects::reads_after_settling(base, r),
            Variant::EarlierVendor => effects::earlier_vendor(d, r, books),
            Variant::SharedVendor => effects::shared_vendor(d, r, books),
            Variant::Prints => effects::prints(d, r),
            Variant::Fails { .. } => effects::fails(d, r),
        }
    }
}

/// The first one-time vendor the default rules create.
pub(super) fn first_one_time_vendor(d: &RunReport) -> Option<&str> {
    d.reimbursements
        .iter()
        .find(|r| r.one_time_vendor)
        .map(|r| r.vendor.as_str())
}

/// The customer the failing variant fails for: the middle one of the default rules'
/// reimbursements.
pub(super) fn failing(d: &RunReport) -> Option<&str> {
    let n = d.reimbursements.len();
    (n > 0).then(|| d.reimbursements[n / 2].customer.as_str())
}
