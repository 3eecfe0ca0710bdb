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

/// Where the indicator plans run (compute and pack).
#[derive(clap::Args, Debug, Clone)]
struct Engine {
    /// Run every indicator plan on this Apache DataFusion Ballista scheduler
    /// instead of in this process (needs a build with `--features ballista`;
    /// the executors read --data under its absolute path).
    #[arg(long, env = "PIREPORT_BALLISTA", value_name = "df://HOST:PORT")]
    ballista: Option<String>,
    /// Seconds to wait for the scheduler to accept a connection and run a one-row test query.
    #[cfg_attr(not(feature = "ballista"), allow(dead_code))]
    #[arg(long, env = "PIREPORT_BALLISTA_CONNECT_TIMEOUT", value_name = "SECS",
          default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    ballista_connect_timeout: u64,
    /// Seconds one query may run on the cluster before its job is cancelled.
    #[cfg_attr(not(feature = "ballista"), allow(dead_code))]
    #[arg(long, env = "PIREPORT_BALLISTA_QUERY_TIMEOUT", value_name = "SECS",
          default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    ballista_query_timeout: u64,
}

impl Engine {
    /// The backend the flags ask for.
    fn backend(&self) -> Result<pireport::Backend, Error> {
        // an empty PIREPORT_BALLISTA counts as unset
        let Some(address) = self.ballista.as_deref().filter(|a| !a.trim().is_empty()) else {
            return Ok(pireport::Backend::Local);
        };
        self.ballista_backend(address)
    }

    #[cfg(feature = "ballista")]
    fn ballista_backend(&self, address: &str) -> Result<pireport::Backend, Error> {
        use pireport::execute::ballista::BallistaOptions;
        use std::time::Duration;
        Ok(pireport::Backend::Ballista(BallistaOptions {
            scheduler: address.parse()?,
            connect_timeout: Duration::from_secs(self.ballista_connect_timeout),
            query_timeout: Duration::from_secs(self.ballista_query_timeout),
        }))
    }

    #[cfg(not(feature = "ballista"))]
    fn ballista_backend(&self, address: &str) -> Result<pireport::Backend, Error> {
        Err(Error::Request {
            message: format!(
                "--ballista {address} (or PIREPORT_BALLISTA) needs pireport built with Ballista support: \
                 rebuild with `cargo build --release --features ballista`, or drop the flag to compute locally"
            ),
        })
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a synthetic national extract.
    Generate {
        /// Volume multiplier: 1 is national volume (about 25 million rows).
        #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
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
        /// Also run the plan and print the physical plan with each
        /// operator's rows and time (EXPLAIN ANALYZE), for profiling.
        #[arg(long)]
        analyze: bool,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Compute the results table.
    Compute {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        engine: Engine,
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
        /// Print to stderr the compute wall time beside the scan floor: the
        /// time to read and decode only the columns the indicators touch.
        #[arg(long)]
        timings: bool,
    },
    /// An LSP's Local Area Agreement targets: baseline, latest, target, status.
    Laa {
        #[command(flatten)]
        inputs: Inputs,
        /// LAA area (GSS code).
        #[arg(long)]
        area: String,
        /// Financial year, e.g. 2009-10 (default: the latest with targets and data).
        #[arg(long)]
        year: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: LaaFormat,
        /// Exit 1 when any line is in this state (off-track includes worse).
        #[arg(long = "fail-on", value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Print the JSON Schema of indicator definition files.
    Schema,
    /// Build a report pack: the DOM quarterly pack of a region, or an LSP's LAA target report.
    Pack {
        #[command(subcommand)]
        pack: PackCommand,
    },
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
    // Behave like other Unix tools when the reader of our output goes
    // away (`pireport explain NI40 | head`): end quietly on SIGPIPE
    // instead of panicking in `print!`.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up,
    // before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("PIREPORT_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let mut msg = format!("error: {e}");
            let mut last = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                // a wrapper that prints its cause (DataFusion's `External
                // error: ...`) is followed by that cause: say it once
                let text = s.to_string();
                if !last.ends_with(&text) {
                    msg.push_str(&format!("\n  caused by: {text}"));
                }
                last = text;
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
        Command::Explain {
            id,
            analyze,
            inputs,
        } => runtime()?.block_on(explain(id, analyze, inputs)),
        Command::Compute {
            inputs,
            engine,
            indicators_wanted,
            period,
            level,
            area,
            format,
            out,
            timings,
        } => {
            let backend = engine.backend()?;
            let rt = runtime()?;
            let started = std::time::Instant::now();
            let run = rt.block_on(pireport::compute_on(
                &backend,
                &inputs.indicators,
                &inputs.data,
                &indicators_wanted,
            ))?;
            if timings {
                let compute = started.elapsed().as_secs_f64();
                let floor = rt.block_on(pireport::execute::scan_floor::scan_floor(
                    &run.session,
                    &indicators_wanted,
                ))?;
                let ratio = compute / floor.elapsed().as_secs_f64().max(1e-9);
                eprintln!("{floor}\ncompute wall time {compute:.3} s ({ratio:.2}x the scan floor)");
            }
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
        Command::Pack { pack } => pack_command(pack),
    }
}

async fn explain(id: String, analyze: bool, inputs: Inputs) -> Result<u8, Error> {
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
    if analyze {
        let text = pireport::plan::explain_analyze(&session.ctx, plan)
            .await
            .map_err(|source| pireport::execute::ExecuteError::Run {
                indicator: id.clone(),
                source,
            })?;
        print!("\n-- {id}: physical plan as run (EXPLAIN ANALYZE)\n{text}");
    }
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
    use pireport::assess::LaaLine;

    let request = |message: String| Error::Request { message };
    let year = match year.as_deref().map(|y| (y, y.parse::<Period>())) {
        None => None,
        Some((_, Ok(p @ Period::FinancialYear(_)))) => Some(p),
        Some((y, _)) => {
            return Err(request(format!(
                "`{y}` is not a financial year: write e.g. --year 2009-10"
            )));
        }
    };
    let targets_file = inputs.indicators.join(pireport::definition::TARGETS_FILE);
    let rt = runtime()?;
    let (valid, extract) = pireport::load_and_validate(&inputs.indicators, &inputs.data)?;
    let catalog = std::sync::Arc::new(valid);
    let session = rt.block_on(pireport::execute::Session::open(catalog.clone(), &extract))?;
    let Some(la) = session.areas.las.get(&area) else {
        let codes: Vec<&str> = session.areas.las.keys().map(|s| s.as_str()).collect();
        let s = pireport::validate::expr::suggest(&area, &codes);
        let hint = if s.starts_with("did you mean") {
            s
        } else {
            "give the GSS code of an LA, e.g. E08000003".into()
        };
        return Err(request(format!("unknown area `{area}`: {hint}")));
    };
    let mut ids: Vec<String> = catalog
        .catalog
        .targets
        .iter()
        .flat_map(|t| t.value.iter())
        .filter(|t| t.area == area)
        .map(|t| t.indicator.clone())
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Err(request(format!(
            "{area} ({}) has no LAA targets in {}",
            la.name,
            targets_file.display()
        )));
    }
    let years = LaaLine::target_years(&catalog, &area);
    if let Some(y) = year
        && !years.contains(&y)
    {
        let list: Vec<String> = years.iter().map(|p| p.to_string()).collect();
        return Err(request(format!(
            "{area} ({}) has no LAA targets for {y}: choose one of {}",
            la.name,
            list.join(", ")
        )));
    }
    let exec = rt.block_on(session.execute(&ids))?;
    for n in &exec.notes {
        eprintln!("note: {n}");
    }
    let rows = pireport::assess::assess(&catalog, &exec);
    let Some(year) = year.or_else(|| LaaLine::default_year(&catalog, &rows, &area)) else {
        return Err(request(format!(
            "{area} ({}) has no LAA targets for any financial year",
            la.name
        )));
    };
    let lines = pireport::assess::laa_report(&catalog, &rows, &area, year);
    let out = match format {
        LaaFormat::Json => {
            serde_json::to_string_pretty(&lines)
                .map_err(|e| request(format!("cannot write the report as JSON: {e}")))?
                + "\n"
        }
        LaaFormat::Csv => LaaLine::render_csv(&lines),
        LaaFormat::Table => LaaLine::render_table(&lines, &area, &la.name, year),
    };
    let _ = std::io::stdout().write_all(out.as_bytes());
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

/// Where a pack goes and what else it does.
#[derive(clap::Args, Debug, Clone)]
struct PackOutput {
    /// Directory of pack definitions (dom.yaml, laa.yaml).
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Output directory (must not exist, or be empty); default pack-KIND-AREA-PERIOD.
    #[arg(long)]
    out: Option<PathBuf>,
    /// An earlier edition of the same pack: flag every revised figure.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Also print pack.pdf with headless Chromium.
    #[arg(long)]
    pdf: bool,
}

#[derive(Subcommand, Debug)]
enum PackCommand {
    /// The Director of Offender Management quarterly pack of a region.
    Dom {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        output: PackOutput,
        #[command(flatten)]
        engine: Engine,
        /// Region GSS code, e.g. E12000001, or `all` for every region.
        #[arg(long)]
        region: String,
        /// Quarter, e.g. "2009-10 Q2".
        #[arg(long)]
        quarter: String,
    },
    /// The LAA target report of an LSP.
    Laa {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        output: PackOutput,
        #[command(flatten)]
        engine: Engine,
        /// LAA area (GSS code).
        #[arg(long)]
        area: String,
        /// Financial year, e.g. 2009-10.
        #[arg(long)]
        year: String,
    },
}

fn pack_command(cmd: PackCommand) -> Result<u8, Error> {
    use pireport::render::pack;

    let started = std::time::Instant::now();
    let (inputs, output, engine, kind, code, period) = match &cmd {
        PackCommand::Dom {
            inputs,
            output,
            engine,
            region,
            quarter,
        } => (inputs, output, engine, "dom", region, quarter),
        PackCommand::Laa {
            inputs,
            output,
            engine,
            area,
            year,
        } => (inputs, output, engine, "laa", area, year),
    };
    let backend = engine.backend()?;
    let all = kind == "dom" && code == "all";
    if !all {
        pack::check_code(if kind == "dom" { "region" } else { "area" }, code)?;
    }
    let out = output.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "pack-{kind}-{code}-{}",
            pack::safe_name(&period.replace(' ', "-"))
        ))
    });
    pack::check_out(&out)?;
    if let Some(prev) = &output.previous
        && !prev.is_dir()
    {
        return Err(Error::Request {
            message: format!("--previous {} is not a pack directory", prev.display()),
        });
    }
    let opts = pack::PackOptions {
        previous: output.previous.clone(),
        pdf: if output.pdf {
            Some(pack::chromium()?)
        } else {
            None
        },
    };
    let def = pack::load_pack_def(&output.reports, kind)?;
    let ids = if kind == "dom" {
        def.def.ids()
    } else {
        Vec::new()
    };
    let rt = runtime()?;
    let run = rt.block_on(pireport::compute_on(
        &backend,
        &inputs.indicators,
        &inputs.data,
        &ids,
    ))?;
    def.def.check(&def.file, &run.catalog)?;
    let wanted = if ids.is_empty() { def.def.ids() } else { ids };
    let check_inputs = |run: &pireport::Run| -> Result<(), Error> {
        match &cmd {
            PackCommand::Dom { .. } => {
                pack::resolve_quarter(run, period)?;
                if !all {
                    pack::resolve_region(run, code)?;
                }
            }
            PackCommand::Laa { .. } => {
                pack::resolve_area(run, code)?;
                pack::resolve_year(run, code, period)?;
            }
        }
        Ok(())
    };
    check_inputs(&run)?;
    let mut used = wanted.clone();
    if kind == "laa" {
        used = run
            .catalog
            .indicators
            .iter()
            .map(|i| i.def.id.clone())
            .collect();
    }
    let gathered = rt.block_on(pack::gather_pack_inputs(
        &run,
        &used,
        &backend.data_dir(&inputs.data),
        &def,
    ))?;
    let written = match &cmd {
        PackCommand::Dom { .. } if all => {
            let quarter = pack::resolve_quarter(&run, period)?;
            let n = run.session.areas.regions().len() as u64;
            let bar = indicatif::ProgressBar::new(n).with_message("regions");
            let packs = pack::write_dom_packs_all(
                &run,
                &def,
                &gathered,
                quarter,
                &out,
                &opts,
                &|_r: &str| bar.inc(1),
            )?;
            bar.finish_and_clear();
            packs.len()
        }
        PackCommand::Dom { .. } => {
            let quarter = pack::resolve_quarter(&run, period)?;
            let files = pack::dom_pack_files(&run, &def, &gathered, code, quarter, &opts)?;
            pack::write_pack(&out, &files, &opts)?;
            1
        }
        PackCommand::Laa { .. } => {
            let year = pack::resolve_year(&run, code, period)?;
            let files = pack::laa_pack_files(&run, &def, &gathered, code, year, &opts)?;
            pack::write_pack(&out, &files, &opts)?;
            1
        }
    };
    eprintln!(
        "wrote {written} pack(s) to {} in {:.1} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
