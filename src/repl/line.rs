//! How the REPL reads its lines: on a terminal with rustyline (line editing, history, Tab
//! completion, prompts), else from standard input or any reader (pipes, tests) without prompts;
//! entries that continue over several lines; how a session ends (its exit code).
//!
//! Must not depend on `cli`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::completion::Completion;
use super::session::{Flow, Repl, ReplOptions};
use crate::Error;
use crate::parameters::Company;
use crate::text::printable_lines;

/// The default history file: `$REIMBURSE_HISTORY`, else `~/.reimburse_history`.
pub fn default_history() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REIMBURSE_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".reimburse_history"))
}

/// Where the REPL reads its lines.
enum Input<'a> {
    Terminal(Box<rustyline::Editor<Completion, rustyline::history::DefaultHistory>>),
    Lines(&'a mut dyn BufRead),
}

enum Read {
    Line(String),
    Interrupted,
    Eof,
}

impl Input<'_> {
    fn read(&mut self, prompt: &str) -> std::io::Result<Read> {
        match self {
            Input::Terminal(editor) => match editor.readline(prompt) {
                Ok(line) => Ok(Read::Line(line)),
                Err(rustyline::error::ReadlineError::Interrupted) => Ok(Read::Interrupted),
                Err(rustyline::error::ReadlineError::Eof) => Ok(Read::Eof),
                Err(rustyline::error::ReadlineError::Io(e)) => Err(e),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            },
            Input::Lines(reader) => {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(Read::Eof);
                }
                let trimmed = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(trimmed);
                Ok(Read::Line(line))
            }
        }
    }
}

/// Runs the REPL on the terminal when standard input is one (line editing, history, completion),
/// else reading lines from standard input with the same command handling and no prompts.
pub fn interact(
    company: &Company,
    options: &ReplOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    if std::io::stdin().is_terminal() {
        let (repl, warning) = Repl::new(company, options)?;
        let helper = Completion {
            names: Rc::clone(&repl.names),
            files: rustyline::completion::FilenameCompleter::new(),
        };
        let config = rustyline::Config::builder()
            .auto_add_history(false)
            .completion_type(rustyline::CompletionType::List)
            .max_history_size(5000)
            .map_err(|e| Error::Usage(e.to_string()))?
            .build();
        let mut editor = rustyline::Editor::with_config(config)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        editor.set_helper(Some(helper));
        if let Some(h) = &options.history {
            let _ = editor.load_history(h);
        }
        let p = &company.params.company;
        writeln!(
            out,
            "reimburse repl: {} ({}), database {}, rules {}\n\
             One transaction: nothing is written until :commit. :help for help, Tab completes, :quit or Ctrl-D leaves.",
            p.name,
            p.id,
            company.database_path.display(),
            company.rules_path.display()
        )?;
        if let Some(w) = &warning {
            writeln!(
                err,
                "warning: the rule hooks are not loaded: {}",
                printable_lines(&w.to_string())
            )?;
        }
        let mut input = Input::Terminal(Box::new(editor));
        drive(repl, &mut input, options.history.as_deref(), true, out, err)
    } else {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        interact_with_input(company, options, &mut lock, out, err)
    }
}

/// Runs the REPL reading entries from `input` (no prompts, no history): how pipes and tests
/// drive it.
pub fn interact_with_input(
    company: &Company,
    options: &ReplOptions,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let (repl, warning) = Repl::new(company, options)?;
    if let Some(w) = &warning {
        writeln!(
            err,
            "warning: the rule hooks are not loaded: {}",
            printable_lines(&w.to_string())
        )?;
    }
    drive(repl, &mut Input::Lines(input), None, false, out, err)
}

fn drive(
    mut repl: Repl,
    input: &mut Input,
    history: Option<&Path>,
    interactive: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let mut pending = String::new();
    loop {
        let prompt = if !interactive {
            ""
        } else if pending.is_empty() {
            "> "
        } else {
            "… "
        };
        out.flush()?;
        let line = match input.read(prompt) {
            Ok(Read::Line(line)) => line,
            Ok(Read::Interrupted) => {
                if pending.is_empty() {
                    writeln!(err, "(:quit or Ctrl-D leaves)")?;
                }
                pending.clear();
                continue;
            }
            Ok(Read::Eof) => {
                if !pending.trim().is_empty() {
                    // The last entry never ended: show its error.
                    let entry = std::mem::take(&mut pending);
                    repl.handle(&entry, out, err);
                }
                repl.finish(out);
                return outcome(&repl, interactive);
            }
            Err(e) => {
                repl.finish(out);
                return Err(Error::Io(e));
            }
        };
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if repl.is_incomplete(&pending) {
            continue;
        }
        let entry = std::mem::take(&mut pending);
        if let Input::Terminal(editor) = input
            && !entry.trim().is_empty()
        {
            let _ = editor.add_history_entry(entry.as_str());
            if let Some(h) = history {
                let _ = editor.save_history(h);
            }
        }
        if repl.handle(&entry, out, err) == Flow::Quit {
            out.flush()?;
            return outcome(&repl, interactive);
        }
    }
}

/// How a session ends: off a terminal (`reimburse repl < checks.rhai`), an entry that failed
/// makes it an error, so that the exit code is not 0 and a pipeline or CI job notices.
fn outcome(repl: &Repl, interactive: bool) -> Result<(), Error> {
    match repl.failed_entries() {
        n if n > 0 && !interactive => Err(Error::EntriesFailed(n)),
        _ => Ok(()),
    }
}
