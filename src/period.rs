//! Reporting periods: UK financial years and quarters, rolling 12 months and
//! calendar years.
//!
//! A financial year `2009-10` runs 1 April 2009 to 31 March 2010; its
//! quarter `2009-10 Q1` is April-June 2009 and Q4 is January-March 2010. A
//! rolling-12-month figure labelled with a quarter covers the four quarters
//! ending with it. Every period is a whole number of calendar quarters,
//! which is what lets the planner join cohorts to periods on a quarter key.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// The earliest date an extract may hold or be drawn on (1980-01-01):
/// anything earlier is a data error, and periods are never listed before it.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1980, 1, 1).unwrap_or(NaiveDate::MIN) // ok: a valid date
}

/// The latest date an extract may hold or be drawn on (2099-12-31).
pub fn latest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or(NaiveDate::MAX) // ok: a valid date
}

/// Whether `d` lies in the plausible range [`earliest_date`]..=[`latest_date`].
pub fn plausible(d: NaiveDate) -> bool {
    d >= earliest_date() && d <= latest_date()
}

/// The grain an indicator is reported at.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    /// A financial year, April to March, e.g. `2009-10`.
    FinancialYear,
    /// One financial quarter, e.g. `2009-10 Q2` (a quarterly cohort).
    Quarter,
    /// The 12 months ending with a quarter, labelled with that quarter.
    RollingQuarter,
    /// A calendar year, e.g. `2008` (survey years).
    CalendarYear,
}

impl Grain {
    /// All grains, in display order.
    pub const ALL: [Grain; 4] = [
        Grain::FinancialYear,
        Grain::Quarter,
        Grain::RollingQuarter,
        Grain::CalendarYear,
    ];

    /// The name used in YAML and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::FinancialYear => "financial_year",
            Grain::Quarter => "quarter",
            Grain::RollingQuarter => "rolling_quarter",
            Grain::CalendarYear => "calendar_year",
        }
    }

    /// Whether a period of this grain is a whole year (financial or
    /// calendar), the grains a year-on-year target compares.
    pub fn is_yearly(self) -> bool {
        matches!(self, Grain::FinancialYear | Grain::CalendarYear)
    }

    /// Whether consecutive periods of this grain share data (rolling 12
    /// months do); trend tests must then use every fourth period.
    pub fn overlapping(self) -> bool {
        matches!(self, Grain::RollingQuarter)
    }
}

/// One reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// Financial year starting 1 April of the given year.
    FinancialYear(i32),
    /// Quarter `q` (1..=4) of the financial year starting in `fy`.
    Quarter {
        /// Calendar year in which the financial year starts.
        fy: i32,
        /// Quarter of the financial year, 1..=4.
        q: u8,
    },
    /// The 12 months ending with quarter `q` of financial year `fy`.
    RollingQuarter {
        /// Calendar year in which the financial year starts.
        fy: i32,
        /// Quarter of the financial year, 1..=4.
        q: u8,
    },
    /// A calendar year.
    CalendarYear(i32),
}

/// A period label that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a period: expected a financial year like `2009-10`, a quarter like `2009-10 Q2` or a calendar year like `2008`"
)]
pub struct PeriodParseError {
    /// The text that was given.
    pub text: String,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // ok: callers pass month 1..=12 and day 1 or a valid month end
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn parse_fy(s: &str) -> Option<i32> {
    let (a, b) = s.split_once('-')?;
    if a.len() != 4 || b.len() != 2 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let start: i32 = a.parse().ok()?;
    let end: i32 = b.parse().ok()?;
    ((start + 1).rem_euclid(100) == end).then_some(start)
}

impl Period {
    /// Parse a label in the grain's own format. A quarter label parses as
    /// `RollingQuarter` when `grain` is `RollingQuarter`.
    pub fn parse_for(text: &str, grain: Grain) -> Result<Period, PeriodParseError> {
        let p: Period = text.parse()?;
        let err = || PeriodParseError {
            text: text.to_string(),
        };
        match (grain, p) {
            (Grain::FinancialYear, Period::FinancialYear(_)) => Ok(p),
            (Grain::Quarter, Period::Quarter { .. }) => Ok(p),
            (Grain::RollingQuarter, Period::Quarter { fy, q }) => {
                Ok(Period::RollingQuarter { fy, q })
            }
            (Grain::CalendarYear, Period::CalendarYear(_)) => Ok(p),
            _ => Err(err()),
        }
    }

    /// The grain of this period.
    pub fn grain(self) -> Grain {
        match self {
            Period::FinancialYear(_) => Grain::FinancialYear,
            Period::Quarter { .. } => Grain::Quarter,
            Period::RollingQuarter { .. } => Grain::RollingQuarter,
            Period::CalendarYear(_) => Grain::CalendarYear,
        }
    }

    /// First day of the period.
    pub fn start(self) -> NaiveDate {
        match self {
            Period::FinancialYear(fy) => date(fy, 4, 1),
            Period::Quarter { fy, q } => quarter_start(fy, q),
            Period::RollingQuarter { fy, q } => {
                let (pfy, pq) = step_quarter(fy, q, -3);
                quarter_start(pfy, pq)
            }
            Period::CalendarYear(y) => date(y, 1, 1),
        }
    }

    /// Last day of the period (inclusive).
    pub fn end(self) -> NaiveDate {
        match self {
            Period::FinancialYear(fy) => date(fy + 1, 3, 31),
            Period::Quarter { fy, q } | Period::RollingQuarter { fy, q } => {
                let (nfy, nq) = step_quarter(fy, q, 1);
                quarter_start(nfy, nq).pred_opt().unwrap_or(NaiveDate::MIN)
            }
            Period::CalendarYear(y) => date(y, 12, 31),
        }
    }

    /// First days of the calendar quarters that make up the period.
    pub fn quarter_starts(self) -> Vec<NaiveDate> {
        let mut d = self.start();
        let end = self.end();
        let mut out = Vec::with_capacity(4);
        while d <= end {
            out.push(d);
            d = d
                .checked_add_months(chrono::Months::new(3))
                .unwrap_or(NaiveDate::MAX);
        }
        out
    }

    /// A running index in quarters (for trajectories and ordering): the
    /// quarter in which the period ends, counted from 2000 Q1 (Jan-Mar).
    pub fn end_quarter_index(self) -> i64 {
        let e = self.end();
        (e.year() as i64 - 2000) * 4 + (e.month0() as i64) / 3
    }

    /// The same kind of period `n` steps later (negative: earlier).
    pub fn offset(self, n: i32) -> Period {
        match self {
            Period::FinancialYear(fy) => Period::FinancialYear(fy + n),
            Period::CalendarYear(y) => Period::CalendarYear(y + n),
            Period::Quarter { fy, q } => {
                let (fy, q) = step_quarter(fy, q, n);
                Period::Quarter { fy, q }
            }
            Period::RollingQuarter { fy, q } => {
                let (fy, q) = step_quarter(fy, q, n);
                Period::RollingQuarter { fy, q }
            }
        }
    }

    /// Every period of `grain` that lies wholly inside `[from, to]`.
    pub fn all_within(grain: Grain, from: NaiveDate, to: NaiveDate) -> Vec<Period> {
        // never more periods than the plausible range holds, whatever the dates
        let (from, to) = (from.max(earliest_date()), to.min(latest_date()));
        let first = match grain {
            Grain::FinancialYear => Period::FinancialYear(from.year() - 1),
            Grain::CalendarYear => Period::CalendarYear(from.year() - 1),
            Grain::Quarter | Grain::RollingQuarter => {
                let fy = if from.month() >= 4 {
                    from.year()
                } else {
                    from.year() - 1
                };
                let p = Period::Quarter { fy, q: 1 }.offset(-1);
                if grain == Grain::RollingQuarter {
                    if let Period::Quarter { fy, q } = p {
                        Period::RollingQuarter { fy, q }
                    } else {
                        p
                    }
                } else {
                    p
                }
            }
        };
        let mut out = Vec::new();
        let mut p = first;
        while p.start() <= to {
            if p.start() >= from && p.end() <= to {
                out.push(p);
            }
            p = p.offset(1);
        }
        out
    }
}

fn quarter_start(fy: i32, q: u8) -> NaiveDate {
    match q {
        1 => date(fy, 4, 1),
        2 => date(fy, 7, 1),
        3 => date(fy, 10, 1),
        _ => date(fy + 1, 1, 1),
    }
}

fn step_quarter(fy: i32, q: u8, n: i32) -> (i32, u8) {
    let idx = fy * 4 + (q as i32 - 1) + n;
    (idx.div_euclid(4), (idx.rem_euclid(4) + 1) as u8)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::FinancialYear(fy) => write!(f, "{}-{:02}", fy, (fy + 1).rem_euclid(100)),
            Period::Quarter { fy, q } | Period::RollingQuarter { fy, q } => {
                write!(f, "{}-{:02} Q{}", fy, (fy + 1).rem_euclid(100), q)
            }
            Period::CalendarYear(y) => write!(f, "{y}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodParseError;

    /// Parses `2009-10`, `2009-10 Q2` (a single quarter) or `2008`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodParseError {
            text: s.to_string(),
        };
        let t = s.trim();
        if let Some((fy, q)) = t.split_once(' ') {
            let fy = parse_fy(fy).ok_or_else(err)?;
            let q = match q.trim() {
                "Q1" => 1,
                "Q2" => 2,
                "Q3" => 3,
                "Q4" => 4,
                _ => return Err(err()),
            };
            return Ok(Period::Quarter { fy, q });
        }
        if let Some(fy) = parse_fy(t) {
            return Ok(Period::FinancialYear(fy));
        }
        if t.len() == 4 && t.bytes().all(|c| c.is_ascii_digit()) {
            let y: i32 = t.parse().map_err(|_| err())?;
            return Ok(Period::CalendarYear(y));
        }
        Err(err())
    }
}

/// Days since 1970-01-01, as Arrow's `Date32` stores dates.
pub fn to_date32(d: NaiveDate) -> i32 {
    (d - date(1970, 1, 1)).num_days() as i32
}

/// The date of an Arrow `Date32` value.
pub fn from_date32(days: i32) -> NaiveDate {
    let epoch = date(1970, 1, 1);
    if days >= 0 {
        epoch.checked_add_days(Days::new(days as u64))
    } else {
        epoch.checked_sub_days(Days::new(days.unsigned_abs() as u64))
    }
    .unwrap_or(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_year_bounds() {
        let p: Period = "2009-10".parse().unwrap();
        assert_eq!(p.start(), date(2009, 4, 1));
        assert_eq!(p.end(), date(2010, 3, 31));
        assert_eq!(p.to_string(), "2009-10");
        assert_eq!(p.quarter_starts().len(), 4);
    }

    #[test]
    fn quarter_bounds() {
        let q4: Period = "2007-08 Q4".parse().unwrap();
        assert_eq!(q4.start(), date(2008, 1, 1));
        assert_eq!(q4.end(), date(2008, 3, 31));
        let q2: Period = "2009-10 Q2".parse().unwrap();
        assert_eq!(q2.start(), date(2009, 7, 1));
        assert_eq!(q2.end(), date(2009, 9, 30));
    }

    #[test]
    fn rolling_quarter_covers_four_quarters() {
        let p = Period::parse_for("2009-10 Q2", Grain::RollingQuarter).unwrap();
        assert_eq!(p.start(), date(2008, 10, 1));
        assert_eq!(p.end(), date(2009, 9, 30));
        assert_eq!(
            p.quarter_starts(),
            vec![
                date(2008, 10, 1),
                date(2009, 1, 1),
                date(2009, 4, 1),
                date(2009, 7, 1)
            ]
        );
    }

    #[test]
    fn rejects_bad_labels() {
        for bad in [
            "2009-11",
            "2009/10",
            "2009-10 Q5",
            "09-10",
            "",
            "2009-10Q1",
            "1999-2000",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should not parse");
        }
        assert_eq!(
            "1999-00".parse::<Period>().unwrap(),
            Period::FinancialYear(1999)
        );
    }

    #[test]
    fn all_within_is_bounded_by_the_plausible_range() {
        let q = Period::all_within(Grain::Quarter, NaiveDate::MIN, NaiveDate::MAX);
        // Jan-Mar 1980 .. Oct-Dec 2099: 1 + 119 * 4 + 3 quarters
        assert_eq!(q.len(), 480);
        assert_eq!(q[0].start(), date(1980, 1, 1));
        assert_eq!(q[479].end(), date(2099, 12, 31));
        assert!(Period::all_within(Grain::Quarter, date(2010, 1, 1), date(2009, 1, 1)).is_empty());
    }

    #[test]
    fn all_within_lists_whole_periods_only() {
        let from = date(2005, 4, 1);
        let to = date(2007, 3, 31);
        let q = Period::all_within(Grain::Quarter, from, to);
        assert_eq!(q.len(), 8);
        assert_eq!(q[0].to_string(), "2005-06 Q1");
        let r = Period::all_within(Grain::RollingQuarter, from, to);
        assert_eq!(r.len(), 5); // 2005-06 Q4 .. 2006-07 Q4
        assert_eq!(r[0].to_string(), "2005-06 Q4");
        let fy = Period::all_within(Grain::FinancialYear, from, to);
        assert_eq!(fy.len(), 2);
        let cy = Period::all_within(Grain::CalendarYear, from, to);
        assert_eq!(cy, vec![Period::CalendarYear(2006)]);
    }

    #[test]
    fn date32_round_trip() {
        assert_eq!(to_date32(date(1970, 1, 2)), 1);
        assert_eq!(
            from_date32(to_date32(date(2009, 10, 31))),
            date(2009, 10, 31)
        );
    }
}

/// The periods of one indicator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodSet {
    /// Periods with complete data and follow-up, computed.
    pub computed: Vec<Period>,
    /// Periods that have ended but whose follow-up is incomplete.
    pub not_yet_available: Vec<Period>,
}
