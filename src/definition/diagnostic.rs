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
    let mut lines: Vec<String> = d.iter().take(MAX_SHOWN).map(|d| d.to_string()).collect();
    if d.len() > MAX_SHOWN {
        lines.push(format!(
            "... and {} more problems not shown: fix these first",
            group_digits(d.len() - MAX_SHOWN)
        ));
    }
    lines.join("\n")
}

/// Diagnostics shown at once: more flood the terminal and hide the first.
pub const MAX_SHOWN: usize = 50;

/// `1234567` as `1,234,567`.
pub fn group_digits(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
