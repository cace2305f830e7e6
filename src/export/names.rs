//! Journal account names: [`AccountNames`] (by role, then by chart-of-accounts number),
//! [`component`] (a name part valid in both formats), and what an account is called in messages
//! and metadata.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

pub use crate::ledger::Party;
use crate::parameters::PostingAccounts;

/// The key of an exported account: a general-ledger account, with the customer or vendor when the
/// line belongs to a sub-ledger.
pub type AccountKey = (String, Option<Party>);

/// An account as messages name it: `account` with its customer or vendor.
pub(super) fn describe(account: &str, party: Option<&Party>) -> String {
    match party {
        None => format!("general-ledger account '{account}'"),
        Some(Party::Customer(c)) => format!("customer '{c}' (on '{account}')"),
        Some(Party::Vendor(v)) => format!("vendor '{v}' (on '{account}')"),
    }
}

/// Sanitizes `text` into one account-name component valid in both formats: ASCII letters, digits
/// and `-`, starting with an uppercase letter or a digit. Other characters become `-`; a leading
/// lowercase letter is capitalized; a component that would start with anything else (or be empty)
/// gets an `X` in front.
pub fn component(text: &str) -> String {
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    match out.chars().next() {
        Some(c) if c.is_ascii_uppercase() || c.is_ascii_digit() => {}
        Some(c) if c.is_ascii_lowercase() => {
            out.replace_range(..1, &c.to_ascii_uppercase().to_string());
        }
        _ => out.insert(0, 'X'),
    }
    out
}

/// Maps general-ledger accounts (and their customer and vendor sub-accounts) to journal account
/// names, from the posting accounts of the company parameters.
#[derive(Debug, Clone)]
pub struct AccountNames {
    roles: HashMap<String, &'static str>,
}

impl AccountNames {
    /// The naming for a company's posting accounts.
    pub fn new(accounts: &PostingAccounts) -> AccountNames {
        let mut roles = HashMap::new();
        // The first role wins if one account has two.
        for (account, name) in [
            (&accounts.receivables, "Assets:Receivables"),
            (&accounts.payables, "Liabilities:Payables"),
            (&accounts.bank, "Assets:Bank"),
            (&accounts.opening_balance, "Equity:Opening-Balances"),
            (
                &accounts.import_counter().to_string(),
                "Equity:Imported-Balances",
            ),
        ] {
            roles.entry(account.clone()).or_insert(name);
        }
        AccountNames { roles }
    }

    /// The name of a general-ledger account.
    pub fn gl(&self, account: &str) -> String {
        if let Some(name) = self.roles.get(account) {
            return name.to_string();
        }
        let root = match account.trim().chars().next() {
            Some('1') => "Assets",
            Some('2') => "Liabilities",
            Some('3') => "Equity",
            Some('4') => "Income",
            Some('5'..='9') => "Expenses",
            _ => "Equity",
        };
        format!("{root}:GL-{}", component(account).trim_start_matches('X'))
    }

    /// The name of an account: the general-ledger account, or its customer or vendor sub-account.
    pub fn name(&self, key: &AccountKey) -> String {
        self.name_of(&key.0, key.1.as_ref())
    }

    /// [`AccountNames::name`] of a general-ledger account and its customer or vendor.
    pub(super) fn name_of(&self, account: &str, party: Option<&Party>) -> String {
        let base = self.gl(account);
        match party {
            None => base,
            Some(Party::Customer(p)) | Some(Party::Vendor(p)) => format!("{base}:{}", component(p)),
        }
    }
}

/// A stable 64-bit hash of an account name.
pub(super) fn name_hash(name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

/// The metadata of an account: its general-ledger account, customer or vendor, and name.
pub(super) fn account_tags<'a>(
    key: &'a AccountKey,
    name: Option<&'a str>,
) -> Vec<(&'static str, &'a str)> {
    let mut tags = vec![("gl-account", key.0.as_str())];
    match &key.1 {
        None => {}
        Some(Party::Customer(c)) => tags.push(("customer", c)),
        Some(Party::Vendor(v)) => tags.push(("vendor", v)),
    }
    if let Some(name) = name {
        tags.push(("name", name));
    }
    tags
}
