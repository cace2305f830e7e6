//! Which settlements `settle_against_open` and `settle_open_debits` make, worked out from a list of
//! open transactions without reading or writing anything: the ledger applies the plan
//! ([`super::settle`]), and the books worked out ahead of a run ([`super::ahead`]) apply it to
//! their view, so both settle in exactly the same order.
//!
//! It depends on the open rows' type and `not_before` only; it must not touch the database.

use super::cache::OpenRow;
use super::settle::not_before;
use super::{Res, Side};

/// One settlement of a plan: a debit, a credit and the minor units that move on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PlannedSettlement {
    /// The open debit.
    pub(super) debit: i64,
    /// The open credit.
    pub(super) credit: i64,
    /// Minor units settled, positive and no more than either has open.
    pub(super) minor: i64,
}

/// The settlements of transaction `(id, open)` against `others` (oldest first), as far as it goes:
/// each counterpart of the opposite sign in turn. `on` is the settlement date (`YYYY-MM-DD`).
pub(super) fn plan_against(
    side: Side,
    (id, open): (i64, i64),
    others: &[OpenRow],
    on: &str,
) -> Res<Vec<PlannedSettlement>> {
    let mut remaining = open.abs();
    let mut plan = Vec::new();
    for row in others {
        if remaining == 0 {
            break;
        }
        if row.id == id || (row.open > 0) == (open > 0) {
            continue;
        }
        not_before(side, row.id, &row.date, on)?;
        let minor = remaining.min(row.open.abs());
        let (debit, credit) = if open > 0 { (id, row.id) } else { (row.id, id) };
        plan.push(PlannedSettlement {
            debit,
            credit,
            minor,
        });
        remaining -= minor;
    }
    Ok(plan)
}

/// The settlements of an account's open debits against its open credits in one currency, oldest
/// first (the `net` policy): each debit against the credits still open, oldest first.
pub(super) fn plan_open_debits(
    side: Side,
    open: &[OpenRow],
    on: &str,
) -> Res<Vec<PlannedSettlement>> {
    let mut open = open.to_vec();
    let mut plan = Vec::new();
    for i in 0..open.len() {
        let (id, mut remaining) = (open[i].id, open[i].open);
        if remaining <= 0 {
            continue;
        }
        not_before(side, id, &open[i].date, on)?;
        for slot in open.iter_mut().filter(|row| row.open < 0) {
            if remaining == 0 {
                break;
            }
            not_before(side, slot.id, &slot.date, on)?;
            let minor = remaining.min(-slot.open);
            plan.push(PlannedSettlement {
                debit: id,
                credit: slot.id,
                minor,
            });
            slot.open += minor;
            remaining -= minor;
        }
        open[i].open = remaining;
    }
    debug_assert!(plan.iter().all(|p| p.minor > 0));
    Ok(plan)
}

/// Applies a plan to a list of open rows (oldest first): the settled amounts move toward zero and
/// the rows with nothing left open go. Returns the minor units settled on the plan's debits.
pub(super) fn apply_to_rows(rows: &mut Vec<OpenRow>, plan: &[PlannedSettlement]) -> i64 {
    for p in plan {
        for row in rows.iter_mut() {
            if row.id == p.debit {
                row.open -= p.minor;
            } else if row.id == p.credit {
                row.open += p.minor;
            }
        }
    }
    rows.retain(|row| row.open != 0);
    plan.iter().map(|p| p.minor).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, open: i64, date: &str) -> OpenRow {
        OpenRow {
            id,
            open,
            date: date.into(),
        }
    }

    #[test]
    fn a_credit_settles_against_the_oldest_debits_first() {
        let rows = [row(1, 500, "2026-01-01"), row(2, 300, "2026-02-01")];
        let plan = plan_against(Side::Customer, (9, -600), &rows, "2026-03-01").unwrap();
        assert_eq!(
            plan,
            [
                PlannedSettlement {
                    debit: 1,
                    credit: 9,
                    minor: 500
                },
                PlannedSettlement {
                    debit: 2,
                    credit: 9,
                    minor: 100
                }
            ]
        );
        let mut rows = rows.to_vec();
        rows.push(row(9, -600, "2026-03-01"));
        assert_eq!(apply_to_rows(&mut rows, &plan), 600);
        assert_eq!(rows, [row(2, 200, "2026-02-01")]);
    }

    #[test]
    fn open_debits_net_against_open_credits_oldest_first() {
        let rows = [
            row(1, -400, "2026-01-01"),
            row(2, 250, "2026-01-05"),
            row(3, -100, "2026-01-09"),
            row(4, 300, "2026-01-10"),
        ];
        let plan = plan_open_debits(Side::Customer, &rows, "2026-02-01").unwrap();
        let moved: Vec<_> = plan.iter().map(|p| (p.debit, p.credit, p.minor)).collect();
        assert_eq!(moved, [(2, 1, 250), (4, 1, 150), (4, 3, 100)]);
        // Nothing dated after the settlement date is settled.
        assert!(plan_open_debits(Side::Customer, &rows, "2026-01-07").is_err());
    }
}
