//! The XML: a `pain.001.001.09` document written by `quick-xml` (which escapes text), indented by
//! two spaces, UTF-8 with an XML declaration, ending in a newline.

use std::io::{self, BufWriter, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use rust_decimal::Decimal;

use super::NAMESPACE;
use super::checked::{CheckedBlock, CheckedMessage, CheckedTransfer, check};
use super::error::BankFileError;
use super::message::{BankFileSummary, CreditTransfer, CreditTransferMessage};

/// `CdtTrfTxInf/Purp/Cd` of every transfer: `REFU`, "refund", from ISO 20022's external purpose
/// code list. The schema allows it: `Purp/Cd` is an `ExternalPurpose1Code`, any code of 1 to 4
/// characters. The guidelines' usage rule asks for `RRCT` only when the transfer sends back an
/// earlier SEPA credit transfer received, which a customer refund is not.
pub const PURPOSE_CODE: &str = "REFU";

/// Writes `transfers` as one SEPA Credit Transfer initiation (`pain.001.001.09`) to `out`: the
/// group header of `message`, one payment information block per execution date (in date order,
/// the transfers in the given order within it), each with its count and control sum.
///
/// Everything is checked before the first byte is written (amounts, dates, names and ids that
/// are left empty once in the SEPA character set: see [`BankFileError`]), so only an I/O error
/// leaves a part of a file behind. The same message and transfers give the same bytes.
pub fn write_credit_transfers<W: Write>(
    out: W,
    message: &CreditTransferMessage,
    transfers: &[CreditTransfer],
) -> Result<BankFileSummary, BankFileError> {
    let checked = check(message, transfers)?;
    let mut writer = Writer::new_with_indent(BufWriter::new(out), b' ', 2);
    write_document(&mut writer, &checked)?;
    let buffered = writer.get_mut();
    buffered.write_all(b"\n")?;
    buffered.flush()?;
    Ok(checked.summary())
}

/// The declaration and `Document`.
fn write_document<W: Write>(w: &mut Writer<W>, m: &CheckedMessage) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("Document")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            nested(w, "CstmrCdtTrfInitn", |w| {
                write_group_header(w, m)?;
                m.blocks.iter().try_for_each(|b| write_block(w, m, b))
            })
        })?;
    Ok(())
}

/// `GrpHdr`: MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty/Nm.
fn write_group_header<W: Write>(w: &mut Writer<W>, m: &CheckedMessage) -> io::Result<()> {
    nested(w, "GrpHdr", |w| {
        text(w, "MsgId", &m.message_id)?;
        text(w, "CreDtTm", &m.created_at)?;
        text(w, "NbOfTxs", &m.transactions.to_string())?;
        text(w, "CtrlSum", &two_decimals(m.control_sum))?;
        nested(w, "InitgPty", |w| text(w, "Nm", &m.initiating_party))
    })
}

/// One `PmtInf`, in the schema's order of elements.
fn write_block<W: Write>(
    w: &mut Writer<W>,
    m: &CheckedMessage,
    b: &CheckedBlock,
) -> io::Result<()> {
    nested(w, "PmtInf", |w| {
        text(w, "PmtInfId", &b.id)?;
        text(w, "PmtMtd", "TRF")?;
        text(w, "NbOfTxs", &b.transfers.len().to_string())?;
        text(w, "CtrlSum", &two_decimals(b.control_sum))?;
        nested(w, "PmtTpInf", |w| {
            nested(w, "SvcLvl", |w| text(w, "Cd", "SEPA"))
        })?;
        nested(w, "ReqdExctnDt", |w| text(w, "Dt", &b.execution_date))?;
        nested(w, "Dbtr", |w| text(w, "Nm", &m.debtor_name))?;
        account(w, "DbtrAcct", &m.debtor_iban)?;
        nested(w, "DbtrAgt", |w| {
            nested(w, "FinInstnId", |w| match &m.debtor_bic {
                Some(bic) => text(w, "BICFI", bic),
                // The guidelines: either BICFI or Othr/Id, whose one allowed value is this.
                None => nested(w, "Othr", |w| text(w, "Id", "NOTPROVIDED")),
            })
        })?;
        text(w, "ChrgBr", "SLEV")?;
        b.transfers.iter().try_for_each(|t| write_transfer(w, t))
    })
}

/// One `CdtTrfTxInf`, in the schema's order of elements.
fn write_transfer<W: Write>(w: &mut Writer<W>, t: &CheckedTransfer) -> io::Result<()> {
    nested(w, "CdtTrfTxInf", |w| {
        nested(w, "PmtId", |w| text(w, "EndToEndId", &t.end_to_end_id))?;
        nested(w, "Amt", |w| {
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", "EUR"))
                .write_text_content(BytesText::new(&two_decimals(t.amount)))?;
            Ok(())
        })?;
        if let Some(bic) = &t.creditor_bic {
            // Without a BIC the guidelines want no creditor agent at all.
            nested(w, "CdtrAgt", |w| {
                nested(w, "FinInstnId", |w| text(w, "BICFI", bic))
            })?;
        }
        nested(w, "Cdtr", |w| text(w, "Nm", &t.creditor_name))?;
        account(w, "CdtrAcct", &t.creditor_iban)?;
        nested(w, "Purp", |w| text(w, "Cd", PURPOSE_CODE))?;
        match &t.remittance {
            Some(remittance) => nested(w, "RmtInf", |w| text(w, "Ustrd", remittance)),
            None => Ok(()),
        }
    })
}

/// `<name><Id><IBAN>iban</IBAN></Id></name>`.
fn account<W: Write>(w: &mut Writer<W>, name: &str, iban: &str) -> io::Result<()> {
    nested(w, name, |w| nested(w, "Id", |w| text(w, "IBAN", iban)))
}

/// An element holding other elements.
fn nested<W: Write>(
    w: &mut Writer<W>,
    name: &str,
    inner: impl FnOnce(&mut Writer<W>) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name).write_inner_content(inner)?;
    Ok(())
}

/// An element holding text, escaped by `quick-xml`.
fn text<W: Write>(w: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

/// An amount with exactly two decimals (`12.30`): the amounts were checked to have at most two.
fn two_decimals(amount: Decimal) -> String {
    let mut cents = amount;
    cents.rescale(2);
    debug_assert_eq!(cents, amount, "{amount} has more than two decimals");
    cents.to_string()
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::bank::{Bic, Iban};
    use crate::bank_file::Debtor;

    fn message() -> CreditTransferMessage {
        CreditTransferMessage {
            message_id: "PAY-000012".into(),
            created_at: NaiveDate::from_ymd_opt(2026, 11, 30)
                .unwrap()
                .and_hms_opt(14, 5, 9)
                .unwrap(),
            initiating_party: "Contoso & Co".into(),
            debtor: Debtor {
                name: "Contoso GmbH".into(),
                iban: Iban::parse("DE44500105175407324931").unwrap(),
                bic: None,
            },
        }
    }

    fn transfer(day: u32, id: &str, amount: &str, bic: Option<&str>) -> CreditTransfer {
        CreditTransfer {
            execution_date: NaiveDate::from_ymd_opt(2026, 12, day).unwrap(),
            end_to_end_id: id.into(),
            amount: amount.parse().unwrap(),
            creditor_name: "Åsa Öberg & Søn <AB>".into(),
            creditor_iban: Iban::parse("FR1420041010050500013M02606").unwrap(),
            creditor_bic: bic.map(|b| Bic::parse(b).unwrap()),
            remittance: "Refund <credit> C-1 & O’Neil's".into(),
        }
    }

    /// Two dates given out of order, a creditor with a BIC and one without, a debtor without:
    /// the file is `tests/bank_file/two_dates.xml`, byte for byte (`REIMBURSE_BLESS=1` rewrites
    /// it after a deliberate change).
    #[test]
    fn a_small_file_is_written_exactly() {
        let transfers = [
            transfer(2, "VI-2", "5", Some("BNPAFRPP")),
            transfer(1, "VI-1", "10.1", None),
        ];
        let mut out = Vec::new();
        let summary = write_credit_transfers(&mut out, &message(), &transfers).unwrap();
        let xml = String::from_utf8(out).unwrap();
        if std::env::var_os("REIMBURSE_BLESS").is_some() {
            std::fs::write("tests/bank_file/two_dates.xml", &xml).unwrap();
        }
        // The expected bytes; tests/it/bank_file.rs checks this file against the schema.
        assert_eq!(xml, include_str!("../../tests/bank_file/two_dates.xml"));
        assert_eq!(
            summary,
            BankFileSummary {
                message_id: "PAY-000012".into(),
                transactions: 2,
                control_sum: "15.10".parse().unwrap(),
                payment_blocks: 2,
            }
        );
    }
}
