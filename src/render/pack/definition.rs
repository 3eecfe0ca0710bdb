//! Pack definitions: `reports/<kind>.yaml` says which indicators a pack
//! holds, in which order, which sections it has and which charts each
//! indicator page shows, so a region can change its pack without Rust.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;
use crate::validate::ValidCatalog;

/// One pack definition file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackDef {
    /// Title on the cover, e.g. `Director of Offender Management quarterly pack`.
    pub title: String,
    /// Sections in reading order.
    pub sections: Vec<SectionKind>,
    /// Indicator pages in order.
    pub indicators: Vec<PackIndicator>,
}

/// A section of a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Area, period, data as at, engine version.
    Cover,
    /// PSA progress (PSA23, PSA25, PSA14).
    PsaScorecard,
    /// The LAA targets of the area (LAA packs).
    LaaTargets,
    /// What needs action, each with the reason.
    Exceptions,
    /// Every LA against every indicator, by comparison with the region.
    Overview,
    /// One page per indicator.
    Indicators,
    /// Revisions against an earlier edition (`--previous`).
    Revisions,
    /// Rows read, notes, periods not yet available.
    DataQuality,
    /// Definitions from the indicator YAML.
    Appendix,
}

impl SectionKind {
    /// The heading of the section.
    pub fn heading(self) -> &'static str {
        match self {
            SectionKind::Cover => "Cover",
            SectionKind::PsaScorecard => "PSA scorecard",
            SectionKind::LaaTargets => "LAA targets",
            SectionKind::Exceptions => "Exceptions: what needs action",
            SectionKind::Overview => "Overview: local authorities against the region",
            SectionKind::Indicators => "Indicators",
            SectionKind::Revisions => "Revisions since the previous edition",
            SectionKind::DataQuality => "Data quality",
            SectionKind::Appendix => "Appendix: definitions",
        }
    }

    /// The HTML id of the section.
    pub fn anchor(self) -> &'static str {
        match self {
            SectionKind::Cover => "cover",
            SectionKind::PsaScorecard => "psa-scorecard",
            SectionKind::LaaTargets => "laa-targets",
            SectionKind::Exceptions => "exceptions",
            SectionKind::Overview => "overview",
            SectionKind::Indicators => "indicators",
            SectionKind::Revisions => "revisions",
            SectionKind::DataQuality => "data-quality",
            SectionKind::Appendix => "appendix",
        }
    }
}

/// One indicator page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackIndicator {
    /// Indicator id, e.g. `NI38`.
    pub id: String,
    /// Charts on the page, in order.
    #[serde(default = "default_charts")]
    pub charts: Vec<ChartKind>,
}

fn default_charts() -> Vec<ChartKind> {
    vec![ChartKind::Trend, ChartKind::LaComparison, ChartKind::Funnel]
}

/// A chart kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Value over every period since baseline, CI band, baseline, target trajectory.
    Trend,
    /// Every LA's value and 95% CI, coloured by comparison with the region.
    LaComparison,
    /// LA values against their denominators, 95% and 99.8% limits around the region.
    Funnel,
}

impl ChartKind {
    /// File-name part of the chart.
    pub fn slug(self) -> &'static str {
        match self {
            ChartKind::Trend => "trend",
            ChartKind::LaComparison => "la-comparison",
            ChartKind::Funnel => "funnel",
        }
    }
}

/// The file beside the pack definitions naming each extract table's key.
pub const EXTRACT_KEYS_FILE: &str = "extract-keys.yaml";

/// The natural key of each extract table (`reports/extract-keys.yaml`):
/// table name -> its key columns, as named in the extract. The data-quality
/// section counts the rows that repeat another row's key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractKeys {
    /// Key columns per table.
    pub keys: BTreeMap<String, Vec<String>>,
    /// The file they came from, when it exists.
    pub file: Option<PathBuf>,
}

/// A pack definition and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedPackDef {
    /// The definition.
    pub def: PackDef,
    /// Its file.
    pub file: PathBuf,
    /// The extract's table keys, from beside the definition.
    pub keys: ExtractKeys,
}

fn yaml_error(file: &Path, e: &serde_yaml::Error) -> Error {
    let at = e
        .location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default();
    Error::Request {
        message: format!("{}{at}: {e}", file.display()),
    }
}

/// Read `reports/extract-keys.yaml`; no file means no keys (duplicates are
/// then not counted), an empty key list is refused.
pub fn load_extract_keys(reports: &Path) -> Result<ExtractKeys, Error> {
    let file = reports.join(EXTRACT_KEYS_FILE);
    if !file.is_file() {
        return Ok(ExtractKeys::default());
    }
    let text = std::fs::read_to_string(&file).map_err(|e| Error::Request {
        message: format!("cannot read {}: {e}", file.display()),
    })?;
    let keys: BTreeMap<String, Vec<String>> =
        serde_yaml::from_str(&text).map_err(|e| yaml_error(&file, &e))?;
    if let Some((t, _)) = keys.iter().find(|(_, cols)| cols.is_empty()) {
        return Err(Error::Request {
            message: format!(
                "{}: table `{t}` has an empty key: list its key columns, e.g. {t}: [id]",
                file.display()
            ),
        });
    }
    Ok(ExtractKeys {
        keys,
        file: Some(file),
    })
}

/// Read `reports/<name>.yaml` (name `dom` or `laa`).
pub fn load_pack_def(reports: &Path, name: &str) -> Result<LoadedPackDef, Error> {
    let file = reports.join(format!("{name}.yaml"));
    let text = std::fs::read_to_string(&file).map_err(|e| Error::Request {
        message: format!(
            "cannot read the pack definition {}: {e} (pass --reports DIR)",
            file.display()
        ),
    })?;
    let def: PackDef = serde_yaml::from_str(&text).map_err(|e| yaml_error(&file, &e))?;
    let keys = load_extract_keys(reports)?;
    Ok(LoadedPackDef { def, file, keys })
}

impl PackDef {
    /// Check every indicator id against the catalog; report every unknown one.
    pub fn check(&self, file: &Path, catalog: &ValidCatalog) -> Result<(), Error> {
        let known: Vec<&str> = catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        let problems: Vec<String> = self
            .indicators
            .iter()
            .filter(|p| catalog.get(&p.id).is_none())
            .map(|p| {
                format!(
                    "{}: unknown indicator `{}`: {}",
                    file.display(),
                    p.id,
                    crate::validate::expr::suggest(&p.id, &known)
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Request {
                message: problems.join("\n"),
            })
        }
    }

    /// The indicator ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.indicators.iter().map(|i| i.id.clone()).collect()
    }

    /// Whether the pack has a section.
    pub fn has(&self, s: SectionKind) -> bool {
        self.sections.contains(&s)
    }
}
