//! Stage 6, rendering: result rows to files a person or a program reads.
//! Rendering never runs queries. Every file is written to a temporary
//! file beside its destination and renamed only when complete.

mod table;

pub use table::{TableFormat, format_number, render_table, write_table};

/// Errors of the rendering stage.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Writing the output failed.
    #[error("cannot write {path}")]
    Io {
        /// The destination.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Encoding Parquet or JSON failed.
    #[error("cannot encode the results as {format}: {message}")]
    Encode {
        /// The format.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
}
