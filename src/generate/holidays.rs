//! The England and Wales bank holidays of 2004 to 2012, the working-day
//! calendar of the data contract's `bank_holidays` table.
//!
//! The dates are the official list (the Banking and Financial Dealings Act
//! 1971 days as proclaimed for each year), hard-coded rather than derived:
//! the real calendar has one-off days (the Royal Wedding on 29 April 2011,
//! the Diamond Jubilee on 5 June 2012 with the spring holiday moved to
//! 4 June) that no rule produces. The tests check every ordinary date
//! against the rules (Easter by the computus, first and last Mondays,
//! substitute days) so a typo cannot hide.

use super::calendar::{Day, day};
use super::options::ymd;

/// Every bank holiday in England and Wales, 2004 to 2012, in date order,
/// as (year, month, day).
pub(crate) const BANK_HOLIDAYS: [(i32, u32, u32); 74] = [
    (2004, 1, 1),
    (2004, 4, 9),
    (2004, 4, 12),
    (2004, 5, 3),
    (2004, 5, 31),
    (2004, 8, 30),
    (2004, 12, 27),
    (2004, 12, 28),
    (2005, 1, 3),
    (2005, 3, 25),
    (2005, 3, 28),
    (2005, 5, 2),
    (2005, 5, 30),
    (2005, 8, 29),
    (2005, 12, 26),
    (2005, 12, 27),
    (2006, 1, 2),
    (2006, 4, 14),
    (2006, 4, 17),
    (2006, 5, 1),
    (2006, 5, 29),
    (2006, 8, 28),
    (2006, 12, 25),
    (2006, 12, 26),
    (2007, 1, 1),
    (2007, 4, 6),
    (2007, 4, 9),
    (2007, 5, 7),
    (2007, 5, 28),
    (2007, 8, 27),
    (2007, 12, 25),
    (2007, 12, 26),
    (2008, 1, 1),
    (2008, 3, 21),
    (2008, 3, 24),
    (2008, 5, 5),
    (2008, 5, 26),
    (2008, 8, 25),
    (2008, 12, 25),
    (2008, 12, 26),
    (2009, 1, 1),
    (2009, 4, 10),
    (2009, 4, 13),
    (2009, 5, 4),
    (2009, 5, 25),
    (2009, 8, 31),
    (2009, 12, 25),
    (2009, 12, 28),
    (2010, 1, 1),
    (2010, 4, 2),
    (2010, 4, 5),
    (2010, 5, 3),
    (2010, 5, 31),
    (2010, 8, 30),
    (2010, 12, 27),
    (2010, 12, 28),
    (2011, 1, 3),
    (2011, 4, 22),
    (2011, 4, 25),
    (2011, 4, 29),
    (2011, 5, 2),
    (2011, 5, 30),
    (2011, 8, 29),
    (2011, 12, 26),
    (2011, 12, 27),
    (2012, 1, 2),
    (2012, 4, 6),
    (2012, 4, 9),
    (2012, 5, 7),
    (2012, 6, 4),
    (2012, 6, 5),
    (2012, 8, 27),
    (2012, 12, 25),
    (2012, 12, 26),
];

/// The bank holidays as day numbers, sorted.
pub(crate) fn holiday_days() -> Vec<Day> {
    BANK_HOLIDAYS
        .iter()
        .map(|&(y, m, d)| day(ymd(y, m, d)))
        .collect()
}

/// Day of the week of a day number, Monday = 0 (1970-01-01 was a Thursday).
pub(crate) fn weekday(d: Day) -> i32 {
    (d + 3).rem_euclid(7)
}

/// The working-day calendar: Monday to Friday except bank holidays.
#[derive(Debug, Clone)]
pub(crate) struct WorkingDays {
    holidays: Vec<Day>,
}

impl WorkingDays {
    /// The England and Wales calendar.
    pub(crate) fn new() -> Self {
        WorkingDays {
            holidays: holiday_days(),
        }
    }

    /// Whether `d` is a working day.
    pub(crate) fn is_working(&self, d: Day) -> bool {
        weekday(d) < 5 && self.holidays.binary_search(&d).is_err()
    }

    /// The day `n` working days after `d` (`d` itself for `n = 0`).
    pub(crate) fn add(&self, d: Day, n: u32) -> Day {
        let mut at = d;
        let mut left = n;
        while left > 0 {
            at += 1;
            if self.is_working(at) {
                left -= 1;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, Weekday};

    /// Easter Sunday by the anonymous Gregorian computus.
    fn easter(y: i32) -> NaiveDate {
        let a = y % 19;
        let b = y / 100;
        let c = y % 100;
        let d = b / 4;
        let e = b % 4;
        let f = (b + 8) / 25;
        let g = (b - f + 1) / 3;
        let h = (19 * a + b - d - g + 15) % 30;
        let i = c / 4;
        let k = c % 4;
        let l = (32 + 2 * e + 2 * i - h - k) % 7;
        let m = (a + 11 * h + 22 * l) / 451;
        let month = (h + l - 7 * m + 114) / 31;
        let day = (h + l - 7 * m + 114) % 31 + 1;
        NaiveDate::from_ymd_opt(y, month as u32, day as u32).unwrap()
    }

    fn first_monday(y: i32, m: u32) -> NaiveDate {
        let mut d = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        while d.weekday() != Weekday::Mon {
            d = d.succ_opt().unwrap();
        }
        d
    }

    fn last_monday(y: i32, m: u32) -> NaiveDate {
        let mut d = NaiveDate::from_ymd_opt(y, m + 1, 1)
            .unwrap()
            .pred_opt()
            .unwrap();
        while d.weekday() != Weekday::Mon {
            d = d.pred_opt().unwrap();
        }
        d
    }

    /// The holidays the standing rules give for a year, before one-off changes.
    fn by_rule(y: i32) -> Vec<NaiveDate> {
        let date = |m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let mut out = Vec::new();
        let new_year = date(1, 1);
        out.push(match new_year.weekday() {
            Weekday::Sat => date(1, 3),
            Weekday::Sun => date(1, 2),
            _ => new_year,
        });
        let e = easter(y);
        out.push(e - chrono::Days::new(2));
        out.push(e + chrono::Days::new(1));
        out.push(first_monday(y, 5));
        out.push(last_monday(y, 5));
        out.push(last_monday(y, 8));
        // Christmas and Boxing Day, each moved to the next free weekday.
        match date(12, 25).weekday() {
            Weekday::Fri => out.extend([date(12, 25), date(12, 28)]),
            Weekday::Sat => out.extend([date(12, 27), date(12, 28)]),
            Weekday::Sun => out.extend([date(12, 26), date(12, 27)]),
            _ => out.extend([date(12, 25), date(12, 26)]),
        }
        out
    }

    #[test]
    fn the_list_follows_the_rules_and_the_one_off_changes() {
        let listed: Vec<NaiveDate> = BANK_HOLIDAYS
            .iter()
            .map(|&(y, m, d)| ymd(y, m, d))
            .collect();
        let mut expected: Vec<NaiveDate> = (2004..=2012).flat_map(by_rule).collect();
        // 2011: the Royal Wedding.
        expected.push(ymd(2011, 4, 29));
        // 2012: spring holiday moved from 28 May to 4 June, plus the Diamond Jubilee.
        expected.retain(|d| *d != ymd(2012, 5, 28));
        expected.extend([ymd(2012, 6, 4), ymd(2012, 6, 5)]);
        expected.sort();
        assert_eq!(listed, expected);
        assert!(listed.windows(2).all(|w| w[0] < w[1]));
        assert!(
            listed
                .iter()
                .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        );
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = WorkingDays::new();
        let d = |y, m, dd| day(ymd(y, m, dd));
        assert_eq!(weekday(d(2009, 11, 30)), 0);
        // Saturday 23 May 2009: Monday 25 May is a bank holiday, so the
        // first working day is Tuesday 26 May.
        assert_eq!(cal.add(d(2009, 5, 23), 1), d(2009, 5, 26));
        // Friday before Easter 2008 is Good Friday itself; Thursday 20 March
        // plus one working day is Tuesday 25 March.
        assert_eq!(cal.add(d(2008, 3, 20), 1), d(2008, 3, 25));
        assert_eq!(cal.add(d(2008, 3, 20), 0), d(2008, 3, 20));
        assert!(!cal.is_working(d(2011, 4, 29)));
        assert!(cal.is_working(d(2011, 4, 28)));
    }
}
