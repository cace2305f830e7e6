//! The vouchers of the journal: each written with its metadata and its postings.

use std::collections::BTreeMap;
use std::io::Write;

use super::accounts::Declared;
use super::header::Commodity;
use super::names::describe;
use super::text::{amount_text, one_line, quoted};
use super::{AccountNames, ExportError, ExportSummary, Format};
use crate::ledger::{JournalReader, JournalVoucher, LedgerError};

/// What the vouchers are written with: the format, the account names and the accounts declared,
/// and the commodities by currency code.
pub(super) struct VoucherWriter<'a> {
    pub(super) format: Format,
    pub(super) names: &'a AccountNames,
    pub(super) declared: &'a Declared,
    pub(super) commodities: &'a BTreeMap<String, Commodity>,
}

impl VoucherWriter<'_> {
    /// Writes every voucher of the period, counting them into `summary`.
    pub(super) fn write_all(
        &self,
        reader: &JournalReader<'_>,
        summary: &mut ExportSummary,
        out: &mut dyn Write,
    ) -> Result<(), ExportError> {
        reader.each_voucher(|voucher| -> Result<(), ExportError> {
            self.write(voucher, out)?;
            summary.vouchers += 1;
            summary.lines += voucher.lines.len();
            let date = voucher.date.parse().ok();
            if summary.first.is_none() {
                summary.first = date;
            }
            summary.last = date;
            Ok(())
        })
    }

    /// Writes one voucher: its head (date, number, description, metadata) and its postings.
    fn write(&self, v: &JournalVoucher, out: &mut dyn Write) -> Result<(), ExportError> {
        writeln!(out)?;
        match self.format {
            Format::Ledger => ledger_head(v, out)?,
            Format::Beancount => beancount_head(v, out)?,
        }
        self.write_postings(v, out)
    }

    /// The postings of a voucher, each on an account declared before.
    fn write_postings(&self, v: &JournalVoucher, out: &mut dyn Write) -> Result<(), ExportError> {
        let indent = if self.format == Format::Ledger {
            "    "
        } else {
            "  "
        };
        let width = self.declared.width;
        for line in &v.lines {
            let account = self.names.name_of(&line.account, line.party.as_ref());
            if !self.declared.contains(&account) {
                return Err(LedgerError::Invalid(format!(
                    "voucher {}: {} changed during the export",
                    v.number,
                    describe(&line.account, line.party.as_ref())
                ))
                .into());
            }
            let commodity =
                self.commodities
                    .get(&line.currency)
                    .ok_or_else(|| LedgerError::NotFound {
                        what: "currency",
                        key: line.currency.clone(),
                    })?;
            let amount = amount_text(&commodity.currency, line.minor);
            let symbol = &commodity.symbol;
            // Two spaces at least between the account and the amount; amounts right-aligned.
            writeln!(out, "{indent}{account:<width$}  {amount:>16} {symbol}")?;
        }
        Ok(())
    }
}

/// A voucher's head in the ledger format.
fn ledger_head(v: &JournalVoucher, out: &mut dyn Write) -> Result<(), ExportError> {
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
    Ok(())
}

/// A voucher's head in the beancount format.
fn beancount_head(v: &JournalVoucher, out: &mut dyn Write) -> Result<(), ExportError> {
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
    Ok(())
}
