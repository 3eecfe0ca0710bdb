//! Disclosure control for published LA rows: primary suppression of small
//! counts and secondary suppression so that no suppressed figure can be
//! recovered from its region's total.

use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Counts from 1 to `DEFAULT_THRESHOLD - 1` are suppressed by default.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// One LA row of one indicator and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuppressionRow<'a> {
    /// The region the LA rolls up to.
    pub region: &'a str,
    /// The LA's area code (breaks ties).
    pub area_code: &'a str,
    /// Unweighted numerator count, if the indicator has one.
    pub numerator: Option<u64>,
    /// Unweighted denominator count, if the indicator has one.
    pub denominator: Option<u64>,
}

/// Which count of a row triggered primary suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Numerator,
    Denominator,
}

fn is_small(count: Option<u64>, threshold: u64) -> bool {
    count.is_some_and(|c| c >= 1 && c < threshold)
}

fn trigger(row: &SuppressionRow<'_>, threshold: u64) -> Option<Trigger> {
    if is_small(row.numerator, threshold) {
        Some(Trigger::Numerator)
    } else if is_small(row.denominator, threshold) {
        Some(Trigger::Denominator)
    } else {
        None
    }
}

/// Which rows to suppress, in input order.
///
/// Primary: a row whose numerator or denominator lies in
/// `1..threshold` (1 to 4 by default; 0 is published). Secondary: in each
/// region with exactly one primary-suppressed row, the unsuppressed row
/// with the smallest count of the kind that triggered (numerator before
/// denominator when both did), then the smallest denominator, then the
/// lowest area code, is suppressed too. A region with a single LA cannot be
/// protected this way and is left as it is; with two or more suppressed
/// rows no single figure can be recovered by subtraction.
pub fn suppress(rows: &[SuppressionRow<'_>], threshold: u64) -> Vec<bool> {
    let mut suppressed: Vec<bool> = rows
        .iter()
        .map(|row| trigger(row, threshold).is_some())
        .collect();
    let mut regions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, row) in rows.iter().enumerate() {
        regions.entry(row.region).or_default().push(index);
    }
    for members in regions.values() {
        if let Some(index) = secondary(rows, members, &suppressed, threshold) {
            suppressed[index] = true;
        }
    }
    suppressed
}

/// The row to suppress in one region, if exactly one is suppressed there.
fn secondary(
    rows: &[SuppressionRow<'_>],
    members: &[usize],
    suppressed: &[bool],
    threshold: u64,
) -> Option<usize> {
    let mut primary = members.iter().copied().filter(|&i| suppressed[i]);
    let only = primary.next()?;
    if primary.next().is_some() {
        return None;
    }
    let kind = trigger(&rows[only], threshold)?;
    let key = |i: usize| {
        let row = &rows[i];
        let count = match kind {
            Trigger::Numerator => row.numerator,
            Trigger::Denominator => row.denominator,
        };
        (
            Reverse(count.is_some()),
            count,
            Reverse(row.denominator.is_some()),
            row.denominator,
            row.area_code,
        )
    };
    members
        .iter()
        .copied()
        .filter(|&i| !suppressed[i])
        .min_by_key(|&i| key(i))
}
