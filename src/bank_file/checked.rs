//! The message and its transfers checked, sanitised and grouped before a byte is written: every
//! value here is one the schema and the guidelines accept, so writing cannot fail but for I/O.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;

use super::error::BankFileError;
use super::message::{BankFileSummary, CreditTransfer, CreditTransferMessage};
use super::text::{
    ID_MAX_CHARS, NAME_MAX_CHARS, REMITTANCE_MAX_CHARS, is_clean_id, is_sepa_char, sepa_id,
    sepa_text,
};

/// The smallest amount of a SEPA credit transfer.
const MIN_AMOUNT: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// The largest amount of a SEPA credit transfer: 999,999,999.99 (99,999,999,999 cents, split
/// into the low and middle 32 bits).
const MAX_AMOUNT: Decimal = Decimal::from_parts(0x4876_E7FF, 0x17, 0, false, 2);
/// A control sum must stay below 10^16 (low and middle 32 bits): 18 digits in all, 2 of them
/// decimals.
const CONTROL_SUM_LIMIT: Decimal = Decimal::from_parts(0x6FC1_0000, 0x0023_86F2, 0, false, 0);

/// The whole file, ready to write.
#[derive(Debug)]
pub(crate) struct CheckedMessage {
    /// `MsgId`.
    pub message_id: String,
    /// `CreDtTm`, formatted.
    pub created_at: String,
    /// `InitgPty/Nm`.
    pub initiating_party: String,
    /// `Dbtr/Nm`.
    pub debtor_name: String,
    /// `DbtrAcct/Id/IBAN`.
    pub debtor_iban: String,
    /// `DbtrAgt/FinInstnId/BICFI`, if known.
    pub debtor_bic: Option<String>,
    /// `GrpHdr/NbOfTxs`.
    pub transactions: u64,
    /// `GrpHdr/CtrlSum`.
    pub control_sum: Decimal,
    /// The payment information blocks, in date order.
    pub blocks: Vec<CheckedBlock>,
}

/// One `PmtInf`: the transfers of one execution date.
#[derive(Debug)]
pub(crate) struct CheckedBlock {
    /// `PmtInfId`.
    pub id: String,
    /// `ReqdExctnDt/Dt`, formatted.
    pub execution_date: String,
    /// `PmtInf/CtrlSum`.
    pub control_sum: Decimal,
    /// The transfers, in the order given.
    pub transfers: Vec<CheckedTransfer>,
}

/// One `CdtTrfTxInf`.
#[derive(Debug)]
pub(crate) struct CheckedTransfer {
    /// `EndToEndId`.
    pub end_to_end_id: String,
    /// The amount, with exactly two decimals.
    pub amount: Decimal,
    /// `Cdtr/Nm`.
    pub creditor_name: String,
    /// `CdtrAcct/Id/IBAN`.
    pub creditor_iban: String,
    /// `CdtrAgt/FinInstnId/BICFI`, if known.
    pub creditor_bic: Option<String>,
    /// `RmtInf/Ustrd`, if anything is left of it.
    pub remittance: Option<String>,
}

impl CheckedMessage {
    /// What the group header says.
    pub fn summary(&self) -> BankFileSummary {
        BankFileSummary {
            message_id: self.message_id.clone(),
            transactions: self.transactions,
            control_sum: self.control_sum,
            payment_blocks: self.blocks.len() as u64,
        }
    }
}

/// Checks and sanitises everything, groups the transfers by execution date (in date order, the
/// given order within a date) and sums them.
pub(crate) fn check(
    message: &CreditTransferMessage,
    transfers: &[CreditTransfer],
) -> Result<CheckedMessage, BankFileError> {
    if transfers.is_empty() {
        return Err(BankFileError::NoTransfers);
    }
    let message_id = required_id(&message.message_id, "the message id")?;
    let mut by_date: BTreeMap<NaiveDate, Vec<CheckedTransfer>> = BTreeMap::new();
    for transfer in transfers {
        let checked = check_transfer(transfer)?;
        by_date
            .entry(transfer.execution_date)
            .or_default()
            .push(checked);
    }
    let blocks: Vec<CheckedBlock> = by_date
        .into_iter()
        .enumerate()
        .map(|(n, (date, transfers))| CheckedBlock {
            id: block_id(&message_id, n + 1),
            execution_date: date.format("%Y-%m-%d").to_string(),
            control_sum: transfers.iter().map(|t| t.amount).sum(),
            transfers,
        })
        .collect();
    let control_sum: Decimal = transfers.iter().map(|t| t.amount).sum();
    if control_sum >= CONTROL_SUM_LIMIT {
        return Err(BankFileError::ControlSumTooLarge(control_sum));
    }
    debug_assert_eq!(
        blocks.iter().map(|b| b.control_sum).sum::<Decimal>(),
        control_sum,
        "the blocks' control sums add up to the group's"
    );
    debug_assert_eq!(
        blocks.iter().map(|b| b.transfers.len()).sum::<usize>(),
        transfers.len()
    );
    let debtor = &message.debtor;
    Ok(CheckedMessage {
        message_id,
        created_at: creation_time(message.created_at)?,
        initiating_party: required_name(&message.initiating_party, "the initiating party".into())?,
        debtor_name: required_name(&debtor.name, "the debtor name".into())?,
        debtor_iban: debtor.iban.as_str().to_string(),
        debtor_bic: debtor.bic.as_ref().map(|b| b.as_str().to_string()),
        transactions: transfers.len() as u64,
        control_sum,
        blocks,
    })
}

/// One transfer checked: its amount, id, name, remittance and date.
fn check_transfer(transfer: &CreditTransfer) -> Result<CheckedTransfer, BankFileError> {
    let given_id = &transfer.end_to_end_id;
    let amount = check_amount(transfer.amount, given_id)?;
    check_date(transfer.execution_date, || {
        format!("the execution date of credit transfer '{given_id}'")
    })?;
    let remittance = sepa_text(&transfer.remittance, REMITTANCE_MAX_CHARS);
    Ok(CheckedTransfer {
        end_to_end_id: required_id(given_id, "the end-to-end id of a credit transfer")?,
        amount,
        creditor_name: required_name(
            &transfer.creditor_name,
            format!("the creditor name of credit transfer '{given_id}'"),
        )?,
        creditor_iban: transfer.creditor_iban.as_str().to_string(),
        creditor_bic: transfer
            .creditor_bic
            .as_ref()
            .map(|b| b.as_str().to_string()),
        remittance: (!remittance.is_empty()).then_some(remittance),
    })
}

/// The amount with exactly two decimals, or why SEPA cannot carry it.
fn check_amount(amount: Decimal, end_to_end_id: &str) -> Result<Decimal, BankFileError> {
    if !(MIN_AMOUNT..=MAX_AMOUNT).contains(&amount) {
        return Err(BankFileError::AmountOutOfRange {
            end_to_end_id: end_to_end_id.to_string(),
            amount,
        });
    }
    let mut cents = amount.normalize();
    if cents.scale() > 2 {
        return Err(BankFileError::AmountDecimals {
            end_to_end_id: end_to_end_id.to_string(),
            amount,
        });
    }
    cents.rescale(2);
    debug_assert_eq!(cents, amount);
    Ok(cents)
}

/// `CreDtTm` to the second, local time without an offset (`2026-11-30T14:05:09`).
fn creation_time(at: NaiveDateTime) -> Result<String, BankFileError> {
    check_date(at.date(), || "the creation time".to_string())?;
    // A leap second (nanoseconds past 1e9) would print as second 60, which `xs:dateTime` refuses.
    let whole = at.with_nanosecond(0).unwrap_or(at);
    Ok(whole.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// Years outside 1 to 9999 print with a sign or fewer digits, which `xs:date` refuses.
fn check_date(date: NaiveDate, what: impl FnOnce() -> String) -> Result<(), BankFileError> {
    if (1..=9999).contains(&date.year()) {
        Ok(())
    } else {
        Err(BankFileError::Date {
            what: what(),
            value: date.to_string(),
        })
    }
}

/// An identifier in the SEPA set, or an error when nothing is left of it.
fn required_id(text: &str, what: &str) -> Result<String, BankFileError> {
    let id = sepa_id(text, ID_MAX_CHARS);
    if id.is_empty() {
        return Err(BankFileError::EmptyText {
            what: what.to_string(),
            text: text.to_string(),
        });
    }
    Ok(id)
}

/// A name in the SEPA set, at most 70 characters, or an error when nothing is left of it.
fn required_name(text: &str, what: String) -> Result<String, BankFileError> {
    let name = sepa_text(text, NAME_MAX_CHARS);
    if name.is_empty() {
        return Err(BankFileError::EmptyText {
            what,
            text: text.to_string(),
        });
    }
    debug_assert!(name.chars().all(is_sepa_char));
    Ok(name)
}

/// `PmtInfId` of the `n`th block: `<message id>-<n>`, the message id shortened so the suffix
/// always fits in 35 characters (two blocks never share an id).
fn block_id(message_id: &str, n: usize) -> String {
    let suffix = format!("-{n}");
    let room = ID_MAX_CHARS.saturating_sub(suffix.len());
    let base = sepa_id(message_id, room);
    let id = format!("{base}{suffix}");
    debug_assert!(id.len() <= ID_MAX_CHARS && is_clean_id(&id), "{id}");
    id
}

/// Whether a transfer of `amount` to a creditor named `creditor_name` can be carried by a SEPA
/// credit transfer (the checks [`crate::bank_file::write_credit_transfers`] makes of it): the
/// amount 0.01 to 999,999,999.99 with at most two decimals, a name left in the SEPA set.
/// `end_to_end_id` names it in the error.
pub fn check_transferable(
    amount: Decimal,
    creditor_name: &str,
    end_to_end_id: &str,
) -> Result<(), BankFileError> {
    check_amount(amount, end_to_end_id)?;
    required_name(
        creditor_name,
        format!("the creditor name of credit transfer '{end_to_end_id}'"),
    )?;
    Ok(())
}

/// `text` as an identifier (`MsgId`, `EndToEndId`) of at most 35 characters that keeps its end
/// (the number of a run or an invoice, which tells two apart) when it is too long.
pub fn id_keeping_the_end(text: &str) -> String {
    let whole = sepa_id(text, usize::MAX);
    let chars: Vec<char> = whole.chars().collect();
    if chars.len() <= ID_MAX_CHARS {
        return whole;
    }
    let tail: String = chars[chars.len() - ID_MAX_CHARS..].iter().collect();
    sepa_id(&tail, ID_MAX_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limits_are_the_numbers_they_name() {
        assert_eq!(MIN_AMOUNT.to_string(), "0.01");
        assert_eq!(MAX_AMOUNT.to_string(), "999999999.99");
        assert_eq!(CONTROL_SUM_LIMIT.to_string(), "10000000000000000");
    }

    #[test]
    fn amounts_are_checked_and_get_two_decimals() {
        let ok = |s: &str| check_amount(s.parse().unwrap(), "E").unwrap().to_string();
        assert_eq!(ok("0.01"), "0.01");
        assert_eq!(ok("12.5"), "12.50");
        assert_eq!(ok("12"), "12.00");
        assert_eq!(ok("12.3000"), "12.30");
        assert_eq!(ok("999999999.99"), "999999999.99");
        for bad in [
            "0",
            "0.00",
            "-1.00",
            "0.009",
            "1000000000.00",
            "999999999.991",
        ] {
            assert!(
                matches!(
                    check_amount(bad.parse().unwrap(), "E"),
                    Err(BankFileError::AmountOutOfRange { .. })
                ),
                "{bad}"
            );
        }
        match check_amount("12.345".parse().unwrap(), "VI-7") {
            Err(BankFileError::AmountDecimals {
                end_to_end_id,
                amount,
            }) => {
                assert_eq!(
                    (end_to_end_id.as_str(), amount.to_string().as_str()),
                    ("VI-7", "12.345")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn block_ids_keep_their_suffix_within_35_characters() {
        assert_eq!(block_id("PAY-000012", 1), "PAY-000012-1");
        let long = "A".repeat(35);
        assert_eq!(block_id(&long, 1), format!("{}-1", "A".repeat(33)));
        assert_eq!(block_id(&long, 12), format!("{}-12", "A".repeat(32)));
        // A cut that would end in a slash drops it.
        let slashed = format!("{}/B", "A".repeat(32));
        assert_eq!(block_id(&slashed, 1), format!("{}-1", "A".repeat(32)));
    }

    #[test]
    fn dates_outside_four_digit_years_are_refused() {
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
        assert!(matches!(
            check_date(far, String::new),
            Err(BankFileError::Date { .. })
        ));
        let near = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(check_date(near, String::new).is_ok());
        let leap = near.and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        assert_eq!(creation_time(leap).unwrap(), "2026-11-30T23:59:59");
    }
}
