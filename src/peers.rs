//! Most similar groups (peer groups) of local authorities, as declared in
//! `reports/peer-groups.yaml`, in one of two ways:
//!
//! - **features**: which numeric columns of the `areas` table, with which
//!   weights, and how many peers each area gets (`k`). The groups are
//!   computed by [`stats::nearest_peers`] (standardised features, weighted
//!   Euclidean distance, ties broken by code);
//! - **published**: a table of the extract that lists each area's peers, as
//!   the Home Office's iQuanta most similar groups or CIPFA's nearest
//!   neighbours are published, mapped column by column like any source.
//!
//! Either way the groups are versioned by the SHA-256 of the definition file
//! and of the tables read, so they change only when one of those changes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::extract::{Extract, ExtractError};
use crate::stats::{self, StatsError};

/// The file, beside the pack definitions, that declares the groups.
pub const PEER_GROUPS_FILE: &str = "peer-groups.yaml";

/// Peers per area when the file does not say.
pub const DEFAULT_K: usize = 15;

/// What went wrong building peer groups; every variant names the file and
/// the fix.
#[derive(Debug, Error)]
pub enum PeersError {
    /// The definition or a table cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The definition is not valid YAML of the expected shape.
    #[error("{path}{at}: {reason}")]
    Definition {
        /// The file.
        path: PathBuf,
        /// `:line:col`, when known.
        at: String,
        /// What is wrong and the fix.
        reason: String,
    },
    /// The extract (its areas or published groups table) cannot be read.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The areas table has no such area.
    #[error(
        "unknown area `{code}`: not in the areas table of {data} (give an la_code such as E08000003)"
    )]
    UnknownArea {
        /// The code asked for.
        code: String,
        /// The extract directory.
        data: PathBuf,
    },
}

impl PeersError {
    /// Whether the user's input (a file, a table or a code) is at fault,
    /// rather than the environment (an unreadable store).
    pub fn is_user_error(&self) -> bool {
        match self {
            PeersError::Extract(e) => e.is_user_error(),
            _ => true,
        }
    }
}

/// `reports/peer-groups.yaml`: either `features` (with `k`) or `published`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerGroupsDef {
    /// Peers per area (not counting the area itself); 15 when absent.
    #[serde(default)]
    pub k: Option<usize>,
    /// Feature column of the `areas` table -> its weight (>= 0, not all 0).
    #[serde(default)]
    pub features: BTreeMap<String, f64>,
    /// A published groups table to use instead of features.
    #[serde(default)]
    pub published: Option<PublishedGroups>,
}

/// Groups published by someone else, as a table of the extract with one
/// row per (area, peer).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedGroups {
    /// The table (`NAME.parquet` or a `NAME/` directory of parts).
    pub table: String,
    /// Which column holds what; defaults `area: la_code`, `peer: peer_code`.
    #[serde(default)]
    pub columns: PublishedColumns,
}

/// The column mapping of a published groups table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedColumns {
    /// The area's code.
    #[serde(default = "default_area_column")]
    pub area: String,
    /// One peer's code.
    #[serde(default = "default_peer_column")]
    pub peer: String,
    /// The peer's published rank (1 = most similar); without it peers go
    /// in code order.
    #[serde(default)]
    pub rank: Option<String>,
}

fn default_area_column() -> String {
    "la_code".into()
}

fn default_peer_column() -> String {
    "peer_code".into()
}

impl Default for PublishedColumns {
    fn default() -> Self {
        PublishedColumns {
            area: default_area_column(),
            peer: default_peer_column(),
            rank: None,
        }
    }
}

/// One peer of an area.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerEntry {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Weighted Euclidean distance over standardised features (`None` for
    /// published groups).
    pub distance: Option<f64>,
}

/// One area's group: its peers, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    /// The area.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its peers, nearest (or first published) first.
    pub peers: Vec<PeerEntry>,
}

impl PeerGroup {
    /// The area and its peers: the members a comparison pools.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.code.as_str()).chain(self.peers.iter().map(|p| p.code.as_str()))
    }
}

/// How the groups were made.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerMethod {
    /// Nearest `k` by weighted distance over these features.
    Features {
        /// Peers per area.
        k: usize,
        /// The features and weights used, by column name.
        features: BTreeMap<String, f64>,
    },
    /// Read from a published table.
    Published {
        /// The table's name.
        table: String,
    },
}

impl std::fmt::Display for PeerMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerMethod::Features { k, features } => {
                let list = features
                    .iter()
                    .map(|(f, w)| format!("{f} x{w}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                write!(f, "{k} peers by {list}")
            }
            PeerMethod::Published { table } => write!(f, "peers as published in table `{table}`"),
        }
    }
}

/// Every area's peer group, with what it was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroups {
    /// Groups by area code.
    pub groups: BTreeMap<String, PeerGroup>,
    /// How they were made.
    pub method: PeerMethod,
    /// The definition file.
    pub file: PathBuf,
    /// SHA-256 (hex) of the definition file.
    pub file_digest: String,
    /// SHA-256 (hex) over the definition file's SHA-256 and that of each
    /// table file read: the groups' version.
    pub version: String,
}

/// The areas table a group is built over: its name and its code and name
/// columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreasTable<'a> {
    /// Table name.
    pub table: &'a str,
    /// Column of area codes.
    pub code: &'a str,
    /// Column of area names.
    pub name: &'a str,
}

/// The data contract's `areas` table (`la_code`, `la_name`).
pub const CONTRACT_AREAS: AreasTable<'static> = AreasTable {
    table: "areas",
    code: "la_code",
    name: "la_name",
};

/// `peer-groups.yaml`, read and parsed.
#[derive(Debug, Clone)]
pub struct PeerGroupsFile {
    /// Its path.
    pub path: PathBuf,
    text: String,
    digest: String,
    /// The definition.
    pub def: PeerGroupsDef,
}

fn location(text: &str, key: &str) -> String {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(key) && t[key.len()..].trim_start().starts_with(':')
        })
        .map(|i| format!(":{}:1", i + 1))
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl PeerGroupsFile {
    /// The definition's path in a reports directory.
    pub fn path_in(reports: &Path) -> PathBuf {
        reports.join(PEER_GROUPS_FILE)
    }

    /// Read and parse `reports/peer-groups.yaml`.
    pub fn load(reports: &Path) -> Result<PeerGroupsFile, PeersError> {
        let path = PeerGroupsFile::path_in(reports);
        let bytes = std::fs::read(&path).map_err(|e| PeersError::Read {
            path: path.clone(),
            reason: format!("{e} (pass --reports DIR holding {PEER_GROUPS_FILE})"),
        })?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| PeersError::Definition {
            path: path.clone(),
            at: String::new(),
            reason: "not UTF-8 text: save it as UTF-8".into(),
        })?;
        let def: PeerGroupsDef = serde_yaml::from_str(&text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            PeersError::Definition {
                path: path.clone(),
                at,
                reason: e.to_string(),
            }
        })?;
        let file = PeerGroupsFile {
            digest: hex(&Sha256::digest(&bytes)),
            path,
            text,
            def,
        };
        file.check_shape()?;
        Ok(file)
    }

    fn bad(&self, key: &str, reason: String) -> PeersError {
        PeersError::Definition {
            path: self.path.clone(),
            at: location(&self.text, key),
            reason,
        }
    }

    fn check_shape(&self) -> Result<(), PeersError> {
        let d = &self.def;
        match (&d.published, d.features.is_empty()) {
            (Some(_), false) => Err(self.bad(
                "published",
                "declare either `features` (with `k`) or `published`, not both".into(),
            )),
            (Some(_), true) if d.k.is_some() => Err(self.bad(
                "k",
                "`k` applies to `features`; a published table gives each area's peers itself"
                    .into(),
            )),
            (None, true) => Err(self.bad(
                "features",
                "declare at least one feature, e.g. `imd_score: 1`, or a `published` table".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Build every area's group over `areas` of `extract`.
    pub fn build(
        &self,
        extract: &Extract,
        areas: AreasTable<'_>,
    ) -> Result<PeerGroups, PeersError> {
        let mut hash = Sha256::new();
        hash.update(format!("{PEER_GROUPS_FILE} {}\n", self.digest));
        let areas_batches = read_table(extract, areas.table, &mut hash)?;
        let area_file = extract.dir.join(format!("{}.parquet", areas.table));
        let codes = strings(&areas_batches, areas.code, &area_file, areas.table)?;
        let names = strings(&areas_batches, areas.name, &area_file, areas.table)?;
        let (groups, method) = match &self.def.published {
            Some(p) => {
                let groups = self.published(extract, p, &codes, &names, &mut hash)?;
                (
                    groups,
                    PeerMethod::Published {
                        table: p.table.clone(),
                    },
                )
            }
            None => self.nearest(&areas_batches, &codes, &names)?,
        };
        Ok(PeerGroups {
            groups,
            method,
            file: self.path.clone(),
            file_digest: self.digest.clone(),
            version: hex(&hash.finalize()),
        })
    }

    /// Groups by weighted distance over the declared features.
    fn nearest(
        &self,
        batches: &[RecordBatch],
        codes: &[String],
        names: &[String],
    ) -> Result<(BTreeMap<String, PeerGroup>, PeerMethod), PeersError> {
        let k = self.def.k.unwrap_or(DEFAULT_K);
        let available: Vec<String> = batches
            .first()
            .map(|b| {
                b.schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut columns = Vec::new();
        let mut weights = Vec::new();
        for (name, weight) in &self.def.features {
            columns.push(self.feature_values(batches, name, &available, codes.len())?);
            weights.push(*weight);
        }
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let found = stats::nearest_peers(&refs, &columns, &weights, k).map_err(|e| match e {
            StatsError::InvalidWeights => self.bad(
                "features",
                "weights must be numbers >= 0 and not all 0".into(),
            ),
            StatsError::InvalidPeerCount { k, areas } => self.bad(
                "k",
                format!(
                    "k is {k}, but there are {areas} areas: k must be between 1 and {}",
                    areas.saturating_sub(1)
                ),
            ),
            other => self.bad("features", other.to_string()),
        })?;
        let groups = found
            .into_iter()
            .enumerate()
            .map(|(i, peers)| {
                let group = PeerGroup {
                    code: codes[i].clone(),
                    name: names[i].clone(),
                    peers: peers
                        .into_iter()
                        .map(|p| PeerEntry {
                            code: codes[p.index].clone(),
                            name: names[p.index].clone(),
                            distance: Some(p.distance),
                        })
                        .collect(),
                };
                (codes[i].clone(), group)
            })
            .collect();
        let method = PeerMethod::Features {
            k,
            features: self.def.features.clone(),
        };
        Ok((groups, method))
    }

    /// The values of feature `name` over every area (`n` of them), as
    /// numbers: a numeric column of the areas table (whose columns are
    /// `available`) with no empty value.
    fn feature_values(
        &self,
        batches: &[RecordBatch],
        name: &str,
        available: &[String],
        n: usize,
    ) -> Result<Vec<f64>, PeersError> {
        let cols: Vec<&dyn Array> = batches
            .iter()
            .filter_map(|b| b.column_by_name(name).map(|c| c.as_ref()))
            .collect();
        if cols.len() != batches.len() || batches.is_empty() {
            return Err(self.bad(
                name,
                format!(
                    "feature `{name}` is not a column of the areas table; expected one of {}",
                    available.join(", ")
                ),
            ));
        }
        let mut values = Vec::with_capacity(n);
        for c in &cols {
            let c = arrow::compute::cast(*c, &DataType::Float64)
                .ok()
                .filter(|_| c.data_type().is_numeric())
                .ok_or_else(|| {
                    self.bad(
                        name,
                        format!(
                            "feature `{name}` is {}, not numeric: choose a numeric column",
                            c.data_type()
                        ),
                    )
                })?;
            let c = c.as_primitive::<Float64Type>();
            if c.null_count() > 0 {
                return Err(self.bad(
                    name,
                    format!("feature `{name}` has empty values in the areas table"),
                ));
            }
            values.extend(c.values().iter().copied());
        }
        Ok(values)
    }

    /// Groups as a published table lists them: every code must be an area
    /// of the areas table, an area is never its own peer, and a pair is
    /// listed once.
    fn published(
        &self,
        extract: &Extract,
        p: &PublishedGroups,
        codes: &[String],
        names: &[String],
        hash: &mut Sha256,
    ) -> Result<BTreeMap<String, PeerGroup>, PeersError> {
        let batches = read_table(extract, &p.table, hash).map_err(|e| match e {
            PeersError::Extract(ExtractError::MissingTable { .. }) => self.bad(
                "table",
                format!(
                    "table `{}` is not in the extract {}: name a table of the extract (`NAME.parquet` or a `NAME/` directory)",
                    p.table,
                    extract.dir.display()
                ),
            ),
            other => other,
        })?;
        let file = extract.dir.join(format!("{}.parquet", p.table));
        let c = &p.columns;
        let area_col = strings(&batches, &c.area, &file, &p.table)?;
        let peer_col = strings(&batches, &c.peer, &file, &p.table)?;
        let rank_col = match &c.rank {
            Some(r) => Some(numbers(&batches, r, &file, &p.table)?),
            None => None,
        };
        let index: BTreeMap<&str, usize> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let row_error = |row: usize, reason: String| PeersError::Read {
            path: file.clone(),
            reason: format!("row {}: {reason}", row + 1),
        };
        // an area the table does not list has no peers: its comparisons
        // with peers stay empty
        let mut lists: BTreeMap<usize, Vec<(f64, usize)>> =
            (0..codes.len()).map(|i| (i, Vec::new())).collect();
        let mut seen = BTreeSet::new();
        for (row, (a, b)) in area_col.iter().zip(&peer_col).enumerate() {
            let (Some(&ai), Some(&bi)) = (index.get(a.as_str()), index.get(b.as_str())) else {
                let bad = if index.contains_key(a.as_str()) { b } else { a };
                return Err(row_error(
                    row,
                    format!(
                        "`{bad}` is not an area of the areas table: every code in columns `{}` and `{}` must be an la_code",
                        c.area, c.peer
                    ),
                ));
            };
            if ai == bi {
                return Err(row_error(row, format!("`{a}` is listed as its own peer")));
            }
            if !seen.insert((ai, bi)) {
                return Err(row_error(
                    row,
                    format!("`{b}` is listed twice as a peer of `{a}`"),
                ));
            }
            let rank = rank_col.as_ref().map_or(0.0, |r| r[row]);
            lists.entry(ai).or_default().push((rank, bi));
        }
        Ok(ranked_groups(lists, codes, names))
    }
}

/// Each area's group from its listed peers (rank, area index): by rank,
/// then code.
fn ranked_groups(
    lists: BTreeMap<usize, Vec<(f64, usize)>>,
    codes: &[String],
    names: &[String],
) -> BTreeMap<String, PeerGroup> {
    lists
        .into_iter()
        .map(|(ai, mut peers)| {
            peers.sort_by(|x, y| {
                x.0.total_cmp(&y.0)
                    .then_with(|| codes[x.1].cmp(&codes[y.1]))
            });
            let group = PeerGroup {
                code: codes[ai].clone(),
                name: names[ai].clone(),
                peers: peers
                    .into_iter()
                    .map(|(_, bi)| PeerEntry {
                        code: codes[bi].clone(),
                        name: names[bi].clone(),
                        distance: None,
                    })
                    .collect(),
            };
            (codes[ai].clone(), group)
        })
        .collect()
}

/// Every batch of a table of the extract, each file's SHA-256 added to
/// `hash`.
fn read_table(
    extract: &Extract,
    table: &str,
    hash: &mut Sha256,
) -> Result<Vec<RecordBatch>, PeersError> {
    let files = extract.table(table)?;
    let mut out = Vec::new();
    for f in &files.files {
        hash.update(format!("{table} {}\n", files.location.digest(f)?));
        let fail = |reason: String| PeersError::Read {
            path: f.clone(),
            reason,
        };
        let reader = files
            .location
            .parquet(f)?
            .build()
            .map_err(|e| fail(e.to_string()))?;
        for b in reader {
            out.push(b.map_err(|e| fail(e.to_string()))?);
        }
    }
    Ok(out)
}

/// Where a column of a table is read from, for its errors.
struct ColumnAt<'a> {
    file: &'a Path,
    table: &'a str,
    name: &'a str,
}

impl ColumnAt<'_> {
    fn fail(&self, reason: String) -> PeersError {
        PeersError::Read {
            path: self.file.to_path_buf(),
            reason,
        }
    }

    /// The column in every batch, when its type passes `accept`, cast to
    /// `to`; `kind` names the type wanted in the error.
    fn arrays(
        &self,
        batches: &[RecordBatch],
        kind: &str,
        accept: fn(&DataType) -> bool,
        to: &DataType,
    ) -> Result<Vec<arrow::array::ArrayRef>, PeersError> {
        batches
            .iter()
            .map(|b| {
                b.column_by_name(self.name)
                    .filter(|c| accept(c.data_type()))
                    .and_then(|c| arrow::compute::cast(c, to).ok())
                    .ok_or_else(|| {
                        self.fail(format!(
                            "the {} table needs a {kind} column `{}`",
                            self.table, self.name
                        ))
                    })
            })
            .collect()
    }
}

/// A text column of every batch, each value non-empty.
fn strings(
    batches: &[RecordBatch],
    name: &str,
    file: &Path,
    table: &str,
) -> Result<Vec<String>, PeersError> {
    let at = ColumnAt { file, table, name };
    let text =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let mut out = Vec::new();
    for col in at.arrays(batches, "text", text, &DataType::Utf8)? {
        let col = col.as_string::<i32>();
        for i in 0..col.len() {
            if col.is_null(i) || col.value(i).is_empty() {
                return Err(at.fail(format!(
                    "column `{name}` of the {table} table is empty in a row: give every row a code"
                )));
            }
            out.push(col.value(i).to_string());
        }
    }
    Ok(out)
}

/// A numeric column of every batch, with no empty value.
fn numbers(
    batches: &[RecordBatch],
    name: &str,
    file: &Path,
    table: &str,
) -> Result<Vec<f64>, PeersError> {
    let at = ColumnAt { file, table, name };
    let mut out = Vec::new();
    for col in at.arrays(batches, "numeric", DataType::is_numeric, &DataType::Float64)? {
        let col = col.as_primitive::<Float64Type>();
        if col.null_count() > 0 {
            return Err(at.fail(format!(
                "column `{name}` of the {table} table has empty values"
            )));
        }
        out.extend(col.values().iter().copied());
    }
    Ok(out)
}

/// Reads the definition in `reports` and the contract's areas table in
/// `data` (a directory or an object-store URL), and builds every area's
/// group.
pub fn peer_groups(reports: &Path, data: &Path) -> Result<PeerGroups, PeersError> {
    let file = PeerGroupsFile::load(reports)?;
    let extract = Extract::open(data)?;
    file.build(&extract, CONTRACT_AREAS)
}

/// The group of `code` as text: a header with the method and the version,
/// then one line per peer with its rank and distance (`-` when published).
pub fn render_group(groups: &PeerGroups, code: &str, data: &Path) -> Result<String, PeersError> {
    let g = groups
        .groups
        .get(code)
        .ok_or_else(|| PeersError::UnknownArea {
            code: code.to_string(),
            data: data.to_path_buf(),
        })?;
    let mut out = format!(
        "Most similar areas to {} ({}): {}\ngroups version {}\nrank\tla_code\tla_name\tdistance\n",
        g.name, g.code, groups.method, groups.version
    );
    for (i, p) in g.peers.iter().enumerate() {
        let d = p.distance.map_or("-".to_string(), |d| format!("{d:.4}"));
        out.push_str(&format!("{}\t{}\t{}\t{d}\n", i + 1, p.code, p.name));
    }
    Ok(out)
}
