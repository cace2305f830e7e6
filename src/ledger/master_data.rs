//! Master data kept current: customers and vendors changed after they were created, and the audit
//! trail of every master-data change (who, when, from where, which field, old and new value).
//!
//! Every creation ([`Ledger::create_customer`], [`Ledger::insert_vendor`], so also
//! [`Ledger::create_vendor`]), every vendor link ([`Ledger::link_vendor`]) and every update
//! ([`Ledger::update_customer`], [`Ledger::update_vendor`]) writes its rows of the trail in the
//! same transaction, so the trail cannot miss a change that was committed. Who and from where
//! come from the ledger's [`ChangeOrigin`], which the caller sets (the command line: the user
//! and the command or file; a run: `run N`).

use rusqlite::{Row, params};
use serde::Serialize;

use super::rows::{execute_with_customer, execute_with_vendor};
use super::{Customer, Ledger, LedgerError, Res, RunId, Side, Vendor};
use crate::bank::{Bic, Iban};

/// The fields of a customer, by the names imports and scripts give them: the account, name and
/// currency first (what a new one needs), then the optional ones.
pub const CUSTOMER_FIELDS: [&str; 10] = [
    "account",
    "name",
    "currency",
    "group",
    "vendor_account",
    "payment_hold",
    "address",
    "tax_id",
    "iban",
    "bic",
];

/// The fields of a vendor that imports and scripts give, in the same order as
/// [`CUSTOMER_FIELDS`] (one-time vendors' `one_time` and `created_for` are the runs' own).
pub const VENDOR_FIELDS: [&str; 11] = [
    "account",
    "name",
    "currency",
    "group",
    "blocked",
    "address",
    "tax_id",
    "iban",
    "bic",
    "payment_terms",
    "method_of_payment",
];

/// Who changes master data and from where, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOrigin {
    /// The user (see [`current_user`]).
    pub user: String,
    /// What made the change: `import customers.csv`, `script fix.rhai`, `repl`, `run`, ….
    pub source: String,
    /// The line of the source file, when the change comes from one row of a file.
    pub line: Option<u64>,
}

impl Default for ChangeOrigin {
    fn default() -> Self {
        ChangeOrigin {
            user: current_user(),
            source: "api".into(),
            line: None,
        }
    }
}

/// Whether a row of the trail records a creation or a change of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The customer or vendor was created.
    Created,
    /// One field changed.
    Changed,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One field that differs between the stored and the new master data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's name as the import columns and the scripts name it (`address`, `iban`, …).
    pub field: &'static str,
    /// The stored value (`None`: absent).
    pub old: Option<String>,
    /// The new value (`None`: absent).
    pub new: Option<String>,
}

/// A row of the audit trail of master-data changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MasterDataChange {
    /// Row id (the trail's order).
    pub id: i64,
    /// The run that made it (an import, a run, a committed script or REPL session).
    pub run: Option<RunId>,
    /// When (UTC).
    pub changed_at: String,
    /// Who.
    pub user: String,
    /// From where (`import customers.csv`, `script FILE`, `repl`, `run`, …).
    pub source: String,
    /// The line of the source file, if one row of a file made it.
    pub line: Option<u64>,
    /// Customer or vendor.
    pub party: Side,
    /// The account.
    pub account: String,
    /// Created, or one field changed.
    pub change: ChangeKind,
    /// The field (for a change).
    pub field: Option<String>,
    /// The old value (for a change; `None`: absent).
    pub old_value: Option<String>,
    /// The new value (for a change; `None`: absent).
    pub new_value: Option<String>,
}

/// Which rows of the trail to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    /// Only customers, or only vendors.
    pub party: Option<Side>,
    /// Only this account.
    pub account: Option<String>,
    /// Only this run.
    pub run: Option<RunId>,
}

/// Who runs this process, for the audit trails: `$USER`, `$LOGNAME` or `$USERNAME`, else (on
/// Unix) the name `/etc/passwd` gives the process's user id, else `uid N`; `unknown` if none of
/// these can be found.
pub fn current_user() -> String {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(name) = std::env::var(var)
            && !name.is_empty()
        {
            return name;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let uid_text = uid.to_string();
            let name = passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid_text).then(|| name.to_string())
            });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    "unknown".into()
}

fn text(value: &Option<String>) -> Option<String> {
    value.clone()
}

fn flag(value: bool) -> Option<String> {
    Some(value.to_string())
}

fn iban(value: &Option<Iban>) -> Option<String> {
    value.as_ref().map(|i| i.as_str().to_string())
}

fn bic(value: &Option<Bic>) -> Option<String> {
    value.as_ref().map(|b| b.as_str().to_string())
}

/// Collects the fields whose values differ.
fn differences(pairs: Vec<(&'static str, Option<String>, Option<String>)>) -> Vec<FieldChange> {
    pairs
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| FieldChange { field, old, new })
        .collect()
}

/// The fields of a customer that differ between `old` and `new` (the account is the identity).
pub fn customer_changes(old: &Customer, new: &Customer) -> Vec<FieldChange> {
    debug_assert_eq!(old.account, new.account);
    differences(vec![
        ("name", Some(old.name.clone()), Some(new.name.clone())),
        (
            "currency",
            Some(old.currency.clone()),
            Some(new.currency.clone()),
        ),
        ("group", Some(old.group.clone()), Some(new.group.clone())),
        (
            "vendor_account",
            text(&old.vendor_account),
            text(&new.vendor_account),
        ),
        (
            "payment_hold",
            flag(old.payment_hold),
            flag(new.payment_hold),
        ),
        ("address", text(&old.address), text(&new.address)),
        ("tax_id", text(&old.tax_id), text(&new.tax_id)),
        ("iban", iban(&old.iban), iban(&new.iban)),
        ("bic", bic(&old.bic), bic(&new.bic)),
    ])
}

/// The fields of a vendor that differ between `old` and `new` (the account is the identity).
pub fn vendor_changes(old: &Vendor, new: &Vendor) -> Vec<FieldChange> {
    debug_assert_eq!(old.account, new.account);
    differences(vec![
        ("name", Some(old.name.clone()), Some(new.name.clone())),
        (
            "currency",
            Some(old.currency.clone()),
            Some(new.currency.clone()),
        ),
        ("group", Some(old.group.clone()), Some(new.group.clone())),
        ("blocked", flag(old.blocked), flag(new.blocked)),
        ("address", text(&old.address), text(&new.address)),
        ("tax_id", text(&old.tax_id), text(&new.tax_id)),
        ("iban", iban(&old.iban), iban(&new.iban)),
        ("bic", bic(&old.bic), bic(&new.bic)),
        (
            "payment_terms",
            text(&old.payment_terms),
            text(&new.payment_terms),
        ),
        (
            "method_of_payment",
            text(&old.method_of_payment),
            text(&new.method_of_payment),
        ),
        ("one_time", flag(old.one_time), flag(new.one_time)),
        (
            "created_for",
            text(&old.created_for),
            text(&new.created_for),
        ),
    ])
}

fn change_from_row(r: &Row) -> rusqlite::Result<MasterDataChange> {
    let party: String = r.get(6)?;
    let change: String = r.get(8)?;
    Ok(MasterDataChange {
        id: r.get(0)?,
        run: r.get(1)?,
        changed_at: r.get(2)?,
        user: r.get(3)?,
        source: r.get(4)?,
        line: r
            .get::<_, Option<i64>>(5)?
            .and_then(|l| u64::try_from(l).ok()),
        party: if party == "vendor" {
            Side::Vendor
        } else {
            Side::Customer
        },
        account: r.get(7)?,
        change: if change == "created" {
            ChangeKind::Created
        } else {
            ChangeKind::Changed
        },
        field: r.get(9)?,
        old_value: r.get(10)?,
        new_value: r.get(11)?,
    })
}

impl Ledger {
    /// Sets who makes the master-data changes that follow, and from where (the audit trail).
    pub fn set_origin(&self, origin: ChangeOrigin) {
        *self.origin.borrow_mut() = origin;
    }

    /// Sets the line of the source file of the changes that follow (an import's row).
    pub fn set_origin_line(&self, line: Option<u64>) {
        self.origin.borrow_mut().line = line;
    }

    /// Who makes master-data changes now, and from where.
    pub fn origin(&self) -> ChangeOrigin {
        self.origin.borrow().clone()
    }

    /// Changes a customer to `new` (found by its account), through the same checks as
    /// [`Ledger::create_customer`]; every field that differs is kept in the audit trail. Returns
    /// the fields changed (none: the customer was already so, and nothing was written).
    pub fn update_customer(&self, new: &Customer) -> Res<Vec<FieldChange>> {
        let old = self.require_customer(&new.account)?;
        self.check_customer_fields(new)?;
        let changes = customer_changes(&old, new);
        if changes.is_empty() {
            return Ok(changes);
        }
        self.store
            .conn()
            .prepare_cached(
                "UPDATE customers SET name = ?2, address = ?3, currency = ?4, customer_group = ?5,
                     vendor_account = ?6, payment_hold = ?7, tax_id = ?8, iban = ?9, bic = ?10
                 WHERE account = ?1",
            )
            .and_then(|mut s| execute_with_customer(&mut s, new))
            .map_err(|e| self.sql_err(e))?;
        self.record_changes(Side::Customer, &new.account, &changes)?;
        Ok(changes)
    }

    /// Changes a vendor to `new` (found by its account); every field that differs is kept in the
    /// audit trail. Returns the fields changed (none: nothing was written).
    pub fn update_vendor(&self, new: &Vendor) -> Res<Vec<FieldChange>> {
        let old = self.require_vendor(&new.account)?;
        self.check_vendor_fields(new)?;
        let changes = vendor_changes(&old, new);
        if changes.is_empty() {
            return Ok(changes);
        }
        self.store
            .conn()
            .prepare_cached(
                "UPDATE vendors SET name = ?2, address = ?3, vendor_group = ?4, currency = ?5,
                     one_time = ?6, created_for = ?7, blocked = ?8, payment_terms = ?9,
                     method_of_payment = ?10, tax_id = ?11, iban = ?12, bic = ?13
                 WHERE account = ?1",
            )
            .and_then(|mut s| execute_with_vendor(&mut s, new))
            .map_err(|e| self.sql_err(e))?;
        // The transaction cache keeps each vendor's blocked flag: keep it in step.
        self.known_vendor(&new.account, new.blocked);
        self.record_changes(Side::Vendor, &new.account, &changes)?;
        Ok(changes)
    }

    /// The checks every customer passes before it is written.
    pub(super) fn check_customer_fields(&self, c: &Customer) -> Res<()> {
        super::limits::check_customer(c)?;
        self.check_party(Side::Customer, [&c.account, &c.name, &c.group], &c.currency)
    }

    /// The checks every vendor passes before it is written.
    pub(super) fn check_vendor_fields(&self, v: &Vendor) -> Res<()> {
        super::limits::check_vendor(v)?;
        self.check_party(Side::Vendor, [&v.account, &v.name, &v.group], &v.currency)
    }

    /// A customer's or vendor's currency is the company's; account, name and group are not empty.
    fn check_party(
        &self,
        party: Side,
        [account, name, group]: [&str; 3],
        currency: &str,
    ) -> Res<()> {
        self.currency(currency)?;
        let who = party.name();
        if account.trim().is_empty() || name.trim().is_empty() {
            return Err(LedgerError::Invalid(format!(
                "a {who} needs an account and a name"
            )));
        }
        if group.trim().is_empty() {
            return Err(LedgerError::Invalid(format!(
                "a {who} group must not be empty"
            )));
        }
        Ok(())
    }

    /// Records the creation of a customer or vendor in the audit trail.
    pub(super) fn record_creation(&self, party: Side, account: &str) -> Res<()> {
        self.insert_change(party, account, ChangeKind::Created, None)?;
        self.note_master_data(party, account);
        Ok(())
    }

    /// Records changed fields in the audit trail.
    pub(super) fn record_changes(
        &self,
        party: Side,
        account: &str,
        changes: &[FieldChange],
    ) -> Res<()> {
        for change in changes {
            self.insert_change(party, account, ChangeKind::Changed, Some(change))?;
        }
        self.note_master_data(party, account);
        Ok(())
    }

    /// Notes the change in the journal, so the engine sees a hook that changed master data.
    fn note_master_data(&self, party: Side, account: &str) {
        let mut journal = self.journal.borrow_mut();
        let entry = (party, account.to_string());
        if journal.master_data.last() != Some(&entry) {
            journal.master_data.push(entry);
        }
    }

    pub(super) fn insert_change(
        &self,
        party: Side,
        account: &str,
        kind: ChangeKind,
        change: Option<&FieldChange>,
    ) -> Res<()> {
        let origin = self.origin.borrow();
        self.store
            .conn()
            .prepare_cached(
                "INSERT INTO master_data_changes(run_id, changed_at, user_name, source, line,
                     party, account, change, field, old_value, new_value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.run_id(),
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    origin.user,
                    origin.source,
                    origin.line.and_then(|l| i64::try_from(l).ok()),
                    party.name(),
                    account,
                    kind.as_str(),
                    change.map(|c| c.field),
                    change.and_then(|c| c.old.as_deref()),
                    change.and_then(|c| c.new.as_deref())
                ])
            })
            .map_err(|e| self.sql_err(e))?;
        Ok(())
    }

    /// The highest row id of the audit trail: the trail only grows (a rollback removes its
    /// newest rows), so the difference of two marks counts the rows written between them.
    pub fn trail_mark(&self) -> Res<i64> {
        self.store
            .conn()
            .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM master_data_changes")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(|e| self.sql_err(e))
    }

    /// The audit trail of master-data changes, oldest first.
    pub fn master_data_changes(&self, filter: &ChangeFilter) -> Res<Vec<MasterDataChange>> {
        self.store
            .conn()
            .prepare_cached(
                "SELECT id, run_id, changed_at, user_name, source, line, party, account, change,
                        field, old_value, new_value
                 FROM master_data_changes
                 WHERE (?1 IS NULL OR party = ?1) AND (?2 IS NULL OR account = ?2)
                   AND (?3 IS NULL OR run_id = ?3)
                 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![
                        filter.party.map(Side::name),
                        filter.account.as_deref(),
                        filter.run
                    ],
                    change_from_row,
                )?
                .collect()
            })
            .map_err(|e| self.sql_err(e))
    }
}
