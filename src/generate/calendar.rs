//! Days as Arrow `Date32` values (days since 1970-01-01) and the periods the
//! generator lays data out on: the extract's financial years, quarter-end
//! snapshot dates, PPO cohort dates and TellUs survey years.

use chrono::{Datelike, NaiveDate};

use super::options::{FinancialYear, ymd};

/// A day as Arrow stores `Date32`.
pub(crate) type Day = i32;

/// Days in a year, for rates per year.
pub(crate) const YEAR: f64 = 365.25;

/// The day number of a date.
pub(crate) fn day(date: NaiveDate) -> Day {
    (date - NaiveDate::default()).num_days() as Day
}

/// The date of a day number.
pub(crate) fn date(day: Day) -> NaiveDate {
    NaiveDate::default() + chrono::Days::new(day.max(0) as u64)
}

/// The financial year a day falls in.
pub(crate) fn financial_year_of(d: Day) -> FinancialYear {
    let dt = date(d);
    FinancialYear(if dt.month() >= 4 {
        dt.year()
    } else {
        dt.year() - 1
    })
}

/// Years since 1 April 2005, the anchor of every trend, so a given date gets
/// the same trend whatever range is generated.
pub(crate) fn trend_years(d: Day) -> f64 {
    f64::from(d - day(ymd(2005, 4, 1))) / YEAR
}

/// The calendar span of one extract: `from` to `to`, extract date = the last
/// day of `to`.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    /// First financial year.
    pub from: FinancialYear,
    /// Last financial year.
    pub to: FinancialYear,
    /// 1 April of `from`.
    pub first: Day,
    /// 31 March after `to`: the extract date.
    pub extract: Day,
}

impl Span {
    /// The span of `from..=to`.
    pub(crate) fn new(from: FinancialYear, to: FinancialYear) -> Self {
        Span {
            from,
            to,
            first: day(from.first_day()),
            extract: day(to.last_day()),
        }
    }

    /// Number of financial years.
    pub(crate) fn years(&self) -> usize {
        (self.to.0 - self.from.0 + 1).max(0) as usize
    }

    /// Every financial year of the span.
    pub(crate) fn financial_years(&self) -> impl Iterator<Item = FinancialYear> + use<> {
        (self.from.0..=self.to.0).map(FinancialYear)
    }

    /// The caseload snapshot dates: the last day of every quarter.
    pub(crate) fn snapshot_days(&self) -> Vec<Day> {
        self.financial_years()
            .flat_map(|fy| {
                let y = fy.start_year();
                [
                    ymd(y, 6, 30),
                    ymd(y, 9, 30),
                    ymd(y, 12, 31),
                    ymd(y + 1, 3, 31),
                ]
            })
            .map(day)
            .collect()
    }

    /// PPO cohort dates: 1 April of the second and later years (of the only
    /// year when the span has one).
    pub(crate) fn ppo_cohort_days(&self) -> Vec<Day> {
        let years: Vec<Day> = self
            .financial_years()
            .skip(1)
            .map(|fy| day(fy.first_day()))
            .collect();
        if years.is_empty() {
            vec![self.first]
        } else {
            years
        }
    }

    /// TellUs survey years (the survey ran 2007 to 2010) that overlap the span.
    pub(crate) fn survey_years(&self) -> Vec<i32> {
        let first = date(self.first).year();
        let last = date(self.extract).year();
        (2007..=2010)
            .filter(|y| (first..=last).contains(y))
            .collect()
    }

    /// Index of the financial year holding `d`, if inside the span.
    pub(crate) fn year_index(&self, d: Day) -> Option<usize> {
        if d < self.first || d > self.extract {
            return None;
        }
        usize::try_from(financial_year_of(d).0 - self.from.0).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_periods() {
        let span = Span::new(FinancialYear(2005), FinancialYear(2011));
        assert_eq!(span.years(), 7);
        assert_eq!(date(span.extract), ymd(2012, 3, 31));
        let snaps = span.snapshot_days();
        assert_eq!(snaps.len(), 28);
        assert_eq!(date(snaps[0]), ymd(2005, 6, 30));
        assert_eq!(date(snaps[27]), ymd(2012, 3, 31));
        assert_eq!(span.ppo_cohort_days().len(), 6);
        assert_eq!(date(span.ppo_cohort_days()[0]), ymd(2006, 4, 1));
        assert_eq!(span.survey_years(), vec![2007, 2008, 2009, 2010]);
        assert_eq!(span.year_index(day(ymd(2006, 3, 31))), Some(0));
        assert_eq!(span.year_index(day(ymd(2006, 4, 1))), Some(1));
        assert_eq!(span.year_index(day(ymd(2012, 4, 1))), None);
        let one = Span::new(FinancialYear(2011), FinancialYear(2011));
        assert_eq!(one.ppo_cohort_days(), vec![one.first]);
        assert!(one.survey_years().is_empty());
        assert_eq!(day(date(12345)), 12345);
    }
}
