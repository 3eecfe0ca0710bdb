//! Stage 6, rendering: result rows to files a person or a program reads.
//! Rendering never runs queries. Every file is written to a temporary
//! file beside its destination and renamed only when complete.

pub mod pack;
mod table;

pub use pack::{
    PackInputs, PackOptions, dom_pack_files, gather_pack_inputs, laa_pack_files, load_pack_def,
    write_dom_packs_all, write_pack,
};
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
    /// The browser failed to print a pack to PDF (`--pdf`).
    #[error("cannot print the pack to PDF: {message}")]
    Print {
        /// What went wrong, naming the browser, the page and the fix.
        message: String,
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
