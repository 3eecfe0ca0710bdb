//! The `pireport` command line: argument types, calls into the library,
//! exit codes (0 ok, 1 failure, 2 the user's input is at fault).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pireport::assess::ResultRow;
use pireport::execute::AreaLevel;
use pireport::period::Period;
use pireport::render::{TableFormat, render_table, write_table};
use pireport::{Error, generate};

/// Performance reports against the 2008-11 PSAs and National Indicators.
#[derive(Parser, Debug)]
#[command(name = "pireport", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the definitions and the extract are.
#[derive(clap::Args, Debug, Clone)]
struct Inputs {
    /// Directory of indicator definitions.
    #[arg(long, default_value = "indicators")]
    indicators: PathBuf,
    /// Directory of the extract (Parquet tables and manifest.yaml).
    #[arg(long, default_value = "data-samples")]
    data: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a synthetic national extract.
    Generate {
        /// Volume multiplier: 1 is national volume (about 25 million rows).
        #[arg(long, default_value_t = 0.01)]
        scale: f64,
        /// Random seed: the same seed and scale give identical files.
        #[arg(long, default_value_t = 2008)]
        seed: u64,
        /// Output directory (must not exist or be empty).
        #[arg(long)]
        out: PathBuf,
        /// First financial year.
        #[arg(long, default_value = "2005-06")]
        from: generate::FinancialYear,
        /// Last financial year (the extract date is its last day).
        #[arg(long, default_value = "2011-12")]
        to: generate::FinancialYear,
    },
    /// Check every definition; exit 2 when any is invalid.
    Validate {
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Show an indicator's compiled plan as SQL and as a DataFusion logical plan.
    Explain {
        /// Indicator id, e.g. NI38.
        id: String,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Compute the results table.
    Compute {
        #[command(flatten)]
        inputs: Inputs,
        /// Indicator ids (all when omitted); repeatable.
        #[arg(long = "indicator")]
        indicators_wanted: Vec<String>,
        /// Only this period, e.g. `2009-10` or `2009-10 Q2`.
        #[arg(long)]
        period: Option<String>,
        /// Only this area level.
        #[arg(long, value_enum)]
        level: Option<Level>,
        /// Only this area (GSS code, or E92000001+W92000004 for England and Wales).
        #[arg(long)]
        area: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: TableFormat,
        /// Output file (standard output when omitted; required for parquet).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// An LSP's Local Area Agreement targets: baseline, latest, target, status.
    Laa {
        #[command(flatten)]
        inputs: Inputs,
        /// LAA area (GSS code).
        #[arg(long)]
        area: String,
        /// Financial year, e.g. 2009-10 (default: the latest with targets).
        #[arg(long)]
        year: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: LaaFormat,
        /// Exit 1 when any target is in this state or worse.
        #[arg(long = "fail-on", value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Print the JSON Schema of indicator definition files.
    Schema,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq)]
enum Level {
    La,
    Region,
    National,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq)]
enum LaaFormat {
    Table,
    Json,
    Csv,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq)]
enum FailOn {
    OffTrack,
    Worse,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PIREPORT_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut msg = format!("error: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!("\n  caused by: {s}"));
                src = s.source();
            }
            eprintln!("{msg}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Request {
            message: format!("cannot start the async runtime: {e}"),
        })
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Generate {
            scale,
            seed,
            out,
            from,
            to,
        } => {
            let opts = generate::GenerateOptions {
                scale,
                seed,
                out: out.clone(),
                from,
                to,
                progress: true,
            };
            let s = generate::generate(&opts)?;
            let secs = s.elapsed.as_secs_f64();
            eprintln!(
                "wrote {} rows in {} tables to {} in {:.1} s ({:.0} rows/s); extract date {}",
                s.total_rows,
                s.tables.len(),
                out.display(),
                secs,
                s.total_rows as f64 / secs.max(1e-9),
                s.extract_date
            );
            Ok(0)
        }
        Command::Validate { inputs } => {
            let (valid, _) = pireport::load_and_validate(&inputs.indicators, &inputs.data)?;
            println!(
                "{} definitions valid in {}",
                valid.indicators.len(),
                inputs.indicators.display()
            );
            Ok(0)
        }
        Command::Explain { id, inputs } => runtime()?.block_on(explain(id, inputs)),
        Command::Compute {
            inputs,
            indicators_wanted,
            period,
            level,
            area,
            format,
            out,
        } => {
            let run = runtime()?.block_on(pireport::compute(
                &inputs.indicators,
                &inputs.data,
                &indicators_wanted,
            ))?;
            let rows = filter_rows(run.rows, period.as_deref(), level, area.as_deref())?;
            for n in &run.execution.notes {
                eprintln!("note: {n}");
            }
            match out {
                Some(path) => write_table(&rows, format, &path)?,
                None if format == TableFormat::Parquet => {
                    return Err(Error::Request {
                        message: "parquet output needs --out FILE".into(),
                    });
                }
                None => {
                    let bytes = render_table(&rows, format)?;
                    let _ = std::io::stdout().write_all(&bytes);
                }
            }
            Ok(0)
        }
        Command::Laa {
            inputs,
            area,
            year,
            format,
            fail_on,
        } => laa(inputs, area, year, format, fail_on),
        Command::Schema => {
            print!("{}", pireport::definition::indicator_json_schema());
            Ok(0)
        }
    }
}

async fn explain(id: String, inputs: Inputs) -> Result<u8, Error> {
    let (valid, extract) = pireport::load_and_validate(&inputs.indicators, &inputs.data)?;
    let catalog = std::sync::Arc::new(valid);
    let Some(ind) = catalog.get(&id).cloned() else {
        let known: Vec<&str> = catalog
            .indicators
            .iter()
            .map(|i| i.def.id.as_str())
            .collect();
        return Err(Error::Request {
            message: format!(
                "unknown indicator `{id}`: {}",
                pireport::validate::expr::suggest(&id, &known)
            ),
        });
    };
    let session = pireport::execute::Session::open(catalog.clone(), &extract).await?;
    let periods = session.periods(&ind);
    let plan = pireport::plan_indicator(&session.ctx, &ind, &periods.computed).await?;
    print!("{}", pireport::plan::explain_indicator(&id, &plan));
    Ok(0)
}

fn filter_rows(
    rows: Vec<ResultRow>,
    period: Option<&str>,
    level: Option<Level>,
    area: Option<&str>,
) -> Result<Vec<ResultRow>, Error> {
    if let Some(p) = period
        && p.parse::<Period>().is_err()
    {
        return Err(Error::Request {
            message: format!("`{p}` is not a period: write e.g. 2009-10, \"2009-10 Q2\" or 2008"),
        });
    }
    let want_level = level.map(|l| match l {
        Level::La => AreaLevel::La,
        Level::Region => AreaLevel::Region,
        Level::National => AreaLevel::National,
    });
    let out: Vec<ResultRow> = rows
        .into_iter()
        .filter(|r| period.is_none_or(|p| r.period == p))
        .filter(|r| want_level.is_none_or(|l| r.area_level == l))
        .filter(|r| area.is_none_or(|a| r.area_code == a))
        .collect();
    if out.is_empty() {
        return Err(Error::Request {
            message: "no results match the given --period, --level and --area".into(),
        });
    }
    Ok(out)
}

fn laa(
    inputs: Inputs,
    area: String,
    year: Option<String>,
    format: LaaFormat,
    fail_on: Option<FailOn>,
) -> Result<u8, Error> {
    let run = runtime()?.block_on(pireport::compute(&inputs.indicators, &inputs.data, &[]))?;
    if !run.session.areas.las.contains_key(&area) {
        let codes: Vec<&str> = run.session.areas.las.keys().map(|s| s.as_str()).collect();
        return Err(Error::Request {
            message: format!(
                "unknown area `{area}`: {}",
                pireport::validate::expr::suggest(&area, &codes)
            ),
        });
    }
    let year = match year {
        Some(y) => match y.parse::<Period>() {
            Ok(p @ Period::FinancialYear(_)) => p,
            _ => {
                return Err(Error::Request {
                    message: format!("`{y}` is not a financial year: write e.g. 2009-10"),
                });
            }
        },
        None => Period::FinancialYear(2010),
    };
    let lines = pireport::assess::laa_report(&run.catalog, &run.rows, &area, year);
    if lines.is_empty() {
        return Err(Error::Request {
            message: format!(
                "area {area} has no designated targets in {}",
                inputs.indicators.join("laa-targets.yaml").display()
            ),
        });
    }
    let f = |v: Option<f64>| v.map(pireport::render::format_number).unwrap_or_default();
    match format {
        LaaFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&lines).unwrap_or_default()
            );
        }
        LaaFormat::Csv | LaaFormat::Table => {
            let sep = if format == LaaFormat::Csv { "," } else { " | " };
            println!(
                "{}",
                [
                    "indicator",
                    "baseline_period",
                    "baseline",
                    "latest_period",
                    "latest",
                    "ci_lower",
                    "ci_upper",
                    "target",
                    "trajectory",
                    "significant",
                    "status"
                ]
                .join(sep)
            );
            for l in &lines {
                println!(
                    "{}",
                    [
                        l.indicator.clone(),
                        l.baseline_period.clone(),
                        f(Some(l.baseline_value)),
                        l.latest_period.clone().unwrap_or_default(),
                        f(l.latest_value),
                        f(l.ci_lower),
                        f(l.ci_upper),
                        f(l.target),
                        f(l.trajectory),
                        l.significant.map(|b| b.to_string()).unwrap_or_default(),
                        l.status.clone()
                    ]
                    .join(sep)
                );
            }
        }
    }
    let failing = |s: &str| match fail_on {
        Some(FailOn::Worse) => s == "worse",
        Some(FailOn::OffTrack) => s == "worse" || s == "off track",
        None => false,
    };
    Ok(if lines.iter().any(|l| failing(&l.status)) {
        1
    } else {
        0
    })
}
