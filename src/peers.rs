//! Most similar groups (peer groups) of local authorities, as declared in
//! `reports/peer-groups.yaml`: which columns of the `areas` table, with
//! which weights, and how many peers each area gets. The groups are
//! computed by [`stats::nearest_peers`] (standardised features, weighted
//! Euclidean distance, ties broken by code) and versioned by the SHA-256 of
//! the definition file and of the areas table, so they change only when one
//! of those changes.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::stats::{self, StatsError};

/// The file, beside the pack definitions, that declares the groups.
pub const PEER_GROUPS_FILE: &str = "peer-groups.yaml";

/// Peers per area when the file does not say.
pub const DEFAULT_K: usize = 15;

/// What went wrong building peer groups; every variant names the file and
/// the fix.
#[derive(Debug, Error)]
pub enum PeersError {
    /// The definition or the areas table cannot be read.
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
    /// Every variant is the user's input (a file or a code) at fault.
    pub fn is_user_error(&self) -> bool {
        true
    }
}

/// `reports/peer-groups.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerGroupsDef {
    /// Peers per area (not counting the area itself); 15 when absent.
    #[serde(default)]
    pub k: Option<usize>,
    /// Feature column of the `areas` table -> its weight (>= 0, not all 0).
    pub features: BTreeMap<String, f64>,
}

/// One area's group: its peers, nearest first, with their distances.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    /// The area.
    pub code: String,
    /// Its name.
    pub name: String,
    /// (code, name, distance) of each peer, nearest first.
    pub peers: Vec<(String, String, f64)>,
}

/// Every area's peer group, with what it was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroups {
    /// Groups by area code.
    pub groups: BTreeMap<String, PeerGroup>,
    /// Peers per area.
    pub k: usize,
    /// The features and weights used, by column name.
    pub features: BTreeMap<String, f64>,
    /// SHA-256 (hex) of the definition file's bytes then the areas
    /// table's bytes: the groups' version.
    pub version: String,
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

/// Reads the definition in `reports` and the areas table in `data`, and
/// builds every area's group.
pub fn peer_groups(reports: &Path, data: &Path) -> Result<PeerGroups, PeersError> {
    let def_path = reports.join(PEER_GROUPS_FILE);
    let def_bytes = std::fs::read(&def_path).map_err(|e| PeersError::Read {
        path: def_path.clone(),
        reason: format!("{e} (pass --reports DIR holding {PEER_GROUPS_FILE})"),
    })?;
    let text = String::from_utf8_lossy(&def_bytes).to_string();
    let bad = |at: String, reason: String| PeersError::Definition {
        path: def_path.clone(),
        at,
        reason,
    };
    let def: PeerGroupsDef = serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        bad(at, e.to_string())
    })?;
    let k = def.k.unwrap_or(DEFAULT_K);

    let areas_path = data.join("areas.parquet");
    let areas_bytes = std::fs::read(&areas_path).map_err(|e| PeersError::Read {
        path: areas_path.clone(),
        reason: e.to_string(),
    })?;
    let batches = read_batches(&areas_path)?;
    let column = |name: &str| -> Vec<&dyn Array> {
        batches
            .iter()
            .filter_map(|b| b.column_by_name(name).map(|c| c.as_ref()))
            .collect()
    };
    let strings = |name: &str| -> Result<Vec<String>, PeersError> {
        let cols = column(name);
        if cols.len() != batches.len() || cols.iter().any(|c| c.data_type() != &DataType::Utf8) {
            return Err(PeersError::Read {
                path: areas_path.clone(),
                reason: format!("the areas table needs a text column `{name}`"),
            });
        }
        Ok(cols
            .iter()
            .flat_map(|c| {
                let c = c.as_string::<i32>();
                (0..c.len()).map(move |i| c.value(i).to_string())
            })
            .collect())
    };
    let codes = strings("la_code")?;
    let names = strings("la_name")?;

    let mut columns = Vec::new();
    let mut weights = Vec::new();
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
    for (name, weight) in &def.features {
        let at = location(&text, name);
        let cols = column(name);
        if cols.len() != batches.len() || batches.is_empty() {
            return Err(bad(
                at,
                format!(
                    "feature `{name}` is not a column of the areas table; expected one of {}",
                    available.join(", ")
                ),
            ));
        }
        let mut values = Vec::with_capacity(codes.len());
        for c in &cols {
            let c = arrow::compute::cast(*c, &DataType::Float64)
                .ok()
                .filter(|_| c.data_type().is_numeric())
                .ok_or_else(|| {
                    bad(
                        at.clone(),
                        format!(
                            "feature `{name}` is {}, not numeric: choose a numeric column",
                            c.data_type()
                        ),
                    )
                })?;
            let c = c.as_primitive::<Float64Type>();
            if c.null_count() > 0 {
                return Err(bad(
                    at.clone(),
                    format!("feature `{name}` has empty values in the areas table"),
                ));
            }
            values.extend(c.values().iter().copied());
        }
        columns.push(values);
        weights.push(*weight);
    }
    if def.features.is_empty() {
        return Err(bad(
            location(&text, "features"),
            "declare at least one feature, e.g. `imd_score: 1`".into(),
        ));
    }
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let found = stats::nearest_peers(&refs, &columns, &weights, k).map_err(|e| match e {
        StatsError::InvalidWeights => bad(
            location(&text, "features"),
            "weights must be numbers >= 0 and not all 0".into(),
        ),
        StatsError::InvalidPeerCount { k, areas } => bad(
            location(&text, "k"),
            format!(
                "k is {k}, but there are {areas} areas: k must be between 1 and {}",
                areas.saturating_sub(1)
            ),
        ),
        other => bad(String::new(), other.to_string()),
    })?;

    let mut hash = Sha256::new();
    hash.update(&def_bytes);
    hash.update(&areas_bytes);
    let version = hash
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();

    let groups = found
        .into_iter()
        .enumerate()
        .map(|(i, peers)| {
            let group = PeerGroup {
                code: codes[i].clone(),
                name: names[i].clone(),
                peers: peers
                    .into_iter()
                    .map(|p| (codes[p.index].clone(), names[p.index].clone(), p.distance))
                    .collect(),
            };
            (codes[i].clone(), group)
        })
        .collect();
    Ok(PeerGroups {
        groups,
        k,
        features: def.features,
        version,
    })
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, PeersError> {
    let fail = |reason: String| PeersError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let file = File::open(path).map_err(|e| fail(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| fail(e.to_string()))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))
}

/// The group of `code` as text: a header with k, the features and the
/// version, then one line per peer with its rank and distance.
pub fn render_group(groups: &PeerGroups, code: &str, data: &Path) -> Result<String, PeersError> {
    let g = groups
        .groups
        .get(code)
        .ok_or_else(|| PeersError::UnknownArea {
            code: code.to_string(),
            data: data.to_path_buf(),
        })?;
    let features = groups
        .features
        .iter()
        .map(|(f, w)| format!("{f} x{w}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!(
        "Most similar areas to {} ({}): {} peers by {}\ngroups version {}\nrank\tla_code\tla_name\tdistance\n",
        g.name, g.code, groups.k, features, groups.version
    );
    for (i, (c, n, d)) in g.peers.iter().enumerate() {
        out.push_str(&format!("{}\t{c}\t{n}\t{d:.4}\n", i + 1));
    }
    Ok(out)
}
