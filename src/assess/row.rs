//! The published result row (one per indicator x area x period).

use crate::execute::AreaLevel;
use crate::period::Period;
use crate::stats::{Interval, Intervals};
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
];

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
    /// Period label.
    pub period: String,
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
    /// `wilson`, `byar`, `exact` or empty.
    pub ci_method: Option<String>,
    /// Baseline period label.
    pub baseline_period: Option<String>,
    /// Baseline value of the same area.
    pub baseline_value: Option<f64>,
    /// Change on baseline (difference or percent, per definition).
    pub change: Option<f64>,
    /// Whether the change (or the excess over expected) is significant at 95%.
    pub significant: Option<bool>,
    /// Target value in force for this row.
    pub target: Option<f64>,
    /// Status: target status, baseline status, `baseline`, `no data` or `not yet available`.
    pub status: String,
    /// Comparison with the region.
    pub vs_region: Option<String>,
    /// Comparison with England and Wales.
    pub vs_national: Option<String>,
    /// Recent trend.
    pub trend: Option<String>,
    /// Withheld by disclosure control.
    pub suppressed: bool,
    /// Region code of the area (not published as a column).
    pub region_code: String,
    /// The parsed period (not published).
    pub period_parsed: Option<Period>,
    /// Unweighted numerator count (not published).
    pub numerator_n: i64,
    /// Unweighted denominator count (not published).
    pub denominator_n: Option<i64>,
    /// Kish effective sample size behind a survey-weighted percentage,
    /// the `n` of its Wilson interval (not published; None when unweighted).
    pub sample_size: Option<f64>,
    /// Display decimals of the indicator.
    pub decimals: u8,
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
            period: period.to_string(),
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
            status: String::new(),
            vs_region: None,
            vs_national: None,
            trend: None,
            suppressed: false,
            region_code: region.to_string(),
            period_parsed: Some(period),
            numerator_n: 0,
            denominator_n: None,
            sample_size: None,
            decimals: ind.def.decimals,
        }
    }

    /// Record both intervals and the method.
    pub fn set_intervals(&mut self, i: &Intervals) {
        self.ci_lower = Some(i.ci95.lower);
        self.ci_upper = Some(i.ci95.upper);
        self.ci998_lower = Some(i.ci998.lower);
        self.ci998_upper = Some(i.ci998.upper);
        self.ci_method = Some(i.method.as_str().to_string());
    }

    /// The intervals, when both are set.
    pub fn intervals(&self) -> Option<Intervals> {
        let method = match self.ci_method.as_deref()? {
            "wilson" => crate::stats::CiMethod::Wilson,
            "byar" => crate::stats::CiMethod::Byar,
            _ => crate::stats::CiMethod::Exact,
        };
        Some(Intervals {
            method,
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
        self.status = String::new();
        self.vs_region = None;
        self.vs_national = None;
        self.trend = None;
    }

    /// Deterministic order: indicator, period (by end then grain), level, area code.
    pub fn sort_key(&self) -> (String, i64, u8, AreaLevel, String) {
        let (end, grain) = self
            .period_parsed
            .map(|p| (p.end_quarter_index(), p.grain() as u8))
            .unwrap_or((0, 0));
        (
            self.indicator.clone(),
            end,
            grain,
            self.area_level,
            self.area_code.clone(),
        )
    }
}
