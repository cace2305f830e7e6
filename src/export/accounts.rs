//! The accounts of the journal: each declared once, with its metadata; two accounts that would
//! get the same name are an error.

use rusqlite::params;

use super::{AccountKey, AccountNames, Party};

/// The account other than `key`, used in the period, whose journal name is `name` (the slow
/// path of a name seen twice).
pub(super) fn account_named(
    conn: &rusqlite::Connection,
    names: &AccountNames,
    from: &str,
    to: &str,
    name: &str,
    key: &AccountKey,
) -> rusqlite::Result<Option<AccountKey>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT l.account, l.customer, l.vendor
         FROM voucher_lines l JOIN vouchers v ON v.id = l.voucher_id
         WHERE v.date >= ?1 AND v.date <= ?2
         ORDER BY l.account, l.customer, l.vendor",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        let gl: String = r.get(0)?;
        let party = match (
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ) {
            (Some(c), _) => Some(Party::Customer(c)),
            (None, Some(v)) => Some(Party::Vendor(v)),
            (None, None) => None,
        };
        for candidate in [(gl.clone(), None), (gl, party)] {
            if candidate != *key && names.name(&candidate) == name {
                return Ok(Some(candidate));
            }
        }
    }
    Ok(None)
}
