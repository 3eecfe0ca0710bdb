//! # pireport
//!
//! Turns record-level criminal-justice and drug-treatment extracts into
//! performance reports against the UK's 2008-11 Public Service Agreements
//! and the National Indicators behind them.
//!
//! The library is the pipeline, one stage per module, each entry point
//! named after the conversion it does:
//!
//! ```text
//! load_definitions -> validate -> plan_indicator -> execute -> assess -> render
//! (definition)        (validate)  (plan)            (execute)  (assess)  (render)
//! ```
//!
//! See `docs/architecture.md` for the data flow and `indicators/README.md`
//! for the indicator language.

pub mod assess;
pub mod definition;
pub mod execute;
pub mod extract;
pub mod period;
pub mod plan;
pub mod render;
pub mod stats;
pub mod validate;

pub use definition::load_definitions;
pub use plan::plan_indicator;
pub use validate::validate;
pub mod generate;

use std::path::Path;
use std::sync::Arc;

/// Any error of the pipeline, by stage.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading definitions.
    #[error(transparent)]
    Definition(#[from] definition::DefinitionError),
    /// Validating definitions.
    #[error(transparent)]
    Validate(#[from] validate::ValidateError),
    /// Reading the extract.
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    /// Planning.
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// Executing.
    #[error(transparent)]
    Execute(#[from] execute::ExecuteError),
    /// Rendering.
    #[error(transparent)]
    Render(#[from] render::RenderError),
    /// Generating synthetic data.
    #[error(transparent)]
    Generate(#[from] generate::GenerateError),
    /// Reaching or running on a Ballista cluster.
    #[cfg(feature = "ballista")]
    #[error(transparent)]
    Ballista(#[from] execute::ballista::BallistaError),
    /// A request the data cannot answer (unknown indicator, period, area).
    #[error("{message}")]
    Request {
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl Error {
    /// Exit code: 2 when the user's input is at fault, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            // a query the cluster did not finish in time (the extract is not at fault)
            #[cfg(feature = "ballista")]
            Error::Execute(e)
                if execute::ballista::cause(e).is_some_and(|b| !b.is_user_error()) =>
            {
                1
            }
            Error::Definition(definition::DefinitionError::Io { .. }) => 2,
            Error::Definition(_)
            | Error::Validate(_)
            | Error::Extract(_)
            | Error::Request { .. } => 2,
            Error::Execute(
                execute::ExecuteError::Register { .. }
                | execute::ExecuteError::Read { .. }
                | execute::ExecuteError::Run { .. }
                | execute::ExecuteError::Geography { .. },
            ) => 2,
            Error::Generate(e) if e.is_user_error() => 2,
            #[cfg(feature = "ballista")]
            Error::Ballista(e) if e.is_user_error() => 2,
            _ => 1,
        }
    }
}

/// Load and validate the definitions in `indicators` against the extract in `data`.
pub fn load_and_validate(
    indicators: &Path,
    data: &Path,
) -> Result<(validate::ValidCatalog, extract::Extract), Error> {
    let catalog = load_definitions(indicators)?;
    let extract = extract::Extract::open(data)?;
    let valid = validate(catalog, &extract)?;
    Ok((valid, extract))
}

/// Everything a run computed.
pub struct Run {
    /// The validated catalog.
    pub catalog: Arc<validate::ValidCatalog>,
    /// The session (context, areas, dates).
    pub session: execute::Session,
    /// What execution returned.
    pub execution: execute::Execution,
    /// Assessed result rows.
    pub rows: Vec<assess::ResultRow>,
}

/// Where the indicator plans run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Backend {
    /// A local DataFusion context ([`execute::local_context`]).
    #[default]
    Local,
    /// An Apache DataFusion Ballista cluster (feature `ballista`); its
    /// executors read the extract under its canonical path.
    #[cfg(feature = "ballista")]
    Ballista(execute::ballista::BallistaOptions),
}

impl Backend {
    /// The data directory as this backend reads it (and as the run's table
    /// paths start): absolute for a cluster, whose executors do not share
    /// our working directory.
    pub fn data_dir(&self, data: &Path) -> std::path::PathBuf {
        match self {
            Backend::Local => data.to_path_buf(),
            #[cfg(feature = "ballista")]
            Backend::Ballista(_) => {
                std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf())
            }
        }
    }

    /// A context whose queries run on this backend.
    async fn context(&self) -> Result<datafusion::prelude::SessionContext, Error> {
        match self {
            Backend::Local => Ok(execute::local_context()),
            #[cfg(feature = "ballista")]
            Backend::Ballista(options) => Ok(execute::ballista::connect(options).await?),
        }
    }
}

/// Run the pipeline up to assessment for `ids` (all when empty) on the
/// local engine.
pub async fn compute(indicators: &Path, data: &Path, ids: &[String]) -> Result<Run, Error> {
    compute_on(&Backend::Local, indicators, data, ids).await
}

/// Run the pipeline up to assessment for `ids` (all when empty), the
/// indicator plans (and every other query of the run) on `backend`.
pub async fn compute_on(
    backend: &Backend,
    indicators: &Path,
    data: &Path,
    ids: &[String],
) -> Result<Run, Error> {
    let (valid, extract) = load_and_validate(indicators, &backend.data_dir(data))?;
    for id in ids {
        if valid.get(id).is_none() {
            let known: Vec<&str> = valid.indicators.iter().map(|i| i.def.id.as_str()).collect();
            return Err(Error::Request {
                message: format!(
                    "unknown indicator `{id}`: {}",
                    validate::expr::suggest(id, &known)
                ),
            });
        }
    }
    let catalog = Arc::new(valid);
    let ctx = backend.context().await?;
    let session = execute::Session::open_with_context(ctx, catalog.clone(), &extract).await?;
    let execution = session.execute(ids).await?;
    let rows = assess::assess(&catalog, &execution);
    Ok(Run {
        catalog,
        session,
        execution,
        rows,
    })
}

impl generate::GenerateError {
    /// Whether the options given by the user are at fault (exit code 2).
    pub fn is_user_error(&self) -> bool {
        use generate::GenerateError as G;
        matches!(
            self,
            G::InvalidScale { .. }
                | G::ScaleTooLarge { .. }
                | G::ReversedRange { .. }
                | G::OutputNotDirectory { .. }
                | G::OutputNotEmpty { .. }
                | G::ParentMissing { .. }
        )
    }
}
