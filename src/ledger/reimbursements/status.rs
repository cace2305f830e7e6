//! [`ReimbursementStatus`]: where a reimbursement is in its lifecycle, and the SQL that derives it
//! from the stored columns.
//!
//! The table keeps `status` (`open` until the vendor invoice is settled in full, then `paid`: the
//! database trigger, for any payment) and beside it `approval` (`pending`, `approved`),
//! `hold_reason` and `reversal_voucher_id`. The status is derived from them, in this order: paid;
//! reversed; pending approval; held; open.

/// A reimbursement's status. JSON, CSV, tables and scripts see its text ([`Self::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReimbursementStatus {
    /// Posted, not yet paid, payable (no approval needed, or approved; not held).
    Open,
    /// Above the approval threshold and not yet approved: `pay` leaves it.
    PendingApproval,
    /// Held (by a user, or by the check before paying), with a reason: `pay` leaves it.
    Held,
    /// Its vendor invoice is settled in full (the database's trigger).
    Paid,
    /// Undone by a reversing voucher: the customer's credit is open again.
    Reversed,
    /// Made by a dry run and rolled back: never stored.
    Proposed,
}

impl ReimbursementStatus {
    /// Every status a stored reimbursement can have, in lifecycle order.
    pub const STORED: [ReimbursementStatus; 5] = [
        ReimbursementStatus::Open,
        ReimbursementStatus::PendingApproval,
        ReimbursementStatus::Held,
        ReimbursementStatus::Paid,
        ReimbursementStatus::Reversed,
    ];

    /// The status as the reports and the filters write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReimbursementStatus::Open => "open",
            ReimbursementStatus::PendingApproval => "pending approval",
            ReimbursementStatus::Held => "held",
            ReimbursementStatus::Paid => "paid",
            ReimbursementStatus::Reversed => "reversed",
            ReimbursementStatus::Proposed => "proposed",
        }
    }

    /// The status of a stored reimbursement with this text (what a filter may ask for): `open`,
    /// `pending approval` (or `pending`), `held`, `paid` or `reversed`.
    pub fn stored(text: &str) -> Option<ReimbursementStatus> {
        if text == "pending" || text == "pending-approval" {
            return Some(ReimbursementStatus::PendingApproval);
        }
        Self::STORED.into_iter().find(|s| s.as_str() == text)
    }

    /// The SQL condition on a row `r` of `reimbursements` that has this status.
    pub(super) fn condition(self) -> &'static str {
        match self {
            ReimbursementStatus::Paid => "r.status = 'paid'",
            ReimbursementStatus::Reversed => {
                "r.status = 'open' AND r.reversal_voucher_id IS NOT NULL"
            }
            ReimbursementStatus::PendingApproval => {
                "r.status = 'open' AND r.reversal_voucher_id IS NULL AND r.approval = 'pending'"
            }
            ReimbursementStatus::Held => {
                "r.status = 'open' AND r.reversal_voucher_id IS NULL \
                 AND r.approval IS NOT 'pending' AND r.hold_reason IS NOT NULL"
            }
            ReimbursementStatus::Open => {
                "r.status = 'open' AND r.reversal_voucher_id IS NULL \
                 AND r.approval IS NOT 'pending' AND r.hold_reason IS NULL"
            }
            ReimbursementStatus::Proposed => "0",
        }
    }

    /// The status of a stored row: its `status` column, whether it was reversed, its approval and
    /// whether it is held. `None` for a `status` the books do not know.
    pub(super) fn of_row(
        status: &str,
        reversed: bool,
        approval: Option<&str>,
        held: bool,
    ) -> Option<ReimbursementStatus> {
        Some(match status {
            "paid" => ReimbursementStatus::Paid,
            "open" if reversed => ReimbursementStatus::Reversed,
            "open" if approval == Some("pending") => ReimbursementStatus::PendingApproval,
            "open" if held => ReimbursementStatus::Held,
            "open" => ReimbursementStatus::Open,
            _ => return None,
        })
    }
}

crate::text::shown_as_words!(ReimbursementStatus);

#[cfg(test)]
mod tests {
    use super::ReimbursementStatus as S;

    #[test]
    fn every_stored_status_reads_back_from_its_text() {
        for s in S::STORED {
            assert_eq!(S::stored(s.as_str()), Some(s));
        }
        assert_eq!(S::stored("pending"), Some(S::PendingApproval));
        assert_eq!(S::stored("proposed"), None);
        assert_eq!(S::stored("unpaid"), None);
    }

    #[test]
    fn the_row_decides_in_lifecycle_order() {
        assert_eq!(
            S::of_row("paid", true, Some("pending"), true),
            Some(S::Paid)
        );
        assert_eq!(
            S::of_row("open", true, Some("pending"), true),
            Some(S::Reversed)
        );
        assert_eq!(
            S::of_row("open", false, Some("pending"), true),
            Some(S::PendingApproval)
        );
        assert_eq!(
            S::of_row("open", false, Some("approved"), true),
            Some(S::Held)
        );
        assert_eq!(S::of_row("open", false, None, false), Some(S::Open));
        assert_eq!(S::of_row("gone", false, None, false), None);
    }
}
