//! The reports that only read: `balances`, `trial-balance` and `runs` (the audit trail), as
//! tables or JSON.
//!
//! Must not depend on the other commands.

use std::io::Write;

use serde_json::json;

use super::{right_align, table, write_json};
use crate::Error;
use crate::ledger::{Ledger, LedgerError, RunId, Side};
use crate::process;
use crate::text::printable_row;

/// `balances`: customer and/or vendor balances per currency, as tables or JSON.
pub(super) fn balances(
    ledger: &Ledger,
    customers: bool,
    vendors: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let sides: Vec<Side> = [(customers, Side::Customer), (vendors, Side::Vendor)]
        .into_iter()
        .filter_map(|(on, s)| on.then_some(s))
        .collect();
    if json {
        return balances_json(ledger, &sides, out);
    }
    for side in sides {
        let rows = ledger.all_balances(side)?;
        writeln!(
            out,
            "{} balances",
            if side == Side::Customer {
                "Customer"
            } else {
                "Vendor"
            }
        )?;
        let mut t = table(&[
            "account",
            "name",
            "currency",
            "balance",
            "open debit",
            "open credit",
            "IBAN",
        ]);
        for b in rows {
            t.add_row(printable_row(vec![
                b.balance.account,
                b.name,
                b.balance.currency,
                b.balance.balance.to_string(),
                b.balance.open_debit.to_string(),
                b.balance.open_credit.to_string(),
                b.iban.map(|i| i.to_string()).unwrap_or_default(),
            ]));
        }
        right_align(&mut t, &[3, 4, 5]);
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// `balances --json`: one list per side; a row has `iban` only where there is one.
fn balances_json(ledger: &Ledger, sides: &[Side], out: &mut dyn Write) -> Result<(), Error> {
    let mut doc = serde_json::Map::new();
    for side in sides {
        let rows: Vec<_> = ledger
            .all_balances(*side)?
            .into_iter()
            .map(|b| {
                let mut row = json!({
                    "account": b.balance.account,
                    "name": b.name,
                    "currency": b.balance.currency,
                    "balance": b.balance.balance.to_string(),
                    "open_debit": b.balance.open_debit.to_string(),
                    "open_credit": b.balance.open_credit.to_string(),
                });
                // The bank account only where there is one: rows keep their shape.
                if let Some(iban) = b.iban {
                    row["iban"] = json!(iban);
                }
                row
            })
            .collect();
        doc.insert(format!("{}s", side.name()), rows.into());
    }
    write_json(out, &doc.into())
}

/// `trial-balance`: the general ledger's accounts and the totals per currency.
pub(super) fn trial_balance(ledger: &Ledger, json: bool, out: &mut dyn Write) -> Result<(), Error> {
    let rows = ledger.trial_balance()?;
    let totals = ledger.trial_balance_totals()?;
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| json!({"account": r.account, "name": r.name, "currency": r.currency, "balance": r.balance.to_string()}))
            .collect();
        let totals: serde_json::Map<_, _> = totals
            .iter()
            .map(|(c, t)| (c.clone(), t.to_string().into()))
            .collect();
        return write_json(out, &json!({"accounts": rows, "totals": totals}));
    }
    let mut t = table(&["account", "name", "currency", "balance"]);
    for r in rows {
        t.add_row(printable_row(vec![
            r.account,
            r.name,
            r.currency,
            r.balance.to_string(),
        ]));
    }
    for (currency, total) in &totals {
        t.add_row(vec![
            "".into(),
            "Total".into(),
            currency.clone(),
            total.to_string(),
        ]);
    }
    right_align(&mut t, &[3]);
    writeln!(out, "{t}")?;
    Ok(())
}

/// `runs`: the runs recorded in the database (only `only`, when given: one that does not exist
/// is an error).
pub(super) fn runs(
    ledger: &Ledger,
    only: Option<RunId>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut runs = process::runs(ledger)?;
    if let Some(id) = only {
        runs.retain(|r| r.id == id);
        if runs.is_empty() {
            return Err(LedgerError::NotFound {
                what: "run",
                key: id.to_string(),
            }
            .into());
        }
    }
    if json {
        return write_json(out, &json!({ "runs": runs }));
    }
    let mut t = table(&[
        "run",
        "kind",
        "started",
        "user",
        "date",
        "selection",
        "considered",
        "done",
        "skipped",
        "failed",
        "rules hash",
    ]);
    for r in runs {
        t.add_row(printable_row(vec![
            r.id.to_string(),
            r.kind,
            r.started_at,
            r.user,
            r.posting_date,
            r.selection,
            r.considered.to_string(),
            r.reimbursed.to_string(),
            r.skipped.to_string(),
            r.failed.to_string(),
            r.rules_hash
                .map(|h| h[..12].to_string())
                .unwrap_or_default(),
        ]));
    }
    writeln!(out, "{t}")?;
    Ok(())
}
