//! The REPL's `:` commands (`:help`, `:api`, `:vars`, `:unset`, `:reset`, `:load`, `:rules`,
//! `:dry-run`, `:commit`, `:rollback`, `:quit`) and their help text.
//!
//! Must not depend on how lines are read (`line.rs`), nor on `cli`.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use rhai::Dynamic;

use super::script::read_script;
use super::session::{Flow, Repl, changes};
use crate::Error;
use crate::process::{self, PostingSource};
use crate::render::{cell, table, type_name};
use crate::scripting::{ApiDoc, Definitions};
use crate::text::printable_lines;

/// The commands and what each does (`:help` lists them, Tab completes them).
pub(super) const COMMANDS: &[(&str, &str)] = &[
    (":help", "this help"),
    (
        ":api [word]",
        "the API functions and types (those whose name contains the word), with their docs",
    ),
    (
        ":vars",
        "the variables of the session, and the functions it defined",
    ),
    (
        ":unset NAME ...",
        "drop the session's variables or functions of these names (a hook: the rule file's again)",
    ),
    (
        ":reset",
        "drop every function the session defined (the rule file's hooks apply again)",
    ),
    (
        ":load FILE",
        "run a Rhai file in the session (its variables and functions stay)",
    ),
    (":rules", "reload the rule file after editing it"),
    (
        ":dry-run [ACCOUNT ...]",
        "what a run would do now, for these customers or all (same as dry_run(…))",
    ),
    (":commit", "write the session's changes to the database"),
    (":rollback", "undo the changes since the last commit"),
    (
        ":quit",
        "leave (uncommitted changes are rolled back); also Ctrl-D",
    ),
];

impl Repl {
    /// Runs a `:` command: one method per command.
    pub(super) fn command(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        let (name, rest) = match line.split_once(char::is_whitespace) {
            Some((n, r)) => (n, r.trim()),
            None => (line, ""),
        };
        match name {
            ":help" | ":h" | ":?" => {
                writeln!(out, "{}", help_text())?;
            }
            ":api" => self.api(rest, out)?,
            ":vars" => self.vars(out)?,
            ":unset" => self.unset_names(rest, out)?,
            ":reset" => self.reset(out)?,
            ":load" => return self.load(rest, out, err),
            ":rules" => self.reload_rules(out, err)?,
            ":dry-run" | ":dryrun" => return self.dry_run(rest, out, err),
            ":commit" => self.commit(out)?,
            ":rollback" => self.rollback(out)?,
            ":quit" | ":q" | ":exit" => return Ok(self.quit(out)),
            other => {
                return Err(Error::Usage(format!(
                    "unknown command {other} (:help lists the commands)"
                )));
            }
        }
        Ok(Flow::Continue)
    }

    /// `:api [word]`: the API entries whose name contains the word, else whose doc does.
    fn api(&self, rest: &str, out: &mut dyn Write) -> Result<(), Error> {
        let word = rest.to_lowercase();
        let mut shown = 0;
        let matches = |d: &&ApiDoc| d.name.to_lowercase().contains(&word);
        let by_name: Vec<&ApiDoc> = self.ws.docs.iter().filter(matches).collect();
        let list = if by_name.is_empty() {
            // Nothing by name: search the documentation text.
            self.ws
                .docs
                .iter()
                .filter(|d| d.doc.to_lowercase().contains(&word))
                .collect()
        } else {
            by_name
        };
        for d in list {
            writeln!(
                out,
                "{}\n    {}",
                d.signature,
                d.doc.replace('\n', "\n    ")
            )?;
            shown += 1;
        }
        if shown == 0 {
            writeln!(out, "nothing in the API matches '{rest}'")?;
        }
        Ok(())
    }

    /// `:load FILE`: runs a Rhai file in the session.
    fn load(
        &mut self,
        rest: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        if rest.is_empty() {
            return Err(Error::Usage(
                ":load needs a file, e.g. :load scripts/credit_balances.rhai".into(),
            ));
        }
        let file = PathBuf::from(rest);
        let text = read_script(&file)?;
        let source = file.display().to_string();
        self.eval(&text, &source, Some(&file), out, err)
    }

    /// `:rules`: reloads the rule file; on error the previous rules stay.
    fn reload_rules(&mut self, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Error> {
        match self.ws.load_rules() {
            Ok(summary) => {
                writeln!(out, "{summary}")?;
                let overridden: Vec<String> = self
                    .user
                    .iter_functions()
                    .filter(|f| self.ws.rules.iter_functions().any(|r| r.name == f.name))
                    .map(|f| f.name.to_string())
                    .collect();
                if !overridden.is_empty() {
                    writeln!(
                        out,
                        "note: your own definitions still override the rule file's: {} \
                         (:unset NAME or :reset drops them)",
                        overridden.join(", ")
                    )?;
                }
                self.refresh_names();
            }
            Err(e) => {
                self.failed += 1;
                writeln!(
                    err,
                    "error: {}\n(the previous rules stay loaded)",
                    printable_lines(&e.to_string())
                )?;
            }
        }
        Ok(())
    }

    /// `:dry-run [ACCOUNT ...]`: evaluates `dry_run(…)` for these customers or all.
    fn dry_run(
        &mut self,
        rest: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Flow, Error> {
        let accounts: Vec<String> = rest
            .split([',', ' '])
            .filter(|a| !a.is_empty())
            .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        let code = if accounts.is_empty() {
            "dry_run()".to_string()
        } else {
            format!("dry_run([{}])", accounts.join(", "))
        };
        self.eval(&code, ":dry-run", None, out, err)
    }

    /// `:commit`: records the postings as a run of kind `repl`, commits, begins the next
    /// transaction.
    fn commit(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let session = Rc::clone(&self.ws.session);
        let store = session.ledger().store();
        let n = self.pending_changes();
        process::record_postings(
            self.ws.session.ledger(),
            &self.mark,
            &PostingSource {
                kind: "repl",
                path: None,
                text: &self.typed,
                selection: "",
                user: &self.user_name,
                date: self.ws.session.date(),
            },
        )?;
        store.commit()?;
        self.begin()?;
        if n == 0 {
            writeln!(out, "nothing to commit")?;
        } else {
            writeln!(out, "committed {}", changes(n))?;
        }
        Ok(())
    }

    /// `:rollback`: undoes the changes since the last commit.
    fn rollback(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let session = Rc::clone(&self.ws.session);
        let store = session.ledger().store();
        let n = self.pending_changes();
        store.rollback();
        self.begin()?;
        if n == 0 {
            writeln!(out, "nothing to roll back")?;
        } else {
            writeln!(out, "rolled back {}", changes(n))?;
        }
        Ok(())
    }

    /// `:vars`: the session's variables, and the functions it defined (with where).
    fn vars(&self, out: &mut dyn Write) -> Result<(), Error> {
        let mut t = table(&["variable", "type", "value"]);
        for (name, constant, value) in self.scope.iter_raw() {
            t.add_row(vec![
                format!("{name}{}", if constant { " (const)" } else { "" }),
                type_name(value),
                cell(value),
            ]);
        }
        if self.scope.is_empty() {
            writeln!(out, "no variables yet (let x = …;)")?;
        } else {
            writeln!(out, "{t}")?;
        }
        let mut f = table(&["function", "defined in", "overrides the rule file's"]);
        for def in self.user.iter_functions() {
            let origin = self.ws.origins.get(def.name).cloned().unwrap_or_default();
            let overrides = self.ws.rules.iter_functions().any(|r| r.name == def.name);
            f.add_row(vec![
                format!("{}({})", def.name, def.params.join(", ")),
                origin,
                if overrides { "yes" } else { "" }.to_string(),
            ]);
        }
        if self.user.iter_functions().next().is_none() {
            writeln!(out, "no functions defined in the session (fn f(…) {{ … }})")?;
        } else {
            writeln!(out, "{f}")?;
        }
        Ok(())
    }

    /// The names of the functions the session defined, sorted, once each.
    fn user_functions(&self) -> Vec<String> {
        let names: BTreeSet<String> = self
            .user
            .iter_functions()
            .map(|f| f.name.to_string())
            .collect();
        names.into_iter().collect()
    }

    /// Drops the session's functions named `name` (every arity); a dry run and later entries
    /// then use the rule file's function of that name, if any.
    fn unset_function(&mut self, name: &str) {
        self.user.retain_functions(|_, _, n, _| n != name);
        self.ws.origins.remove(name);
        if self.ws.rules.iter_functions().any(|f| f.name == name) {
            let rules = self.ws.rules_file.display().to_string();
            self.ws.origins.insert(name.to_string(), rules);
        }
        let definitions = (self.user.iter_functions().next().is_some()).then(|| Definitions {
            functions: self.user.clone(),
            source: PathBuf::from("<repl>"),
        });
        self.ws.session.set_definitions(definitions);
        self.refresh_names();
    }

    /// `:unset NAME…`: drops the session's variables and functions of these names.
    fn unset_names(&mut self, names: &str, out: &mut dyn Write) -> Result<(), Error> {
        if names.is_empty() {
            return Err(Error::Usage(
                ":unset needs the names of variables or functions, e.g. :unset eligible".into(),
            ));
        }
        for name in names.split([',', ' ']).filter(|n| !n.is_empty()) {
            let what = self.unset(name);
            writeln!(out, "{what}")?;
        }
        Ok(())
    }

    /// `:reset`: drops every function the session defined; the rule file's apply again.
    fn reset(&mut self, out: &mut dyn Write) -> Result<(), Error> {
        let names = self.user_functions();
        for name in &names {
            self.unset_function(name);
        }
        if names.is_empty() {
            writeln!(out, "the session defines no functions")?;
        } else {
            writeln!(
                out,
                "dropped the session's functions: {} (the rule file's apply again)",
                names.join(", ")
            )?;
        }
        Ok(())
    }

    /// `:unset NAME`: drops the session's variable and functions of that name; says what it did.
    fn unset(&mut self, name: &str) -> String {
        let mut dropped = Vec::new();
        while self.scope.remove::<Dynamic>(name).is_some() {
            dropped.push(format!("variable {name}"));
            dropped.dedup();
        }
        if self.user.iter_functions().any(|f| f.name == name) {
            self.unset_function(name);
            let again = if self.ws.rules.iter_functions().any(|f| f.name == name) {
                " (the rule file's applies again)"
            } else {
                ""
            };
            dropped.push(format!("fn {name}{again}"));
        }
        self.refresh_names();
        if dropped.is_empty() {
            format!("the session has no variable or function {name}")
        } else {
            format!("dropped {}", dropped.join(" and "))
        }
    }
}

/// The text of `:help`.
fn help_text() -> String {
    let mut text = String::from(
        "Type Rhai code: expressions print their value, `let x = …;` and `fn f(…) {…}` stay for later \
entries, an unfinished block continues on the next line (Ctrl-C cancels it). Tab completes \
functions, variables and properties. The rule hooks are loaded: try\n  \
eligible(customer(\"C-003\"), credit_balances(\"C-003\")[0])\n  dry_run(\"C-003\")\n\
Everything happens in one transaction: nothing is written until :commit.\n\nCommands:\n",
    );
    for (cmd, what) in COMMANDS {
        text.push_str(&format!("  {cmd:<24} {what}\n"));
    }
    text.push_str("\n:api lists the functions; `reimburse api --markdown` writes the reference.");
    text
}
