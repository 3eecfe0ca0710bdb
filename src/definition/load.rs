//! Reading the indicators directory. YAML parsing lives here and in
//! `positions.rs` only, so the YAML crate can be swapped.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::diagnostic::{Diagnostic, render_diagnostics};
use super::model::{GeographyDef, IndicatorDef, PsaDef};
use super::positions::PositionIndex;
use super::precheck::{MAX_YAML_BYTES, precheck, read_regular, strip_bom};
use super::targets::LaaTargetDef;

/// File names with a special meaning in the indicators directory.
pub const PSA_FILE: &str = "psa.yaml";
/// The geography lookup naming file.
pub const GEOGRAPHY_FILE: &str = "geography.yaml";
/// The LAA targets file.
pub const TARGETS_FILE: &str = "laa-targets.yaml";

/// A value read from a file, with the file and the positions of its nodes.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// The file it came from, as given.
    pub file: PathBuf,
    /// Positions of its YAML nodes.
    pub positions: PositionIndex,
}

impl<T> Located<T> {
    /// A diagnostic located at the value of `path` in this file.
    pub fn diag(&self, path: &str, message: impl Into<String>, hint: Option<String>) -> Diagnostic {
        let p = self.positions.value(path);
        Diagnostic {
            file: self.file.display().to_string(),
            line: p.line,
            column: p.column,
            path: path.to_string(),
            message: message.into(),
            hint,
        }
    }
}

/// Everything in an indicators directory.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The directory read.
    pub dir: PathBuf,
    /// Indicator definitions, sorted by file name.
    pub indicators: Vec<Located<IndicatorDef>>,
    /// PSA groupings (empty when there is no `psa.yaml`).
    pub psas: Option<Located<Vec<PsaDef>>>,
    /// Geography table naming.
    pub geography: GeographyDef,
    /// LAA targets (empty when there is no targets file).
    pub targets: Option<Located<Vec<LaaTargetDef>>>,
}

/// Errors of the definition stage.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// The directory or a file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The directory holds no indicator definitions.
    #[error("no indicator definitions (*.yaml) in {dir}: pass --indicators DIR")]
    Empty {
        /// The directory.
        dir: PathBuf,
    },
    /// One or more files are not valid YAML of the expected shape.
    #[error("{}", render_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
}

impl DefinitionError {
    /// The diagnostics, when the error is about file contents.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            DefinitionError::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn read(path: &Path) -> Result<String, DefinitionError> {
    read_regular(path, MAX_YAML_BYTES).map_err(|source| DefinitionError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Pre-check `text` (see [`precheck`]) and parse it: the file's problems as
/// located diagnostics.
pub fn parse_checked_file<T: DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<Located<T>, Vec<Diagnostic>> {
    let text = strip_bom(text);
    if let Err(problems) = precheck(text) {
        return Err(problems
            .into_iter()
            .map(|p| Diagnostic {
                file: path.display().to_string(),
                line: p.line,
                column: p.column,
                path: String::new(),
                message: p.message,
                hint: p.hint,
            })
            .collect());
    }
    parse_file(path, text).map_err(|d| vec![d])
}

/// Whether a YAML text holds no document content: only blank lines,
/// comments and document markers (a byte-order mark aside).
fn is_blank_yaml(text: &str) -> bool {
    strip_bom(text).lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

/// Parse one YAML file into `T`, remembering positions.
pub fn parse_file<T: DeserializeOwned>(path: &Path, text: &str) -> Result<Located<T>, Diagnostic> {
    match serde_yaml::from_str::<T>(text) {
        Ok(value) => Ok(Located {
            value,
            file: path.to_path_buf(),
            positions: PositionIndex::build(text),
        }),
        Err(e) => {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            let full = e.to_string();
            let message = match full.rfind(" at line ") {
                Some(i) => full[..i].to_string(),
                None => full,
            };
            let (path_part, message) = split_serde_path(&message);
            let hint = hint_for_serde(&message);
            Err(Diagnostic {
                file: path.display().to_string(),
                line,
                column,
                path: path_part,
                message,
                hint,
            })
        }
    }
}

/// serde_yaml prefixes messages with the YAML path (`cohort.filter: ...`).
fn split_serde_path(message: &str) -> (String, String) {
    if let Some((p, rest)) = message.split_once(": ")
        && !p.contains(' ')
        && !p.is_empty()
    {
        return (p.to_string(), rest.to_string());
    }
    (String::new(), message.to_string())
}

fn hint_for_serde(message: &str) -> Option<String> {
    if message.starts_with("unknown field") || message.starts_with("unknown variant") {
        message
            .split_once(", expected ")
            .map(|(_, e)| format!("expected {e}"))
    } else if message.starts_with("missing field") {
        Some("add the field; see indicators/README.md for the language reference".into())
    } else {
        None
    }
}

/// Stage entry point: read every definition in `dir`, reporting every
/// unreadable or malformed file at once.
pub fn load_definitions(dir: &Path) -> Result<Catalog, DefinitionError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DefinitionError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut diags = Vec::new();
    let mut indicators = Vec::new();
    let mut psas = None;
    let mut geography = GeographyDef::default();
    let mut targets = None;
    for path in files {
        let text = read(&path)?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        match name {
            PSA_FILE => match parse_checked_file::<Vec<PsaDef>>(&path, &text) {
                Ok(v) => psas = Some(v),
                Err(d) => diags.extend(d),
            },
            GEOGRAPHY_FILE => match parse_checked_file::<GeographyDef>(&path, &text) {
                Ok(v) => geography = v.value,
                Err(d) => diags.extend(d),
            },
            TARGETS_FILE if is_blank_yaml(&text) => diags.push(Diagnostic {
                file: path.display().to_string(),
                line: 1,
                column: 1,
                path: String::new(),
                message: "the file is empty: an empty file is more often a lost write than a decision to have no LAA targets".into(),
                hint: Some("write `[]` for no LAA targets, or delete the file".into()),
            }),
            TARGETS_FILE => match parse_checked_file::<Vec<LaaTargetDef>>(&path, &text) {
                Ok(v) => targets = Some(v),
                Err(d) => diags.extend(d),
            },
            _ => match parse_checked_file::<IndicatorDef>(&path, &text) {
                Ok(v) => indicators.push(v),
                Err(d) => diags.extend(d),
            },
        }
    }
    if !diags.is_empty() {
        return Err(DefinitionError::Invalid(diags));
    }
    if indicators.is_empty() {
        return Err(DefinitionError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    Ok(Catalog {
        dir: dir.to_path_buf(),
        indicators,
        psas,
        geography,
        targets,
    })
}
