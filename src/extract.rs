//! The extract on disk: where each table's Parquet lives, its Arrow schema,
//! and the manifest (`manifest.yaml`) with the extract date.
//!
//! A table is `NAME.parquet` or a directory `NAME/` of `*.parquet` part
//! files; results must not depend on how rows are split across parts.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

/// Errors reading the extract.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The data directory does not exist.
    #[error(
        "data directory {dir} does not exist: pass --data DIR (e.g. data-samples) or run `pireport generate`"
    )]
    NoDirectory {
        /// The directory.
        dir: PathBuf,
    },
    /// No file or directory for a table.
    #[error(
        "table `{table}` not found: expected {dir}/{table}.parquet or a directory {dir}/{table}/ of .parquet files"
    )]
    MissingTable {
        /// The data directory.
        dir: PathBuf,
        /// The table name.
        table: String,
    },
    /// A table directory holds no part files.
    #[error("table directory {path} holds no .parquet files")]
    EmptyTableDir {
        /// The directory.
        path: PathBuf,
    },
    /// A Parquet file could not be read.
    #[error("{path} is not a readable Parquet file")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Part files of one table disagree on their schema.
    #[error("{path} has a different schema from the other parts of table `{table}`")]
    SchemaMismatch {
        /// The table.
        table: String,
        /// The odd file.
        path: PathBuf,
    },
    /// A file could not be opened.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The manifest is malformed.
    #[error("{path}: {message}: expected `extract_date: YYYY-MM-DD`")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// `manifest.yaml` beside the tables.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Manifest {
    /// The day the data were drawn.
    pub extract_date: NaiveDate,
    /// First financial year covered, e.g. `2005-06`.
    #[serde(default)]
    pub from: Option<String>,
    /// Last financial year covered.
    #[serde(default)]
    pub to: Option<String>,
    /// Generator seed, for synthetic extracts.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Generator scale, for synthetic extracts.
    #[serde(default)]
    pub scale: Option<f64>,
}

/// A located table: its files and schema.
#[derive(Debug, Clone)]
pub struct TableFiles {
    /// Table name.
    pub name: String,
    /// The file or directory registered with DataFusion.
    pub path: PathBuf,
    /// Every Parquet file of the table, sorted.
    pub files: Vec<PathBuf>,
    /// The Arrow schema (of the first file; all parts are checked to agree).
    pub schema: SchemaRef,
}

/// An extract directory.
#[derive(Debug, Clone)]
pub struct Extract {
    /// The directory.
    pub dir: PathBuf,
    /// The manifest, when present.
    pub manifest: Option<Manifest>,
}

impl Extract {
    /// Open a data directory and read its manifest if there is one.
    pub fn open(dir: &Path) -> Result<Extract, ExtractError> {
        if !dir.is_dir() {
            return Err(ExtractError::NoDirectory {
                dir: dir.to_path_buf(),
            });
        }
        let mpath = dir.join("manifest.yaml");
        let manifest = if mpath.is_file() {
            let text = std::fs::read_to_string(&mpath).map_err(|source| ExtractError::Io {
                path: mpath.clone(),
                source,
            })?;
            let m: Manifest = serde_yaml::from_str(&text).map_err(|e| ExtractError::Manifest {
                path: mpath.clone(),
                message: e.to_string(),
            })?;
            Some(m)
        } else {
            None
        };
        Ok(Extract {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Locate a table and read its schema from the Parquet footers.
    pub fn table(&self, name: &str) -> Result<TableFiles, ExtractError> {
        let file = self.dir.join(format!("{name}.parquet"));
        let sub = self.dir.join(name);
        let (path, files) = if file.is_file() {
            (file.clone(), vec![file])
        } else if sub.is_dir() {
            let rd = std::fs::read_dir(&sub).map_err(|source| ExtractError::Io {
                path: sub.clone(),
                source,
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(ExtractError::EmptyTableDir { path: sub });
            }
            (sub, files)
        } else {
            return Err(ExtractError::MissingTable {
                dir: self.dir.clone(),
                table: name.to_string(),
            });
        };
        let schema = read_schema(&files[0])?;
        for f in &files[1..] {
            let s = read_schema(f)?;
            if s.fields() != schema.fields() {
                return Err(ExtractError::SchemaMismatch {
                    table: name.to_string(),
                    path: f.clone(),
                });
            }
        }
        Ok(TableFiles {
            name: name.to_string(),
            path,
            files,
            schema,
        })
    }
}

fn read_schema(path: &Path) -> Result<SchemaRef, ExtractError> {
    let f = std::fs::File::open(path).map_err(|source| ExtractError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let b =
        ParquetRecordBatchReaderBuilder::try_new(f).map_err(|source| ExtractError::Corrupt {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(b.schema().clone())
}
