//! [`Company`]: the validated parameters, the database and rule paths resolved against the YAML
//! file's folder, and the parameters' hash.

use std::path::{Path, PathBuf};

use super::validate::validate;
use super::yaml::{locate, parse_yaml};
use super::{Parameters, YamlError};
use crate::money::Currency;

/// A company: its validated parameters and where they came from.
#[derive(Debug, Clone)]
pub struct Company {
    /// The validated parameters.
    pub params: Parameters,
    /// The YAML file they were read from.
    pub file: PathBuf,
    /// The database path, resolved against the YAML file's folder.
    pub database_path: PathBuf,
    /// The rule file path, resolved against the YAML file's folder.
    pub rules_path: PathBuf,
    /// The parameters' hash ([`Parameters::hash`]: SHA-256 of their canonical form, hex).
    pub hash: String,
}

impl Company {
    /// Reads and validates a company YAML file.
    pub fn load(file: &Path) -> Result<Company, YamlError> {
        let text = std::fs::read_to_string(file).map_err(|e| YamlError {
            file: file.to_path_buf(),
            line: None,
            column: None,
            path: String::new(),
            message: format!("cannot read the company parameters: {e}"),
        })?;
        Company::from_yaml(file, &text)
    }

    /// Parses and validates company parameters from YAML text; `file` names it in errors and
    /// anchors the relative database and rules paths.
    pub fn from_yaml(file: &Path, text: &str) -> Result<Company, YamlError> {
        let params: Parameters = parse_yaml(file, text)?;
        Company::from_parameters(file, params, Some(text))
    }

    /// Validates parameters (e.g. after overrides) and resolves their paths against `file`.
    pub fn from_parameters(
        file: &Path,
        params: Parameters,
        text: Option<&str>,
    ) -> Result<Company, YamlError> {
        if let Err((path, message)) = validate(&params) {
            let (line, column) = text.and_then(|t| locate(t, &path)).unzip();
            return Err(YamlError {
                file: file.to_path_buf(),
                line,
                column,
                path,
                message,
            });
        }
        let base = file.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        Ok(Company {
            database_path: base.join(&params.database),
            rules_path: base.join(&params.rules),
            hash: params.hash(),
            file: file.to_path_buf(),
            params,
        })
    }

    /// The currency with this code, if the company uses it.
    pub fn currency(&self, code: &str) -> Option<Currency> {
        self.params.currency(code)
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
