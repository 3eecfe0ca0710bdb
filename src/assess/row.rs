//! The published result row (one per indicator x area x period).

use crate::geography::AreaLevel;
use crate::period::Period;
use crate::stats::{
    BaselineStatus, CiMethod, Comparison, Interval, Intervals, TargetStatus, Trend, Variation,
};
use crate::validate::ValidIndicator;

/// The columns of the results table, in order (the spec's "Result row").
pub const RESULT_COLUMNS: &[&str] = &[
    "indicator",
    "area_level",
    "area_code",
    "area_name",
    "period",
    "numerator",
    "denominator",
    "expected",
    "value",
    "ci_lower",
    "ci_upper",
    "ci998_lower",
    "ci998_upper",
    "ci_method",
    "baseline_period",
    "baseline_value",
    "change",
    "significant",
    "target",
    "status",
    "vs_region",
    "vs_national",
    "trend",
    "suppressed",
    "vs_peers",
    "peer_rank",
    "p_value",
    "q_value",
    "spc",
];

/// The status of a result row: how its value stands against a target or
/// the baseline, or why it has none. [`Status::as_str`] is the published word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Against a target (LAA targets for LA rows, the definition's target
    /// for national rows); `not yet available` for a period not yet computed.
    Target(TargetStatus),
    /// Against the baseline, for rows without a target.
    Baseline(BaselineStatus),
    /// The row is the baseline period itself.
    IsBaseline,
    /// Against a year-on-year target (a fall or a rise every year): whether
    /// this year beat the year before.
    YearOnYear {
        /// This year beat the previous one.
        met: bool,
    },
    /// No value could be computed (e.g. a zero denominator).
    NoData,
}

impl Status {
    /// The `status` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Target(t) => t.as_str(),
            Status::Baseline(b) => b.as_str(),
            Status::IsBaseline => "baseline",
            Status::YearOnYear { met: true } => "met",
            Status::YearOnYear { met: false } => "not met",
            Status::NoData => "no data",
        }
    }

    /// Significantly worse than baseline (as a target or a baseline status).
    pub fn is_worse(self) -> bool {
        matches!(
            self,
            Status::Target(TargetStatus::Worse) | Status::Baseline(BaselineStatus::Worse)
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One result row. Optional fields are empty in the published table.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// Indicator id.
    pub indicator: String,
    /// national, region or la.
    pub area_level: AreaLevel,
    /// Area code.
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// The period.
    pub period: Period,
    /// Numerator (weighted where the indicator is weighted).
    pub numerator: Option<f64>,
    /// Denominator.
    pub denominator: Option<f64>,
    /// Model-predicted count.
    pub expected: Option<f64>,
    /// The indicator value.
    pub value: Option<f64>,
    /// 95% interval, lower.
    pub ci_lower: Option<f64>,
    /// 95% interval, upper.
    pub ci_upper: Option<f64>,
    /// 99.8% interval, lower.
    pub ci998_lower: Option<f64>,
    /// 99.8% interval, upper.
    pub ci998_upper: Option<f64>,
    /// How the intervals were computed.
    pub ci_method: Option<CiMethod>,
    /// The baseline period.
    pub baseline_period: Option<Period>,
    /// Baseline value of the same area.
    pub baseline_value: Option<f64>,
    /// Change on baseline (difference or percent, per definition).
    pub change: Option<f64>,
    /// Whether the change (or the excess over expected) is significant at 95%.
    pub significant: Option<bool>,
    /// Target value in force for this row.
    pub target: Option<f64>,
    /// Status: against a target, against the baseline, or why there is none.
    pub status: Option<Status>,
    /// Comparison with the region.
    pub vs_region: Option<Comparison>,
    /// Comparison with England and Wales.
    pub vs_national: Option<Comparison>,
    /// Recent trend.
    pub trend: Option<Trend>,
    /// Withheld by disclosure control.
    pub suppressed: bool,
    /// Comparison with the area's most similar group (LA rows; see
    /// `assess::compare_with_peers`).
    pub vs_peers: Option<Comparison>,
    /// The group's pooled value `vs_peers` compares with (not published
    /// as a column; the packs draw it).
    pub peer_value: Option<f64>,
    /// Rank of the area's value in its group, the area included, best
    /// first: (rank, of), published as `3 of 16`.
    pub peer_rank: Option<(usize, usize)>,
    /// Benjamini-Hochberg q-value of `p_change` (published as `p_value`)
    /// across the rows of the same indicator, level and period.
    pub q_value: Option<f64>,
    /// SPC variation at this period of the area's series (same grain, from
    /// the baseline on, published values only).
    pub spc: Option<Variation>,
    /// Region code of the area (not published as a column).
    pub region_code: String,
    /// Unweighted numerator count (not published).
    pub numerator_n: i64,
    /// Unweighted denominator count (not published).
    pub denominator_n: Option<i64>,
    /// Kish effective sample size behind a survey-weighted percentage,
    /// the `n` of its Wilson interval (not published; None when unweighted).
    pub sample_size: Option<f64>,
    /// Display decimals of the indicator.
    pub decimals: u8,
    /// Two-sided p-value of the comparison with the region (`vs_region`),
    /// by inverting the indicator's interval: below 0.05 exactly when the
    /// region lies outside the 95% interval.
    pub p_vs_region: Option<f64>,
    /// The same for the comparison with England and Wales (`vs_national`).
    pub p_vs_national: Option<f64>,
    /// Two-sided p-value of the recent trend test (`trend`).
    pub p_trend: Option<f64>,
    /// Two-sided p-value of the test behind `significant` (against
    /// baseline, expected or the earlier count): the `p_value` column.
    pub p_change: Option<f64>,
}

impl ResultRow {
    /// A row with identity fields only.
    pub fn empty(
        ind: &ValidIndicator,
        level: AreaLevel,
        code: &str,
        name: &str,
        region: &str,
        period: Period,
    ) -> ResultRow {
        ResultRow {
            indicator: ind.def.id.clone(),
            area_level: level,
            area_code: code.to_string(),
            area_name: name.to_string(),
            period,
            numerator: None,
            denominator: None,
            expected: None,
            value: None,
            ci_lower: None,
            ci_upper: None,
            ci998_lower: None,
            ci998_upper: None,
            ci_method: None,
            baseline_period: None,
            baseline_value: None,
            change: None,
            significant: None,
            target: None,
            status: None,
            vs_region: None,
            vs_national: None,
            trend: None,
            suppressed: false,
            vs_peers: None,
            peer_value: None,
            peer_rank: None,
            q_value: None,
            spc: None,
            region_code: region.to_string(),
            numerator_n: 0,
            denominator_n: None,
            sample_size: None,
            decimals: ind.def.decimals,
            p_vs_region: None,
            p_vs_national: None,
            p_trend: None,
            p_change: None,
        }
    }

    /// Record both intervals and the method.
    pub fn set_intervals(&mut self, i: &Intervals) {
        self.ci_lower = Some(i.ci95.lower);
        self.ci_upper = Some(i.ci95.upper);
        self.ci998_lower = Some(i.ci998.lower);
        self.ci998_upper = Some(i.ci998.upper);
        self.ci_method = Some(i.method);
    }

    /// The intervals, when both are set.
    pub fn intervals(&self) -> Option<Intervals> {
        Some(Intervals {
            method: self.ci_method?,
            ci95: Interval {
                lower: self.ci_lower?,
                upper: self.ci_upper?,
            },
            ci998: Interval {
                lower: self.ci998_lower?,
                upper: self.ci998_upper?,
            },
        })
    }

    /// Withhold every figure (disclosure control).
    pub fn withhold(&mut self) {
        self.suppressed = true;
        self.numerator = None;
        self.denominator = None;
        self.expected = None;
        self.sample_size = None;
        self.value = None;
        self.ci_lower = None;
        self.ci_upper = None;
        self.ci998_lower = None;
        self.ci998_upper = None;
        self.ci_method = None;
        self.baseline_value = None;
        self.change = None;
        self.significant = None;
        self.status = None;
        self.vs_region = None;
        self.vs_national = None;
        self.trend = None;
        self.vs_peers = None;
        self.peer_value = None;
        self.peer_rank = None;
        self.q_value = None;
        self.spc = None;
        self.p_vs_region = None;
        self.p_vs_national = None;
        self.p_trend = None;
        self.p_change = None;
    }

    /// Deterministic order: indicator, period (by end then grain), level, area code.
    pub fn sort_key(&self) -> (&str, i64, u8, AreaLevel, &str) {
        let (end, grain) = (self.period.end_quarter_index(), self.period.grain() as u8);
        (
            self.indicator.as_str(),
            end,
            grain,
            self.area_level,
            self.area_code.as_str(),
        )
    }
}
