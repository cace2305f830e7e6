//! Files the tool writes: the one guard every command runs before it writes or replaces a file
//! whose path the user gave (`export -o`, the `database:` that `init` creates, the folder of
//! `generate`), so that no command can write over the books, the parameters or the rules.
//!
//! Files are compared by identity, never by the text of their path: an existing file by its
//! device and inode (a symbolic link, a hard link or `./x/../company.db` is the file it leads
//! to), a file that does not exist yet (the database's `-wal`, `-shm` or `-journal`) by its
//! canonical folder and name. A file that exists and is not a regular file (a folder, a FIFO, a
//! socket, a device) is never written, whatever `--force` says.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::parameters::Company;

mod stale;
pub use stale::{init_temp_path, remove_stale_init_files};

/// The files SQLite keeps beside a database while it is used.
pub const DATABASE_SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// What a protected file is to the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The company database (its `-wal`, `-shm` and `-journal` files are protected with it).
    Database,
    /// The company parameters (YAML).
    Parameters,
    /// The rule file.
    Rules,
    /// A file the command reads (the fixture `init` loads).
    Input,
}

/// The files a command must never write over.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    files: Vec<(PathBuf, Role)>,
}

impl Protected {
    /// The company's database (and its side files), parameters and rule file.
    pub fn company(company: &Company) -> Protected {
        Protected::company_inputs(company).with(&company.database_path, Role::Database)
    }

    /// The company's parameters and rule file (for `init`, which writes the database itself).
    pub fn company_inputs(company: &Company) -> Protected {
        Protected::default()
            .with(&company.file, Role::Parameters)
            .with(&company.rules_path, Role::Rules)
    }

    /// These files and `path` as `role`.
    pub fn with(mut self, path: &Path, role: Role) -> Protected {
        self.files.push((path.to_path_buf(), role));
        self
    }
}

/// What an existing file at the output path may be, for the command to replace it.
pub enum Replaceable<'a> {
    /// A file this kind of output wrote before, recognised by `recognise` from its first 8 KiB
    /// (as text); any other regular file only with `force`.
    Previous {
        /// What the output is, for the message (`ledger export`).
        what: &'a str,
        /// Whether the beginning of a file is one this output wrote.
        recognise: &'a dyn Fn(&str) -> bool,
        /// The user asked to replace any regular file.
        force: bool,
        /// What to do instead, for the message (`give another file, or --force to replace it`).
        hint: &'a str,
    },
    /// A reimburse company database (SQLite header and [`crate::store::APPLICATION_ID`]) or an
    /// empty file, and nothing else, whatever `--force` says.
    CompanyDatabase,
    /// Any regular file (the caller decides whether `--force` is needed).
    AnyRegular,
}

/// What there is at an output path that may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Nothing: the file will be created.
    Absent,
    /// A regular file that may be replaced.
    Replaceable,
}

/// A kind of file that is never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialKind {
    /// A folder.
    Folder,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Anything else that is not a regular file.
    Other,
}

impl fmt::Display for SpecialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialKind::Folder => "folder",
            SpecialKind::Fifo => "FIFO (named pipe)",
            SpecialKind::Socket => "socket",
            SpecialKind::CharDevice => "character device",
            SpecialKind::BlockDevice => "block device",
            SpecialKind::Other => "special file",
        })
    }
}

/// What a file that is not a company database is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// An SQLite database of another application (another application id).
    OtherSqlite,
    /// Not an SQLite database at all (text, say).
    NotSqlite,
}

impl fmt::Display for Foreign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Foreign::OtherSqlite => "an SQLite database of another application",
            Foreign::NotSqlite => "a file that is not a database (text, or another format)",
        })
    }
}

/// Why a command refuses to write a file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path is the company database.
    #[error("{}: refused: this is the company database {}; writing there would replace the books", .path.display(), .database.display())]
    Database {
        /// The output path.
        path: PathBuf,
        /// The company database.
        database: PathBuf,
    },
    /// The path is a file SQLite keeps beside the company database.
    #[error("{}: refused: this is the {suffix} file SQLite keeps beside the company database {}; writing there would corrupt the books", .path.display(), .database.display())]
    DatabaseSideFile {
        /// The output path.
        path: PathBuf,
        /// The company database.
        database: PathBuf,
        /// `-wal`, `-shm` or `-journal`.
        suffix: &'static str,
    },
    /// The path is the company parameters.
    #[error("{}: refused: this is the company parameters file {}", .path.display(), .file.display())]
    Parameters {
        /// The output path.
        path: PathBuf,
        /// The company YAML.
        file: PathBuf,
    },
    /// The path is the rule file.
    #[error("{}: refused: this is the company's rule file {}", .path.display(), .file.display())]
    Rules {
        /// The output path.
        path: PathBuf,
        /// The rule file.
        file: PathBuf,
    },
    /// The path is a file the command reads.
    #[error("{}: refused: this is {}, which the command reads from", .path.display(), .file.display())]
    Input {
        /// The output path.
        path: PathBuf,
        /// The input file.
        file: PathBuf,
    },
    /// The path is not a regular file.
    #[error("{}: refused: it is a {kind}, not a regular file (never written, even with --force)", .path.display())]
    NotRegular {
        /// The output path.
        path: PathBuf,
        /// What it is.
        kind: SpecialKind,
    },
    /// The path is a regular file that this output did not write.
    #[error("{}: refused: the file exists and is not a previous {what}; {hint}", .path.display())]
    NotPrevious {
        /// The output path.
        path: PathBuf,
        /// What the output is.
        what: String,
        /// What to do instead.
        hint: String,
    },
    /// The path is a file that is not a company database, where one would be replaced.
    #[error("{}: refused: it is {found}; only a reimburse company database is replaced (even with --force): move it away, or name another file", .path.display())]
    NotCompanyDatabase {
        /// The output path.
        path: PathBuf,
        /// What it is.
        found: Foreign,
    },
    /// Files that exist and would be replaced, without `--force`.
    #[error("refused: {} already exist{}; use --force to replace {}", list(.paths), if .paths.len() == 1 { "s" } else { "" }, if .paths.len() == 1 { "it" } else { "them" })]
    Exist {
        /// The files.
        paths: Vec<PathBuf>,
    },
    /// The path cannot be examined.
    #[error("{}: cannot check the file before writing it: {source}", .path.display())]
    Io {
        /// The output path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

/// Checks that `path` may be written by a command: it is none of the `protected` files (nor the
/// database's side files), and it does not exist, or is a regular file that `replaceable`
/// allows to replace. Call it right before writing; it changes nothing.
pub fn check_output(
    path: &Path,
    protected: &Protected,
    replaceable: &Replaceable<'_>,
) -> Result<Existing, OutputError> {
    refuse_protected(path, protected)?;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(source) => {
            return Err(OutputError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if !meta.is_file() {
        return Err(OutputError::NotRegular {
            path: path.to_path_buf(),
            kind: special_kind(&meta.file_type()),
        });
    }
    let io = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    match replaceable {
        Replaceable::AnyRegular | Replaceable::Previous { force: true, .. } => {}
        Replaceable::Previous {
            what,
            recognise,
            hint,
            ..
        } => {
            if !recognise(&head(path).map_err(io)?) {
                return Err(OutputError::NotPrevious {
                    path: path.to_path_buf(),
                    what: what.to_string(),
                    hint: hint.to_string(),
                });
            }
        }
        Replaceable::CompanyDatabase => {
            if let Some(found) = foreign(path, meta.len()).map_err(io)? {
                return Err(OutputError::NotCompanyDatabase {
                    path: path.to_path_buf(),
                    found,
                });
            }
        }
    }
    Ok(Existing::Replaceable)
}

/// Refuses `path` when it is one of the protected files, or a side file of a protected database.
fn refuse_protected(path: &Path, protected: &Protected) -> Result<(), OutputError> {
    let out = path.to_path_buf();
    for (file, role) in &protected.files {
        if same_file(path, file) {
            return Err(match role {
                Role::Database => OutputError::Database {
                    path: out,
                    database: file.clone(),
                },
                Role::Parameters => OutputError::Parameters {
                    path: out,
                    file: file.clone(),
                },
                Role::Rules => OutputError::Rules {
                    path: out,
                    file: file.clone(),
                },
                Role::Input => OutputError::Input {
                    path: out,
                    file: file.clone(),
                },
            });
        }
        if *role != Role::Database {
            continue;
        }
        // SQLite names them after the path it was given, or after the file a link leads to.
        let bases = [Some(file.clone()), location(file)];
        for suffix in DATABASE_SIDE_FILES {
            if bases
                .iter()
                .flatten()
                .any(|b| same_file(path, &with_suffix(b, suffix)))
            {
                return Err(OutputError::DatabaseSideFile {
                    path: out,
                    database: file.clone(),
                    suffix,
                });
            }
        }
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name (`company.db-wal`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Whether two paths name the same file: by device and inode when both exist, else by where they
/// lead ([`location`]).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        return ma.dev() == mb.dev() && ma.ino() == mb.ino();
    }
    matches!((location(a), location(b)), (Some(x), Some(y)) if x == y)
}

/// Where a path leads: the canonical path of the file it names (following symbolic links, also
/// one whose target does not exist yet), or, for a file that does not exist, its canonical folder
/// joined with its name. `None` when its folder does not exist either.
fn location(path: &Path) -> Option<PathBuf> {
    let mut path = path.to_path_buf();
    // As many links as the kernel follows (ELOOP beyond).
    for _ in 0..40 {
        if let Ok(p) = std::fs::canonicalize(&path) {
            return Some(p);
        }
        match std::fs::read_link(&path) {
            Ok(target) => path = folder_of(&path).join(target),
            Err(_) => {
                let name = path.file_name()?;
                return Some(std::fs::canonicalize(folder_of(&path)).ok()?.join(name));
            }
        }
    }
    None
}

/// The folder a path is in (`.` for a bare file name).
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn special_kind(t: &std::fs::FileType) -> SpecialKind {
    if t.is_dir() {
        SpecialKind::Folder
    } else if t.is_fifo() {
        SpecialKind::Fifo
    } else if t.is_socket() {
        SpecialKind::Socket
    } else if t.is_char_device() {
        SpecialKind::CharDevice
    } else if t.is_block_device() {
        SpecialKind::BlockDevice
    } else {
        SpecialKind::Other
    }
}

/// The first 8 KiB of a regular file, as text (invalid UTF-8 replaced).
fn head(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::with_capacity(8192);
    std::fs::File::open(path)?
        .take(8192)
        .read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What a regular file of `len` bytes is when it is not a company database; `None` when it is
/// one, or empty (it holds nothing to lose: SQLite itself reads it as an empty database). Reads the SQLite header (magic text, application id at offset 68, big-endian) and
/// nothing else: no SQLite connection, so a foreign file is not touched.
fn foreign(path: &Path, len: u64) -> std::io::Result<Option<Foreign>> {
    if len == 0 {
        return Ok(None);
    }
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(path)?
        .take(100)
        .read_to_end(&mut header)?;
    if header.len() < 100 || !header.starts_with(b"SQLite format 3\0") {
        return Ok(Some(Foreign::NotSqlite));
    }
    let id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    Ok((id != crate::store::APPLICATION_ID).then_some(Foreign::OtherSqlite))
}
