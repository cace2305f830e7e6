//! The checks of the parameters that serde does not make, one a section: each error is a key path
//! and a message, which [`super::Company::from_parameters`] locates in the YAML text.

use rust_decimal::Decimal;

use super::{MAX_BANK_NAME_CHARS, MAX_NESTING, Parameters, SequenceSettings};
use crate::money::{Currency, MAX_DECIMALS};

/// The result of a check: the key path and message of the first error.
type Check<T = ()> = Result<T, (String, String)>;

/// An error at a key path.
fn err<T>(path: &str, message: String) -> Check<T> {
    Err((path.to_string(), message))
}

/// Every check, in the order of the sections: the first error found is returned.
pub(super) fn validate(p: &Parameters) -> Result<(), (String, String)> {
    check_company(p)?;
    let accounting = check_currencies(p)?;
    check_exchange_rates(p)?;
    check_minimum_reimbursement(p, &accounting)?;
    check_accounts(p)?;
    check_sequences(p)?;
    check_one_time_vendor(p)?;
    check_bank_account(p)?;
    check_write_off(p, &accounting)?;
    check_approval(p, &accounting)?;
    check_limits(p)
}

/// `company`: the id is not empty.
fn check_company(p: &Parameters) -> Check {
    if p.company.id.trim().is_empty() {
        return err("company.id", "must not be empty".into());
    }
    Ok(())
}

/// `currencies` (at least one, codes without spaces, at most [`MAX_DECIMALS`] decimals) and
/// `accounting_currency` (one of them, returned).
fn check_currencies(p: &Parameters) -> Check<Currency> {
    if p.currencies.is_empty() {
        return err("currencies", "at least one currency is required".into());
    }
    for (code, settings) in &p.currencies {
        if code.trim().is_empty() || code.contains(char::is_whitespace) {
            return err("currencies", format!("'{code}' is not a currency code"));
        }
        if settings.decimals > MAX_DECIMALS {
            return err(
                &format!("currencies.{code}.decimals"),
                format!("{} is more than {MAX_DECIMALS}", settings.decimals),
            );
        }
    }
    let Some(accounting) = p.currency(&p.accounting_currency) else {
        return err(
            "accounting_currency",
            format!(
                "unknown currency '{}' (not in currencies: {})",
                p.accounting_currency,
                p.currencies.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    };
    Ok(accounting)
}

/// `exchange_rates`: positive, of known currencies, 1 for the accounting currency, and one for
/// every other currency.
fn check_exchange_rates(p: &Parameters) -> Check {
    for (code, rate) in &p.exchange_rates {
        let path = format!("exchange_rates.{code}");
        if !p.currencies.contains_key(code) {
            return err(&path, format!("unknown currency '{code}'"));
        }
        if *rate <= Decimal::ZERO {
            return err(&path, format!("rate {rate} must be positive"));
        }
        if *code == p.accounting_currency && *rate != Decimal::ONE {
            return err(&path, "the accounting currency's rate must be 1".into());
        }
    }
    for code in p.currencies.keys() {
        if *code != p.accounting_currency && !p.exchange_rates.contains_key(code) {
            return err(
                "exchange_rates",
                format!("missing the rate of {code} to {}", p.accounting_currency),
            );
        }
    }
    Ok(())
}

/// `minimum_reimbursement`: zero or more, with no more decimals than the accounting currency.
fn check_minimum_reimbursement(p: &Parameters, accounting: &Currency) -> Check {
    if p.minimum_reimbursement < Decimal::ZERO {
        return err(
            "minimum_reimbursement",
            format!("{} must not be negative", p.minimum_reimbursement),
        );
    }
    if let Err(e) = accounting.check(p.minimum_reimbursement) {
        return err("minimum_reimbursement", e.to_string());
    }
    Ok(())
}

/// `accounts`: none empty, none used twice.
fn check_accounts(p: &Parameters) -> Check {
    let accounts = p.accounts.all();
    for (i, (account, _)) in accounts.iter().enumerate() {
        let names = [
            "receivables",
            "payables",
            "bank",
            "opening_balance",
            "import",
        ];
        if account.trim().is_empty() {
            return err(
                &format!("accounts.{}", names[i]),
                "must not be empty".into(),
            );
        }
        if accounts[..i].iter().any(|(other, _)| other == account) {
            return err(
                &format!("accounts.{}", names[i]),
                format!("account '{account}' is used twice"),
            );
        }
    }
    Ok(())
}

/// `sequences` and `one_time_vendor.sequence`: widths of 1 to 18; no two document sequences that
/// could give the same number.
fn check_sequences(p: &Parameters) -> Check {
    let mut sequences: Vec<(String, &SequenceSettings)> = p
        .sequences
        .all()
        .iter()
        .map(|(n, s)| (format!("sequences.{n}"), *s))
        .collect();
    sequences.push((
        "one_time_vendor.sequence".into(),
        &p.one_time_vendor.sequence,
    ));
    for (path, seq) in &sequences {
        if seq.width == 0 || seq.width > 18 {
            return err(
                &format!("{path}.width"),
                format!("{} is not between 1 and 18", seq.width),
            );
        }
    }
    // Voucher and invoice numbers must never repeat across sequences: `RMB-` beside `RMB-` (or
    // `R` beside `R0`, whose numbers `R0000001` and `R0` + `000001` meet) could give two
    // documents one number. Vendor accounts (the one-time vendor sequence) are apart.
    let documents = &sequences[..sequences.len() - 1];
    for (i, (path, seq)) in documents.iter().enumerate() {
        for (other_path, other) in &documents[..i] {
            if numbers_may_meet(&seq.prefix, &other.prefix) {
                return err(
                    &format!("{path}.prefix"),
                    format!(
                        "'{}' can give the same numbers as {other_path} ('{}'): give each sequence a prefix of its own",
                        seq.prefix, other.prefix
                    ),
                );
            }
        }
    }
    Ok(())
}

/// `one_time_vendor`: the group is not empty.
fn check_one_time_vendor(p: &Parameters) -> Check {
    if p.one_time_vendor.group.trim().is_empty() {
        return err("one_time_vendor.group", "must not be empty".into());
    }
    Ok(())
}

/// `bank_account` (when given): a name of 1 to [`MAX_BANK_NAME_CHARS`] characters, without
/// control characters. Its IBAN and BIC were checked when read ([`crate::bank`]).
fn check_bank_account(p: &Parameters) -> Check {
    let Some(bank) = &p.bank_account else {
        return Ok(());
    };
    let name = &bank.name;
    if name.trim().is_empty() {
        return err("bank_account.name", "must not be empty".into());
    }
    let chars = name.chars().count();
    if chars > MAX_BANK_NAME_CHARS {
        return err(
            "bank_account.name",
            format!(
                "{chars} characters is more than {MAX_BANK_NAME_CHARS} (the SEPA limit for a name)"
            ),
        );
    }
    if name.chars().any(char::is_control) {
        return err(
            "bank_account.name",
            "must not contain control characters (a line break, a tab)".into(),
        );
    }
    Ok(())
}

/// `write_off` (when given): `below` more than zero, with no more decimals than the accounting
/// currency; `account` not empty and not a control account (receivables, payables), which take
/// lines only through customers and vendors.
fn check_write_off(p: &Parameters, accounting: &Currency) -> Check {
    let Some(w) = &p.write_off else {
        return Ok(());
    };
    if w.below <= Decimal::ZERO {
        return err(
            "write_off.below",
            format!("{} must be more than zero", w.below),
        );
    }
    if let Err(e) = accounting.check(w.below) {
        return err("write_off.below", e.to_string());
    }
    if w.account.trim().is_empty() {
        return err("write_off.account", "must not be empty".into());
    }
    for (role, control) in [
        ("receivables", &p.accounts.receivables),
        ("payables", &p.accounts.payables),
    ] {
        if w.account == *control {
            return err(
                "write_off.account",
                format!(
                    "'{}' is the {role} control account (accounts.{role}): write off to a \
                     general-ledger account of its own (other income)",
                    w.account
                ),
            );
        }
    }
    Ok(())
}

/// `approval` (when given): `required_above` zero or more, with no more decimals than the
/// accounting currency; each approver a name without spaces and a limit above zero.
fn check_approval(p: &Parameters, accounting: &Currency) -> Check {
    let Some(approval) = &p.approval else {
        return Ok(());
    };
    if approval.required_above < Decimal::ZERO {
        return err(
            "approval.required_above",
            format!("{} must not be negative", approval.required_above),
        );
    }
    if let Err(e) = accounting.check(approval.required_above) {
        return err("approval.required_above", e.to_string());
    }
    if approval.approvers.is_empty() {
        return err(
            "approval.approvers",
            "at least one approver is needed (user: largest amount they may approve), or nothing \
             above required_above could ever be paid"
                .into(),
        );
    }
    for (name, limit) in &approval.approvers {
        if name.trim().is_empty() || name.contains(char::is_whitespace) {
            return err(
                "approval.approvers",
                format!("'{name}' is not a user name (not empty, no spaces)"),
            );
        }
        if *limit <= Decimal::ZERO {
            return err(
                &format!("approval.approvers.{name}"),
                format!("the limit {limit} must be more than zero"),
            );
        }
    }
    Ok(())
}

/// `limits`: none zero, the nesting no deeper than [`MAX_NESTING`].
fn check_limits(p: &Parameters) -> Check {
    let l = &p.limits;
    // Rhai reads 0 as "unlimited" for the operations, the modules and the string, array and map
    // sizes; a memory or time limit of 0 would stop every script.
    if l.max_operations == 0
        || l.max_call_levels == 0
        || l.max_expr_depth == 0
        || l.max_string_size == 0
        || l.max_array_size == 0
        || l.max_map_size == 0
        || l.max_memory_mb == 0
        || l.max_modules == 0
        || l.max_seconds == 0
    {
        return err("limits", "limits must be greater than zero".into());
    }
    // Each level of calls or expressions takes stack, tens of kB in a debug build: deeper, a
    // script could overflow the stack (8 MiB, on the main and the read-ahead thread alike) and
    // abort the program instead of stopping with an error.
    for (key, value) in [
        ("max_call_levels", l.max_call_levels),
        ("max_expr_depth", l.max_expr_depth),
    ] {
        if value > MAX_NESTING {
            return err(
                &format!("limits.{key}"),
                format!(
                    "{value} is more than {MAX_NESTING} (deeper nesting could overflow the stack)"
                ),
            );
        }
    }
    Ok(())
}

/// Whether two number sequences could number two documents alike: one prefix is the other
/// followed by nothing but digits (the counters are digits).
fn numbers_may_meet(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .is_some_and(|rest| rest.bytes().all(|c| c.is_ascii_digit()))
}
