//! Stage 7, rendering: a [`Report`](crate::report::Report) and a pack
//! definition in, files out. Rendering runs no query, makes no assessment
//! and checks no request: all of that is done before, into the report.
//! Every file is written to a temporary file beside its destination and
//! renamed only when complete.

mod laa;
pub mod pack;
mod table;

pub use laa::{laa_csv, laa_table};
pub use table::{TableFormat, check_destination, format_number, render_table, write_table};

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
    /// The output path given cannot be written as asked (the user's fault).
    #[error("--out {path}: {message}")]
    Destination {
        /// The path as given.
        path: std::path::PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// The browser failed to print a pack to PDF (`--pdf`).
    #[error("cannot print the pack to PDF: {message}")]
    Print {
        /// What went wrong, naming the browser, the page and the fix.
        message: String,
    },
    /// `PIREPORT_CHROMIUM` names no file (the user's setting).
    #[error(
        "--pdf needs headless Chromium, but {}={} is not a file: point {} at a Chromium binary or unset it to use /usr/bin/chromium, or leave out --pdf and print index.html from a browser",
        pack::CHROMIUM_ENV, .path.display(), pack::CHROMIUM_ENV
    )]
    ChromiumNotFile {
        /// The path given.
        path: std::path::PathBuf,
    },
    /// No Chromium is installed (the machine's fault).
    #[error(
        "--pdf needs headless Chromium at /usr/bin/chromium: install Debian's `chromium` package (apt-get install chromium) or set {} to a Chromium binary, or leave out --pdf and print index.html from a browser",
        pack::CHROMIUM_ENV
    )]
    NoChromium,
    /// `SOURCE_DATE_EPOCH` is not a usable timestamp.
    #[error(
        "SOURCE_DATE_EPOCH=`{text}` is not a whole number of seconds since 1970-01-01 within range"
    )]
    SourceDateEpoch {
        /// Its value.
        text: String,
    },
    /// A pack definition (or `extract-keys.yaml`) that cannot be used.
    #[error(transparent)]
    PackDefinition(#[from] pack::PackDefError),
    /// What the user asked for cannot be shown (nothing computed by the
    /// quarter, `--previous` not a pack, `--out` not usable).
    #[error(transparent)]
    Request(#[from] crate::request::RequestError),
    /// Encoding Parquet or JSON failed.
    #[error("cannot encode the results as {format}: {message}")]
    Encode {
        /// The format.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
}
