//! Pack definitions: `reports/<kind>.yaml` says which indicators a pack
//! holds, in which order, which sections it has and which charts each
//! indicator page shows, so a region can change its pack without Rust.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::stats::FalseDiscoveryRate;
use crate::suggest::Suggestion;
use crate::validate::ValidCatalog;

/// A pack definition or `extract-keys.yaml` that cannot be used: always
/// the user's to fix.
#[derive(Debug, thiserror::Error)]
pub enum PackDefError {
    /// The pack definition cannot be read (a wrong `--reports`).
    #[error("cannot read the pack definition {}: {error} (pass --reports DIR)", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// `extract-keys.yaml` exists but cannot be read.
    #[error("cannot read {}: {error}", .file.display())]
    ReadKeys {
        /// The file.
        file: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The YAML does not match the format.
    #[error("{}{}: {error}", .file.display(), at(.error))]
    Yaml {
        /// The file.
        file: PathBuf,
        /// serde's message, with its line and column.
        error: serde_yaml::Error,
    },
    /// The YAML pre-check found problems (duplicate keys, control
    /// characters, nesting), each at its line and column.
    #[error("{}", precheck_lines(.file, .problems))]
    Precheck {
        /// The file.
        file: PathBuf,
        /// Each problem.
        problems: Vec<crate::definition::precheck::YamlProblem>,
    },
    /// The same indicator, chart or section listed twice.
    #[error("{}{at}: duplicate {what}: list it once", .file.display())]
    Duplicate {
        /// The file.
        file: PathBuf,
        /// `:line:col` of the second listing, or nothing.
        at: String,
        /// What, e.g. "indicator `NI40`".
        what: String,
    },
    /// `extract-keys.yaml` names a table the extract does not have.
    #[error("{}: table `{table}` is not in the extract {}: remove it or fix its name (the extract's tables: {})", .file.display(), .data.display(), .tables.join(", "))]
    KeyTable {
        /// `extract-keys.yaml`.
        file: PathBuf,
        /// The table named.
        table: String,
        /// The extract.
        data: PathBuf,
        /// The tables the extract does have.
        tables: Vec<String>,
    },
    /// A table of `extract-keys.yaml` with an empty key.
    #[error("{}: table `{table}` has an empty key: list its key columns, e.g. {table}: [id]", .file.display())]
    EmptyKey {
        /// The file.
        file: PathBuf,
        /// The table.
        table: String,
    },
    /// `false_discovery_rate` outside (0, 1).
    #[error(
        "{}{at}: false_discovery_rate must lie strictly between 0 and 1 (0.05 is 5%), got {rate}",
        .file.display()
    )]
    FalseDiscoveryRate {
        /// The pack definition.
        file: PathBuf,
        /// `:line:col` of the key, or nothing.
        at: String,
        /// The rate given.
        rate: f64,
    },
    /// A key column the table does not have.
    #[error(transparent)]
    KeyColumn(Box<KeyColumnError>),
    /// Indicator ids of the pack that the catalog does not have, each
    /// with a suggestion.
    #[error("{}", unknown_lines(.file, .unknown, .no_page))]
    UnknownIndicators {
        /// The pack definition.
        file: PathBuf,
        /// (id, suggestion) per unknown id, in file order.
        unknown: Vec<(String, Suggestion)>,
        /// (list key, id) per id of `outcomes`, `contributing` or
        /// `measures` that `indicators` gives no page.
        no_page: Vec<(&'static str, String)>,
    },
}

/// A key column of `extract-keys.yaml` that its table does not have.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: table `{table}` has no column `{column}`: {suggestion} (its columns: {})",
    .file.display(), .columns.join(", ")
)]
pub struct KeyColumnError {
    /// `extract-keys.yaml`.
    pub file: PathBuf,
    /// The table.
    pub table: String,
    /// The missing column.
    pub column: String,
    /// The closest column, or the columns to choose from.
    pub suggestion: Suggestion,
    /// The table's columns.
    pub columns: Vec<String>,
}

fn at(e: &serde_yaml::Error) -> String {
    e.location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default()
}

fn precheck_lines(file: &Path, problems: &[crate::definition::precheck::YamlProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            let hint = p
                .hint
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            format!(
                "{}:{}:{}: {}{hint}",
                file.display(),
                p.line,
                p.column,
                p.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Read one of our YAML files as the definitions are read: a regular file
/// of sane size, BOM dropped, pre-checked for duplicate keys, control
/// characters and nesting.
fn read_yaml(file: &Path, keys: bool) -> Result<String, PackDefError> {
    use crate::definition::precheck;
    let text =
        precheck::read_regular(file, precheck::MAX_YAML_BYTES).map_err(|error| match keys {
            true => PackDefError::ReadKeys {
                file: file.to_path_buf(),
                error,
            },
            false => PackDefError::Read {
                file: file.to_path_buf(),
                error,
            },
        })?;
    let text = precheck::strip_bom(&text).to_string();
    precheck::precheck(&text).map_err(|problems| PackDefError::Precheck {
        file: file.to_path_buf(),
        problems,
    })?;
    Ok(text)
}

/// `:line:1` of the `n`th (0-based) line of `text` that, trimmed, starts
/// with `prefix` and contains `needle`.
fn nth_line(text: &str, prefix: &str, needle: &str, n: usize) -> String {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with(prefix) && t.contains(needle)
        })
        .nth(n)
        .map(|(i, _)| format!(":{}:1", i + 1))
        .unwrap_or_default()
}

fn unknown_lines(
    file: &Path,
    unknown: &[(String, Suggestion)],
    no_page: &[(&'static str, String)],
) -> String {
    let lines: Vec<String> = unknown
        .iter()
        .map(|(id, s)| format!("{}: unknown indicator `{id}`: {s}", file.display()))
        .chain(no_page.iter().map(|(key, id)| {
            format!(
                "{}: `{id}` in `{key}` has no page: add `- id: {id}` to `indicators`",
                file.display()
            )
        }))
        .collect();
    lines.join("\n")
}

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
    /// The false-discovery rate the exceptions page controls its flags at
    /// (Benjamini-Hochberg), strictly between 0 and 1; 0.05 when absent.
    #[serde(default)]
    pub false_discovery_rate: Option<f64>,
    /// The strategy's Strategic Outcomes, in the strategy's own order: the
    /// rows of the `strategic_outcomes` scorecard and the columns of the
    /// `region_grid`. Each must also be one of `indicators`.
    #[serde(default)]
    pub outcomes: Vec<String>,
    /// Indicators that contribute to the outcomes, shown after them.
    #[serde(default)]
    pub contributing: Vec<String>,
    /// The prison and probation measures shown by region in the
    /// `prison_probation` section.
    #[serde(default)]
    pub measures: Vec<String>,
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
    /// The strategy's outcomes: baseline, latest and CI, target, status, trend.
    StrategicOutcomes,
    /// Every region against every outcome.
    RegionGrid,
    /// Prison and probation measures by region.
    PrisonProbation,
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
            SectionKind::StrategicOutcomes => "Strategic Outcomes",
            SectionKind::RegionGrid => "Regions by outcome",
            SectionKind::PrisonProbation => "Prison and probation measures",
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
            SectionKind::StrategicOutcomes => "strategic-outcomes",
            SectionKind::RegionGrid => "region-grid",
            SectionKind::PrisonProbation => "prison-probation",
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
    /// Compared with most similar areas: each LA against its group's
    /// pooled value (a region's pack), or the area among its group (an
    /// LAA report); needs `peer-groups.yaml`.
    Peers,
}

impl ChartKind {
    /// The name a pack definition gives it.
    pub fn yaml_name(self) -> &'static str {
        match self {
            ChartKind::Trend => "trend",
            ChartKind::LaComparison => "la_comparison",
            ChartKind::Funnel => "funnel",
            ChartKind::Peers => "peers",
        }
    }

    /// File-name part of the chart.
    pub fn slug(self) -> &'static str {
        match self {
            ChartKind::Trend => "trend",
            ChartKind::LaComparison => "la-comparison",
            ChartKind::Funnel => "funnel",
            ChartKind::Peers => "peers",
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

/// Read `reports/extract-keys.yaml`; no file means no keys (duplicates are
/// then not counted), an empty key list is refused.
pub fn load_extract_keys(reports: &Path) -> Result<ExtractKeys, PackDefError> {
    let file = reports.join(EXTRACT_KEYS_FILE);
    // absent means no keys; anything else present (a pipe, a directory)
    // is refused by the read, not taken for absent
    if std::fs::symlink_metadata(&file).is_err() {
        return Ok(ExtractKeys::default());
    }
    let text = read_yaml(&file, true)?;
    let keys: BTreeMap<String, Vec<String>> =
        serde_yaml::from_str(&text).map_err(|error| PackDefError::Yaml {
            file: file.clone(),
            error,
        })?;
    if let Some((t, _)) = keys.iter().find(|(_, cols)| cols.is_empty()) {
        return Err(PackDefError::EmptyKey {
            file,
            table: t.clone(),
        });
    }
    Ok(ExtractKeys {
        keys,
        file: Some(file),
    })
}

/// The indicators of `catalog` that no pack definition in `reports` lists
/// (every `*.yaml` there but `extract-keys.yaml`), with their files, in
/// catalog order. No `reports` directory, or a file that is not a pack
/// definition, lists nothing: `pack` itself reports broken pack files.
pub fn unlisted_indicators(reports: &Path, catalog: &ValidCatalog) -> Vec<(String, PathBuf)> {
    let mut listed = std::collections::BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(reports) {
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let is_pack = file.extension().is_some_and(|x| x == "yaml" || x == "yml")
                && file.file_name().is_some_and(|n| n != EXTRACT_KEYS_FILE);
            if !is_pack {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            if let Ok(def) = serde_yaml::from_str::<PackDef>(&text) {
                listed.extend(def.indicators.into_iter().map(|i| i.id));
            }
        }
    }
    catalog
        .indicators
        .iter()
        .filter(|i| !listed.contains(&i.def.id))
        .map(|i| (i.def.id.clone(), i.file.clone()))
        .collect()
}

/// Read `reports/<name>.yaml` (name `dom`, `laa` or `strategy`).
pub fn load_pack_def(reports: &Path, name: &str) -> Result<LoadedPackDef, PackDefError> {
    let file = reports.join(format!("{name}.yaml"));
    let text = read_yaml(&file, false)?;
    let def: PackDef = serde_yaml::from_str(&text).map_err(|error| PackDefError::Yaml {
        file: file.clone(),
        error,
    })?;
    def.check_duplicates(&file, &text)?;
    if let Some(rate) = def.false_discovery_rate
        && FalseDiscoveryRate::new(rate).is_err()
    {
        return Err(PackDefError::FalseDiscoveryRate {
            file: file.clone(),
            at: key_location(&text, "false_discovery_rate"),
            rate,
        });
    }
    let keys = load_extract_keys(reports)?;
    Ok(LoadedPackDef { def, file, keys })
}

/// `:line:col` of the first top-level `key:` in `text`, or nothing.
fn key_location(text: &str, key: &str) -> String {
    text.lines()
        .position(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
        .map(|i| format!(":{}:1", i + 1))
        .unwrap_or_default()
}

impl LoadedPackDef {
    /// Check `extract-keys.yaml` against the extract: every table it names
    /// exists and has its key columns. Made before any computation.
    pub fn check_keys(&self, extract: &crate::extract::Extract) -> Result<(), PackDefError> {
        let Some(file) = &self.keys.file else {
            return Ok(());
        };
        for (table, key) in &self.keys.keys {
            let t = match extract.table(table) {
                Ok(t) => t,
                Err(crate::extract::ExtractError::MissingTable { .. }) => {
                    return Err(PackDefError::KeyTable {
                        file: file.clone(),
                        table: table.clone(),
                        data: extract.dir.clone(),
                        tables: extract.table_names(),
                    });
                }
                // an unreadable table is the engine's to report, with its cause
                Err(_) => continue,
            };
            let have: Vec<&str> = t
                .schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            if let Some(c) = key.iter().find(|c| !have.contains(&c.as_str())) {
                return Err(PackDefError::KeyColumn(Box::new(KeyColumnError {
                    file: file.clone(),
                    table: table.clone(),
                    column: c.clone(),
                    suggestion: Suggestion::closest(c, &have),
                    columns: have.iter().map(|s| s.to_string()).collect(),
                })));
            }
        }
        Ok(())
    }
}

impl PackDef {
    /// Refuse an indicator page, a chart of a page or a section listed
    /// twice: each would be drawn twice, or clash in the XLSX.
    fn check_duplicates(&self, file: &Path, text: &str) -> Result<(), PackDefError> {
        let dup = |at: String, what: String| PackDefError::Duplicate {
            file: file.to_path_buf(),
            at,
            what,
        };
        let mut ids = std::collections::BTreeSet::new();
        for p in &self.indicators {
            if !ids.insert(p.id.as_str()) {
                let at = nth_line(text, "- id:", &p.id, 1);
                return Err(dup(at, format!("indicator `{}` in `indicators`", p.id)));
            }
            let mut charts = Vec::new();
            for c in &p.charts {
                if charts.contains(c) {
                    let at = nth_line(text, "- id:", &p.id, 0);
                    return Err(dup(
                        at,
                        format!("chart `{}` on the page of `{}`", c.yaml_name(), p.id),
                    ));
                }
                charts.push(*c);
            }
        }
        let mut sections = Vec::new();
        for s in &self.sections {
            if sections.contains(s) {
                let at = nth_line(text, "- ", s.anchor().replace('-', "_").as_str(), 1);
                return Err(dup(
                    at,
                    format!("section `{}`", s.anchor().replace('-', "_")),
                ));
            }
            sections.push(*s);
        }
        Ok(())
    }

    /// The declared false-discovery rate, or 5%.
    pub fn fdr(&self) -> FalseDiscoveryRate {
        self.false_discovery_rate
            .and_then(|r| FalseDiscoveryRate::new(r).ok())
            .unwrap_or_default()
    }

    /// Check every indicator id against the catalog; report every unknown one.
    pub fn check(&self, file: &Path, catalog: &ValidCatalog) -> Result<(), PackDefError> {
        let known: Vec<&str> = catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        let unknown: Vec<(String, Suggestion)> = self
            .indicators
            .iter()
            .filter(|p| catalog.get(&p.id).is_none())
            .map(|p| (p.id.clone(), Suggestion::closest(&p.id, &known)))
            .collect();
        let pages = self.ids();
        let lists = [
            ("outcomes", &self.outcomes),
            ("contributing", &self.contributing),
            ("measures", &self.measures),
        ];
        let mut no_page = Vec::new();
        for (key, ids) in lists {
            for id in ids.iter().filter(|id| !pages.contains(id)) {
                no_page.push((key, id.clone()));
            }
        }
        if unknown.is_empty() && no_page.is_empty() {
            Ok(())
        } else {
            Err(PackDefError::UnknownIndicators {
                file: file.to_path_buf(),
                unknown,
                no_page,
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
