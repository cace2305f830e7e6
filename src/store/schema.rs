//! The schema: its migrations, in order, one `.sql` file each under `schema/`; the schema version
//! is the number applied. Each file begins with an empty line, as the string literals it was
//! moved from did, so that the text executed is the same byte for byte.

/// The schema migrations, in order; the schema version is the number applied.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("schema/001_initial.sql"),
    include_str!("schema/002_reimbursement_paid.sql"),
    include_str!("schema/003_bank_details_and_audit.sql"),
    include_str!("schema/004_control_accounts_and_totals.sql"),
    include_str!("schema/005_holds_and_bank_files.sql"),
    include_str!("schema/006_lifecycle.sql"),
    include_str!("schema/007_lean_writes.sql"),
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
