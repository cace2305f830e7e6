//! The accounts of the journal: every account used in the period, declared as it streams by,
//! each general-ledger account followed by its customer or vendor sub-accounts, with its
//! metadata; two accounts that would get the same name are an error.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use super::names::{account_tags, describe, name_hash};
use super::text::{one_line, quoted};
use super::{AccountKey, AccountNames, ExportError, Format};
use crate::ledger::{AccountUse, GlAccountUse, JournalReader, LedgerError, Party};

/// The accounts declared. Only a hash of each name is kept (8 bytes an account), to catch two
/// accounts that sanitize to the same name and to check each posting's account.
#[derive(Debug, Default)]
pub(super) struct Declared {
    hashes: HashSet<u64>,
    /// How many accounts were declared.
    pub(super) count: usize,
    /// The length of the longest account name (the postings' column).
    pub(super) width: usize,
}

impl Declared {
    /// Whether an account of this name was declared.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.hashes.contains(&name_hash(name))
    }
}

/// Declares the accounts as they stream by.
struct Declarer<'a, 'l> {
    reader: &'a JournalReader<'l>,
    format: Format,
    names: &'a AccountNames,
    out: &'a mut dyn Write,
    declared: Declared,
}

/// Declares every account used in the period: each general-ledger account (from `gl_accounts`,
/// by number) before its customer and vendor sub-accounts.
pub(super) fn declare_accounts(
    reader: &JournalReader<'_>,
    format: Format,
    names: &AccountNames,
    gl_accounts: &HashMap<String, GlAccountUse>,
    out: &mut dyn Write,
) -> Result<Declared, ExportError> {
    let mut declarer = Declarer {
        reader,
        format,
        names,
        out,
        declared: Declared::default(),
    };
    let mut current_gl: Option<String> = None;
    reader.each_account(|account: AccountUse| -> Result<(), ExportError> {
        debug_assert!(
            current_gl.as_ref().is_none_or(|gl| *gl <= account.account),
            "accounts come in account order, so each general-ledger account is declared once"
        );
        if current_gl.as_ref() != Some(&account.account) {
            // The summary account first, as the parent of its sub-accounts.
            let gl = gl_accounts.get(&account.account).ok_or_else(|| {
                LedgerError::Invalid(format!(
                    "general-ledger account '{}' changed during the export",
                    account.account
                ))
            })?;
            declarer.declare(
                (account.account.clone(), None),
                Some(&gl.name),
                &gl.first_date,
            )?;
            current_gl = Some(account.account.clone());
        }
        let Some(party) = account.party else {
            return Ok(());
        };
        declarer.declare(
            (account.account, Some(party)),
            account.name.as_deref(),
            &account.first_date,
        )
    })?;
    Ok(declarer.declared)
}

impl Declarer<'_, '_> {
    /// Declares the account `key`, named `name`, first used on `date`.
    fn declare(
        &mut self,
        key: AccountKey,
        name: Option<&str>,
        date: &str,
    ) -> Result<(), ExportError> {
        let account = self.names.name(&key);
        if !self.declared.hashes.insert(name_hash(&account)) {
            // Seen before, or a hash collision: look for the other account.
            if let Some(other) = self.account_named(&account, &key)? {
                return Err(ExportError::NameCollision {
                    name: account,
                    first: describe(&other.0, other.1.as_ref()),
                    second: describe(&key.0, key.1.as_ref()),
                });
            }
        }
        let tags = account_tags(&key, name);
        match self.format {
            Format::Ledger => {
                writeln!(self.out, "account {account}")?;
                for (tag, value) in tags {
                    writeln!(self.out, "    ; {tag}: {}", one_line(value))?;
                }
            }
            Format::Beancount => {
                writeln!(self.out, "{date} open {account}")?;
                for (tag, value) in tags {
                    writeln!(self.out, "  {tag}: {}", quoted(value))?;
                }
            }
        }
        self.declared.width = self.declared.width.max(account.len());
        self.declared.count += 1;
        Ok(())
    }

    /// The account other than `key`, used in the period, whose journal name is `name` (the slow
    /// path of a name seen twice).
    fn account_named(
        &self,
        name: &str,
        key: &AccountKey,
    ) -> Result<Option<AccountKey>, LedgerError> {
        self.reader.find_account(|gl, party: Option<Party>| {
            [(gl.clone(), None), (gl, party)]
                .into_iter()
                .find(|candidate| candidate != key && self.names.name(candidate) == name)
        })
    }
}
