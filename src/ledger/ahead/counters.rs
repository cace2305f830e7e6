//! Where the numbers and row ids a posting takes stand ([`Counters`]): the next number of each
//! sequence and the next row id of vouchers, customer transactions and vendor transactions. The
//! books worked out ahead ([`super::AheadBooks`]) predict them; the ledger tells where they really
//! stand ([`Ledger::counters`]) and whether a recording's start is where they stand now
//! ([`Ledger::counters_agree`]).
//!
//! The ledger keeps the next row ids in its transaction cache, in step with `post_voucher`, so
//! asking costs no read once a transaction knows them.

use std::sync::Arc;

use super::super::{Ledger, Res};

/// The kinds of rows whose ids a posting hands out, in the order of [`Counters::rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowKind {
    /// `vouchers`.
    Voucher = 0,
    /// `customer_transactions`.
    CustomerTransaction = 1,
    /// `vendor_transactions`.
    VendorTransaction = 2,
}

/// The tables of [`RowKind`], in its order.
const ROW_TABLES: [&str; 3] = ["vouchers", "customer_transactions", "vendor_transactions"];

/// A number sequence as the books define it: its name, prefix and width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceDef {
    /// The sequence's name (`reimbursement`, `vendor_invoice`, …).
    pub name: String,
    prefix: String,
    width: u32,
}

impl SequenceDef {
    /// Number `n` of this sequence as `next_number` writes it (`RMB-000042`).
    pub(crate) fn format(&self, n: i64) -> String {
        format!("{}{n:0width$}", self.prefix, width = self.width as usize)
    }
}

/// The company's number sequences, in name order: the positions of [`Counters::numbers`].
pub type Sequences = Arc<[SequenceDef]>;

/// Where the numbers and row ids stand: the next of each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counters {
    /// The next row id of vouchers, customer transactions and vendor transactions.
    pub rows: [i64; 3],
    /// The next number of each sequence, in the order of the [`Sequences`].
    pub numbers: Vec<i64>,
}

impl Counters {
    /// These counters moved by what `to` is ahead of `from`: where the numbers stand when a
    /// prediction that said `from` turned out to be `to`.
    pub fn moved(&self, from: &Counters, to: &Counters) -> Counters {
        debug_assert_eq!(self.numbers.len(), from.numbers.len());
        debug_assert_eq!(to.numbers.len(), from.numbers.len());
        let mut rows = self.rows;
        for (i, row) in rows.iter_mut().enumerate() {
            *row += to.rows[i] - from.rows[i];
        }
        let numbers = self
            .numbers
            .iter()
            .zip(from.numbers.iter().zip(&to.numbers))
            .map(|(n, (f, t))| n + (t - f))
            .collect();
        Counters { rows, numbers }
    }
}

/// The counters one recording used, each as it stood when first used: what must be so on the
/// writing side for the recording to replay as it was worked out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CountersUsed {
    pub(crate) rows: [Option<i64>; 3],
    /// (position in the [`Sequences`], next number).
    pub(crate) numbers: Vec<(usize, i64)>,
}

impl CountersUsed {
    /// Notes the first use of row kind `kind` at `next`.
    pub(crate) fn row(&mut self, kind: RowKind, next: i64) {
        self.rows[kind as usize].get_or_insert(next);
    }

    /// Notes the first use of sequence `position` at `next`.
    pub(crate) fn number(&mut self, position: usize, next: i64) {
        if self.numbers.iter().all(|(p, _)| *p != position) {
            self.numbers.push((position, next));
        }
    }
}

impl Ledger {
    /// The company's number sequences, in name order.
    pub fn sequences(&self) -> Res<Sequences> {
        let mut stmt = self
            .store
            .conn()
            .prepare_cached("SELECT name, prefix, width FROM number_sequences ORDER BY name")
            .map_err(|e| self.sql_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SequenceDef {
                    name: r.get(0)?,
                    prefix: r.get(1)?,
                    width: r.get(2)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| self.sql_err(e))?;
        Ok(rows.into())
    }

    /// Where the numbers of `sequences` and the row ids stand now.
    pub fn counters(&self, sequences: &Sequences) -> Res<Counters> {
        let rows = [
            self.next_row(RowKind::Voucher)?,
            self.next_row(RowKind::CustomerTransaction)?,
            self.next_row(RowKind::VendorTransaction)?,
        ];
        let numbers = sequences
            .iter()
            .map(|s| self.peek_number(&s.name))
            .collect::<Res<Vec<_>>>()?;
        Ok(Counters { rows, numbers })
    }

    /// Whether every counter in `used` stands where it says now.
    pub fn counters_agree(&self, sequences: &Sequences, used: &CountersUsed) -> Res<bool> {
        for (i, kind) in [
            RowKind::Voucher,
            RowKind::CustomerTransaction,
            RowKind::VendorTransaction,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(next) = used.rows[i]
                && self.next_row(kind)? != next
            {
                return Ok(false);
            }
        }
        for &(position, next) in &used.numbers {
            let Some(sequence) = sequences.get(position) else {
                return Ok(false);
            };
            if self.peek_number(&sequence.name)? != next {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The row id the next insert of `kind` gets: the largest plus one (SQLite's rule for an
    /// `INTEGER PRIMARY KEY`), kept in the transaction cache once read.
    pub(crate) fn next_row(&self, kind: RowKind) -> Res<i64> {
        if let Some(next) = self
            .cache()
            .and_then(|c| c.next_rows.map(|r| r[kind as usize]))
        {
            return Ok(next);
        }
        let mut rows = [0i64; 3];
        for (i, table) in ROW_TABLES.iter().enumerate() {
            rows[i] = self.one_row(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
                [],
                |r| r.get(0),
                "row id",
                || table.to_string(),
            )?;
        }
        if let Some(mut cache) = self.cache() {
            cache.next_rows = Some(rows);
        }
        Ok(rows[kind as usize])
    }

    /// Notes in the transaction cache that a row of `kind` was inserted with `id`.
    pub(in crate::ledger) fn row_inserted(&self, kind: RowKind, id: i64) {
        if let Some(mut cache) = self.cache()
            && let Some(rows) = cache.next_rows.as_mut()
        {
            debug_assert_eq!(rows[kind as usize], id, "a {kind:?} row id out of step");
            rows[kind as usize] = id + 1;
        }
    }
}
