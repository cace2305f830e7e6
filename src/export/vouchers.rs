//! The vouchers of the journal: each written with its metadata and its postings.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use super::names::{describe, name_hash};
use super::text::{amount_text, one_line, quoted};
use super::{AccountKey, AccountNames, ExportError, Format};
use crate::ledger::LedgerError;
use crate::money::Currency;

pub(super) struct Line {
    pub(super) key: AccountKey,
    pub(super) currency: String,
    pub(super) minor: i64,
}

pub(super) struct Voucher {
    pub(super) number: String,
    pub(super) date: String,
    pub(super) description: String,
    pub(super) run: Option<i64>,
    pub(super) run_kind: Option<String>,
    pub(super) reimbursements: Option<String>,
    pub(super) lines: Vec<Line>,
}

pub(super) fn write_voucher(
    format: Format,
    v: &Voucher,
    names: &AccountNames,
    declared: &HashSet<u64>,
    currencies: &BTreeMap<String, (Currency, String)>,
    width: usize,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    writeln!(out)?;
    match format {
        Format::Ledger => {
            // `;` would start a comment and `)` would end the code.
            writeln!(
                out,
                "{} ({}) {}",
                v.date,
                one_line(&v.number).replace(')', "]"),
                one_line(&v.description).replace(';', ",")
            )?;
            if let Some(run) = v.run {
                writeln!(out, "    ; run: {run}")?;
                if let Some(kind) = &v.run_kind {
                    writeln!(out, "    ; run-kind: {}", one_line(kind))?;
                }
            }
            if let Some(ids) = &v.reimbursements {
                writeln!(out, "    ; reimbursement: {ids}")?;
            }
        }
        Format::Beancount => {
            writeln!(out, "{} * {}", v.date, quoted(&v.description))?;
            writeln!(out, "  voucher: {}", quoted(&v.number))?;
            if let Some(run) = v.run {
                writeln!(out, "  run: {run}")?;
                if let Some(kind) = &v.run_kind {
                    writeln!(out, "  run-kind: {}", quoted(kind))?;
                }
            }
            match v.reimbursements.as_deref() {
                Some(id) if !id.contains(',') => writeln!(out, "  reimbursement: {id}")?,
                Some(ids) => writeln!(out, "  reimbursement: {}", quoted(ids))?,
                None => {}
            }
        }
    }
    let indent = if format == Format::Ledger {
        "    "
    } else {
        "  "
    };
    for line in &v.lines {
        let account = names.name(&line.key);
        if !declared.contains(&name_hash(&account)) {
            return Err(LedgerError::Invalid(format!(
                "voucher {}: {} changed during the export",
                v.number,
                describe(&line.key)
            ))
            .into());
        }
        let (currency, symbol) =
            currencies
                .get(&line.currency)
                .ok_or_else(|| LedgerError::NotFound {
                    what: "currency",
                    key: line.currency.clone(),
                })?;
        let amount = amount_text(currency, line.minor);
        // Two spaces at least between the account and the amount; amounts right-aligned.
        writeln!(out, "{indent}{account:<width$}  {amount:>16} {symbol}")?;
    }
    Ok(())
}
