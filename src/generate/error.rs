//! The one error type of the generator stage.

use std::io;
use std::path::PathBuf;

use arrow::error::ArrowError;
use parquet::errors::ParquetError;

use super::options::FinancialYear;

/// Why `generate` failed. The first group are the caller's mistakes (bad
/// options, an unusable output path); the rest are failures while writing.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// `scale` is zero, negative, NaN or infinite.
    #[error("scale must be a positive finite number, got {scale}")]
    InvalidScale {
        /// The rejected value.
        scale: f64,
    },
    /// `scale` is above [`super::MAX_SCALE`].
    #[error("scale {scale} is above the maximum of {max}")]
    ScaleTooLarge {
        /// The rejected value.
        scale: f64,
        /// The largest accepted scale.
        max: f64,
    },
    /// A `--region-scale` names no region of the geography.
    #[error("--region-scale {code}: no such region; use one of {known}")]
    UnknownRegion {
        /// The rejected region code.
        code: String,
        /// The region codes of the geography, comma-separated.
        known: String,
    },
    /// The same region is given two scales.
    #[error("--region-scale {code} is given twice; give each region once")]
    DuplicateRegion {
        /// The repeated region code.
        code: String,
    },
    /// `from` is a later financial year than `to`.
    #[error("financial year range is reversed: from {from} is after to {to}")]
    ReversedRange {
        /// First year asked for.
        from: FinancialYear,
        /// Last year asked for.
        to: FinancialYear,
    },
    /// The output path exists and is not a directory.
    #[error("output path {} exists and is not a directory", path.display())]
    OutputNotDirectory {
        /// The output path.
        path: PathBuf,
    },
    /// The output directory exists and has entries.
    #[error("output directory {} is not empty", path.display())]
    OutputNotEmpty {
        /// The output path.
        path: PathBuf,
    },
    /// The directory that would hold the output does not exist.
    #[error("parent directory {} of the output does not exist", path.display())]
    ParentMissing {
        /// The missing parent.
        path: PathBuf,
    },
    /// The temporary directory beside the output could not be created
    /// (usually: the parent is not writable).
    #[error("cannot create a temporary directory in {}", path.display())]
    CreateTemp {
        /// Where it was to be created.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A file or directory could not be read, created or written.
    #[error("cannot write {}", path.display())]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The finished temporary directory could not be renamed to the output.
    #[error("cannot move {} to {}", from.display(), to.display())]
    Rename {
        /// The temporary directory.
        from: PathBuf,
        /// The requested output.
        to: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// Building an Arrow record batch failed (a bug: schemas and arrays disagree).
    #[error("cannot build a record batch for table {table}")]
    Arrow {
        /// The table being built.
        table: &'static str,
        /// The cause.
        #[source]
        source: ArrowError,
    },
    /// The Parquet writer failed.
    #[error("cannot write parquet file {}", path.display())]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: ParquetError,
    },
    /// The manifest could not be serialised.
    #[error("cannot serialise the manifest")]
    Manifest {
        /// The cause.
        #[source]
        source: serde_yaml::Error,
    },
    /// The embedded area lookup is malformed (a bug in `areas.csv`).
    #[error("embedded areas.csv line {line}: {reason}")]
    Areas {
        /// 1-based line number in `areas.csv`.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The writer thread stopped without reporting an error (a bug).
    #[error("the writer thread stopped unexpectedly")]
    WriterStopped,
}
