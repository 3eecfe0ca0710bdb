//! A problem in a definition file, located rustc-style.

use std::fmt;

/// One problem found in a file: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// File path as given on the command line (relative paths stay relative).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// YAML path of the value, e.g. `cohort.filter` (empty for the whole file).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, e.g. `did you mean 'offence_date'?`.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if !self.path.is_empty() {
            write!(f, " (at `{}`)", self.path)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

/// Render diagnostics one per paragraph, sorted by file and position.
pub fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut d = diags.to_vec();
    d.sort();
    d.dedup();
    d.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
