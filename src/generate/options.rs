//! What the caller asks for: scale, seed, output directory and the range of
//! financial years, with the checks `generate` runs before writing anything.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;

use super::error::GenerateError;

/// The largest accepted `scale` (about 2.8 billion rows).
pub const MAX_SCALE: f64 = 100.0;

/// A UK financial year, 1 April to 31 March, named by the calendar year it
/// starts in: `FinancialYear(2009)` is `2009-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(pub i32);

impl FinancialYear {
    /// The calendar year the financial year starts in.
    pub fn start_year(self) -> i32 {
        self.0
    }

    /// 1 April of the start year.
    pub fn first_day(self) -> NaiveDate {
        ymd(self.0, 4, 1)
    }

    /// 31 March of the following year.
    pub fn last_day(self) -> NaiveDate {
        ymd(self.0 + 1, 3, 31)
    }

    /// The next financial year.
    pub fn next(self) -> FinancialYear {
        FinancialYear(self.0 + 1)
    }
}

/// A date that is valid by construction; falls back to 1 January 1970 only
/// if chrono rejects a date this module never builds.
pub(crate) fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

/// A string that is not a financial year such as `2009-10`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid financial year {input:?}: {reason}")]
pub struct ParseFinancialYearError {
    /// The rejected text.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for FinancialYear {
    type Err = ParseFinancialYearError;

    /// Parses `YYYY-YY` strictly: a four-digit start year from 1900 to 2099
    /// and the two last digits of the following year.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ParseFinancialYearError {
            input: s.to_string(),
            reason,
        };
        let (first, second) = s
            .split_once('-')
            .ok_or_else(|| fail("expected the form YYYY-YY, e.g. 2009-10"))?;
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if first.len() != 4 || second.len() != 2 || !all_digits(first) || !all_digits(second) {
            return Err(fail("expected the form YYYY-YY, e.g. 2009-10"));
        }
        let start: i32 = first
            .parse()
            .map_err(|_| fail("the start year is not a number"))?;
        let end: i32 = second
            .parse()
            .map_err(|_| fail("the end year is not a number"))?;
        if !(1900..=2099).contains(&start) {
            return Err(fail("the start year must be between 1900 and 2099"));
        }
        if end != (start + 1) % 100 {
            return Err(fail(
                "the second part must be the year after the first, e.g. 2009-10",
            ));
        }
        Ok(FinancialYear(start))
    }
}

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Multiplies every volume; `1.0` is national volume. Must be positive.
    pub scale: f64,
    /// Seed of every random draw: the same seed and scale give the same bytes.
    pub seed: u64,
    /// Output directory; must not exist or be empty.
    pub out: PathBuf,
    /// First financial year of the extract.
    pub from: FinancialYear,
    /// Last financial year; the extract date is its last day.
    pub to: FinancialYear,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
    /// Regions sampled at their own scale instead of `scale`, by region
    /// code (e.g. `E12000002` at `0.4` for a sample whose North West local
    /// authorities have counts large enough to show). Populations are
    /// scaled with the volumes everywhere, so rates stay true.
    pub region_scales: Vec<(String, f64)>,
}

impl GenerateOptions {
    /// Options for the contract's default range, 2005-06 to 2011-12, with
    /// the progress bar off.
    pub fn new(scale: f64, seed: u64, out: impl Into<PathBuf>) -> Self {
        GenerateOptions {
            scale,
            seed,
            out: out.into(),
            from: FinancialYear(2005),
            to: FinancialYear(2011),
            progress: false,
            region_scales: Vec::new(),
        }
    }

    /// The extract date: the last day of the `to` financial year.
    pub fn extract_date(&self) -> NaiveDate {
        self.to.last_day()
    }

    /// Checks every option and returns the directory the output will be
    /// created in. Touches nothing on disk.
    pub(crate) fn validate(&self) -> Result<PathBuf, GenerateError> {
        check_scale(self.scale)?;
        for (_, scale) in &self.region_scales {
            check_scale(*scale)?;
        }
        if self.from > self.to {
            return Err(GenerateError::ReversedRange {
                from: self.from,
                to: self.to,
            });
        }
        check_output(&self.out)?;
        let parent = parent_of(&self.out);
        if !parent.is_dir() {
            return Err(GenerateError::ParentMissing { path: parent });
        }
        Ok(parent)
    }
}

/// A scale must be positive, finite and at most [`MAX_SCALE`].
fn check_scale(scale: f64) -> Result<(), GenerateError> {
    if !scale.is_finite() || scale <= 0.0 {
        return Err(GenerateError::InvalidScale { scale });
    }
    if scale > MAX_SCALE {
        return Err(GenerateError::ScaleTooLarge {
            scale,
            max: MAX_SCALE,
        });
    }
    Ok(())
}

/// The output must not exist, or be an empty directory.
fn check_output(out: &Path) -> Result<(), GenerateError> {
    let io_err = |source| GenerateError::Io {
        path: out.to_path_buf(),
        source,
    };
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(e)),
        Ok(meta) if !meta.is_dir() => Err(GenerateError::OutputNotDirectory {
            path: out.to_path_buf(),
        }),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(io_err)?;
            if entries.next().is_some() {
                Err(GenerateError::OutputNotEmpty {
                    path: out.to_path_buf(),
                })
            } else {
                Ok(())
            }
        }
    }
}

/// The directory holding `out` (`.` for a bare name).
fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_financial_years() {
        let fy: FinancialYear = "2009-10".parse().unwrap();
        assert_eq!(fy, FinancialYear(2009));
        assert_eq!(fy.to_string(), "2009-10");
        assert_eq!(
            "1999-00".parse::<FinancialYear>().unwrap().to_string(),
            "1999-00"
        );
        assert_eq!(fy.first_day(), ymd(2009, 4, 1));
        assert_eq!(fy.last_day(), ymd(2010, 3, 31));
    }

    #[test]
    fn rejects_malformed_financial_years() {
        for bad in [
            "2009-11",
            "2009",
            "2009-2010",
            "09-10",
            "2009/10",
            "abcd-ef",
            "2009-1",
            "",
        ] {
            let err = bad.parse::<FinancialYear>().unwrap_err();
            assert_eq!(err.input, bad);
        }
        let err = "2009-11".parse::<FinancialYear>().unwrap_err();
        assert!(err.to_string().contains("year after the first"), "{err}");
    }
}
