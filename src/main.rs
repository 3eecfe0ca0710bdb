//! The `pireport` command line: argument types, calls into the library,
//! exit codes (0 ok, 1 failure, 2 the user's input is at fault).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pireport::checks::{self as request, RequestError};
use pireport::geography::AreaLevel;
use pireport::stats::TargetStatus;
use pireport::{Error, PackRequest, ResultRow, TableFormat, generate, render_table, write_table};

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
    /// Bound the engine's memory (local runs), e.g. `2G`, `512M` or bytes:
    /// sorts and aggregations spill to temporary files instead of growing
    /// past it, so a large extract runs more slowly in less memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    memory_limit: Option<usize>,
}

impl Engine {
    /// The backend the flags ask for.
    fn backend(&self) -> Result<pireport::Backend, Error> {
        if let Some(bytes) = self.memory_limit {
            pireport::engine::set_memory_limit(bytes);
        }
        // an empty PIREPORT_BALLISTA counts as unset
        let Some(address) = self.ballista.as_deref().filter(|a| !a.trim().is_empty()) else {
            return Ok(pireport::Backend::Local);
        };
        self.ballista_backend(address)
    }

    #[cfg(feature = "ballista")]
    fn ballista_backend(&self, address: &str) -> Result<pireport::Backend, Error> {
        use pireport::engine::ballista::BallistaOptions;
        use std::time::Duration;
        Ok(pireport::Backend::Ballista(BallistaOptions {
            scheduler: address.parse()?,
            connect_timeout: Duration::from_secs(self.ballista_connect_timeout),
            query_timeout: Duration::from_secs(self.ballista_query_timeout),
        }))
    }

    #[cfg(not(feature = "ballista"))]
    fn ballista_backend(&self, address: &str) -> Result<pireport::Backend, Error> {
        Err(RequestError::BallistaNotBuilt {
            address: address.to_string(),
        }
        .into())
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
        /// A region sampled at its own scale, as CODE=SCALE (repeatable),
        /// e.g. `E12000002=0.4`. Populations are scaled with the volumes,
        /// so rates per head stay true.
        #[arg(long = "region-scale", value_name = "CODE=SCALE", value_parser = parse_region_scale)]
        region_scale: Vec<(String, f64)>,
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
        /// Directory of pack definitions: a definition no pack lists is noted.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// List an area's most similar group (reports/peer-groups.yaml) with
    /// each peer's distance.
    Peers {
        /// The area's la_code, e.g. E08000003.
        #[arg(long)]
        area: String,
        /// Directory holding peer-groups.yaml.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        /// Directory of the extract (its areas table).
        #[arg(long, default_value = "data-samples")]
        data: PathBuf,
    },
    /// Show an indicator's compiled plan as SQL and as a DataFusion logical plan.
    Explain {
        /// Indicator id, e.g. NI38.
        id: String,
        /// Also run the plan and print the physical plan with each
        /// operator's rows and time (EXPLAIN ANALYZE), for profiling.
        #[arg(long)]
        analyze: bool,
        /// Run under this memory bound, as `compute --memory-limit` does:
        /// the analysed plan then shows its sort-merge joins and each
        /// operator's spills.
        #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "analyze")]
        memory_limit: Option<usize>,
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
        /// Directory holding peer-groups.yaml, for the vs_peers and
        /// peer_rank columns [default: reports, when it holds the file],
        /// and extract-keys.yaml, the table keys duplicates are counted by.
        #[arg(long)]
        reports: Option<PathBuf>,
        /// Make the data-quality notes errors (exit 2, nothing written):
        /// duplicate rows, rows with no key column or area code, unknown
        /// area codes, rows no period counts.
        #[arg(long)]
        strict: bool,
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
    /// Build a report pack: the DOM quarterly pack of a region, an LSP's LAA target report, or the national drug strategy report.
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

/// The exit code of an error: 2 when the user's input is at fault (fix
/// it and rerun), 1 for the environment or a bug of ours.
fn exit_code(e: &Error) -> u8 {
    match e.fault() {
        pireport::Fault::Input => 2,
        pireport::Fault::Environment | pireport::Fault::Internal => 1,
    }
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                return match write_stdout(e.render().to_string().as_bytes()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(err) => report(err),
                };
            }
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => report(e),
    }
}

/// Print `e` with its causes, each once, and give its exit code.
fn report(e: Error) -> ExitCode {
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
    ExitCode::from(exit_code(&e))
}

/// Write to standard output and flush: a failed write (`> /dev/full`) is an
/// error of the environment (exit 1), never output silently lost. A closed
/// pipe (`| head`) ends the process by SIGPIPE, quietly, before this sees it.
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|source| {
            Error::Render(pireport::RenderError::Io {
                path: PathBuf::from("standard output"),
                source,
            })
        })
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// Parses a `--memory-limit` size: bytes, or a number with a `K`, `M` or
/// `G` suffix (powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("unknown size unit in {text:?} (use K, M or G)")),
    };
    let n: usize = digits
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 2G, 512M or 1000000"))?;
    n.checked_mul(1usize << shift)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("{text:?} is not a usable memory limit"))
}

/// Parses `CODE=SCALE` of `--region-scale` (the values are checked by `generate`).
fn parse_region_scale(text: &str) -> Result<(String, f64), String> {
    let (code, scale) = text
        .split_once('=')
        .ok_or_else(|| format!("expected CODE=SCALE, e.g. E12000002=0.4, got {text:?}"))?;
    let scale: f64 = scale
        .trim()
        .parse()
        .map_err(|_| format!("the scale in {text:?} is not a number"))?;
    Ok((code.trim().to_string(), scale))
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Generate {
            scale,
            seed,
            region_scale,
            out,
            from,
            to,
        } => generate_command(generate::GenerateOptions {
            scale,
            seed,
            out,
            from,
            to,
            progress: true,
            region_scales: region_scale,
        }),
        Command::Validate { inputs, reports } => validate_command(inputs, reports),
        Command::Explain {
            id,
            analyze,
            memory_limit,
            inputs,
        } => {
            if let Some(bytes) = memory_limit {
                pireport::engine::set_memory_limit(bytes);
            }
            runtime()?.block_on(explain(id, analyze, inputs))
        }
        Command::Peers {
            area,
            reports,
            data,
        } => {
            let groups = pireport::peer_groups(&reports, &data)?;
            write_stdout(pireport::render_group(&groups, &area, &data)?.as_bytes())?;
            Ok(0)
        }
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
            reports,
            strict,
        } => compute_command(
            inputs,
            engine,
            &indicators_wanted,
            RowFilter {
                period,
                level,
                area,
            },
            Output { format, out },
            RunOptions {
                timings,
                reports,
                strict,
            },
        ),
        Command::Laa {
            inputs,
            area,
            year,
            format,
            fail_on,
        } => laa(inputs, area, year, format, fail_on),
        Command::Schema => {
            write_stdout(pireport::definition::indicator_json_schema().as_bytes())?;
            Ok(0)
        }
        Command::Pack { pack } => pack_command(pack),
    }
}

fn generate_command(opts: generate::GenerateOptions) -> Result<u8, Error> {
    let s = generate::generate(&opts)?;
    let secs = s.elapsed.as_secs_f64();
    eprintln!(
        "wrote {} rows in {} tables to {} in {:.1} s ({:.0} rows/s); extract date {}",
        s.total_rows,
        s.tables.len(),
        opts.out.display(),
        secs,
        s.total_rows as f64 / secs.max(1e-9),
        s.extract_date
    );
    Ok(0)
}

fn validate_command(inputs: Inputs, reports: PathBuf) -> Result<u8, Error> {
    let (valid, _) = pireport::load_and_validate(&inputs.indicators, &inputs.data)?;
    for (id, file) in pireport::pack::unlisted_indicators(&reports, &valid) {
        eprintln!(
            "note: {}: indicator `{id}` is listed by no pack in {}: it is computed but never published (add its id to the `indicators` of a pack in reports/, see indicators/README.md, adding an indicator)",
            file.display(),
            reports.display()
        );
    }
    write_stdout(
        format!(
            "{} definitions valid in {}\n",
            valid.indicators.len(),
            inputs.indicators.display()
        )
        .as_bytes(),
    )?;
    Ok(0)
}

/// Which result rows `compute` prints (`--period`, `--level`, `--area`).
struct RowFilter {
    period: Option<String>,
    level: Option<Level>,
    area: Option<String>,
}

/// Where and how `compute` writes its table (`--format`, `--out`).
struct Output {
    format: TableFormat,
    out: Option<PathBuf>,
}

/// How `compute` runs besides what it computes (`--timings`, `--reports`,
/// `--strict`).
struct RunOptions {
    timings: bool,
    reports: Option<PathBuf>,
    strict: bool,
}

fn compute_command(
    inputs: Inputs,
    engine: Engine,
    indicators_wanted: &[String],
    filter: RowFilter,
    Output { format, out }: Output,
    RunOptions {
        timings,
        reports,
        strict,
    }: RunOptions,
) -> Result<u8, Error> {
    let backend = engine.backend()?;
    if let Some(path) = &out {
        // a bad destination is refused before the work, not after
        pireport::check_destination(path)?;
    }
    let rt = runtime()?;
    let started = std::time::Instant::now();
    let mut run = rt.block_on(pireport::compute_on(
        &backend,
        &inputs.indicators,
        &inputs.data,
        indicators_wanted,
    ))?;
    if timings {
        let compute = started.elapsed().as_secs_f64();
        let floor = rt.block_on(pireport::engine::scan_floor(
            &run.session,
            indicators_wanted,
        ))?;
        let ratio = compute / floor.elapsed().as_secs_f64().max(1e-9);
        eprintln!("{floor}\ncompute wall time {compute:.3} s ({ratio:.2}x the scan floor)");
    }
    let reports_dir = reports.clone().unwrap_or_else(|| PathBuf::from("reports"));
    let checked = std::time::Instant::now();
    let notes = rt.block_on(run.data_quality_checked(indicators_wanted, &reports_dir, strict))?;
    if timings {
        let quality = checked.elapsed().as_secs_f64();
        eprintln!("data-quality checks {quality:.3} s");
    }
    match run.peer_groups(&backend, &inputs.data, &reports_dir)? {
        Some(groups) => run.compare_with_peers(&groups)?,
        None if reports.is_some() => {
            return Err(pireport::PeersError::Read {
                path: pireport::PeerGroupsFile::path_in(&reports_dir),
                reason: "no such file (write one, see reports/peer-groups.yaml)".into(),
            }
            .into());
        }
        None => eprintln!(
            "note: no {} here: vs_peers and peer_rank are left empty (pass --reports DIR holding it)",
            pireport::PeerGroupsFile::path_in(&reports_dir).display()
        ),
    }
    let rows = filter_rows(
        run.rows,
        filter.period.as_deref(),
        filter.level,
        filter.area.as_deref(),
    )?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    match out {
        Some(path) => write_table(&rows, format, &path)?,
        None if format == TableFormat::Parquet => {
            return Err(RequestError::ParquetNeedsOut.into());
        }
        None => write_stdout(&render_table(&rows, format)?)?,
    }
    if timings {
        // what the user waits for: compute, data-quality checks, peers and
        // the table written (and the scan floor's own read, printed above)
        let whole = started.elapsed().as_secs_f64();
        eprintln!("command wall time {whole:.3} s (the scan floor's read included)");
    }
    Ok(0)
}

async fn explain(id: String, analyze: bool, inputs: Inputs) -> Result<u8, Error> {
    let explained = pireport::explain_on(&inputs.indicators, &inputs.data, &id, analyze).await?;
    write_stdout(explained.plan.as_bytes())?;
    if let Some(text) = explained.analyzed {
        write_stdout(
            format!("\n-- {id}: physical plan as run (EXPLAIN ANALYZE)\n{text}").as_bytes(),
        )?;
    }
    Ok(0)
}

fn filter_rows(
    rows: Vec<ResultRow>,
    period: Option<&str>,
    level: Option<Level>,
    area: Option<&str>,
) -> Result<Vec<ResultRow>, Error> {
    if let Some(p) = period {
        request::period(p)?;
    }
    let want_level = level.map(|l| match l {
        Level::La => AreaLevel::La,
        Level::Region => AreaLevel::Region,
        Level::National => AreaLevel::National,
    });
    // by label: `2009-10 Q2` names the quarter and the rolling year ending with it
    let wanted = |r: &ResultRow| {
        period.is_none_or(|p| r.period.to_string() == p)
            && want_level.is_none_or(|l| r.area_level == l)
            && area.is_none_or(|a| r.area_code == a)
    };
    if !rows.iter().any(wanted) {
        return Err(no_matching_rows(&rows, period, level, area).into());
    }
    Ok(rows.into_iter().filter(wanted).collect())
}

/// Why `--period`, `--level` and `--area` together match none of `rows`:
/// each filter as given, and the first that no row matches on its own.
fn no_matching_rows(
    rows: &[ResultRow],
    period: Option<&str>,
    level: Option<Level>,
    area: Option<&str>,
) -> RequestError {
    let level_name = level.map(|l| format!("{l:?}").to_lowercase());
    let mut asked = Vec::new();
    asked.extend(period.map(|p| format!("--period {p}")));
    asked.extend(level_name.as_ref().map(|l| format!("--level {l}")));
    asked.extend(area.map(|a| format!("--area {a}")));
    let asked = if asked.is_empty() {
        "the indicators asked for".to_string()
    } else {
        asked.join(" ")
    };
    let why = if let Some(p) = period.filter(|p| !rows.iter().any(|r| r.period.to_string() == *p)) {
        let first = rows.iter().map(|r| r.period).min();
        let last = rows.iter().map(|r| r.period).max();
        match (first, last) {
            (Some(a), Some(b)) => format!(
                "no result is for period {p} (the results run from {a} to {b}, e.g. `2009-10` or `2009-10 Q2`)"
            ),
            _ => "there are no results at all (no period is computed yet)".to_string(),
        }
    } else if let Some(a) = area.filter(|a| !rows.iter().any(|r| r.area_code == *a)) {
        format!(
            "no result is for area {a}: give the GSS code of an LA or region of the geography table, or E92000001+W92000004 for England and Wales"
        )
    } else {
        "each matches some results, but none together: drop one".to_string()
    };
    RequestError::NoMatchingRows { asked, why }
}

fn laa(
    inputs: Inputs,
    area: String,
    year: Option<String>,
    format: LaaFormat,
    fail_on: Option<FailOn>,
) -> Result<u8, Error> {
    let year = year.as_deref().map(request::financial_year).transpose()?;
    let rt = runtime()?;
    let pireport::LaaOutcome {
        area: la,
        year,
        lines,
        notes,
    } = rt.block_on(pireport::laa_on(
        &pireport::Backend::Local,
        &inputs.indicators,
        &inputs.data,
        &area,
        year,
    ))?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    let out = match format {
        LaaFormat::Json => {
            serde_json::to_string_pretty(&lines).map_err(|e| pireport::RenderError::Encode {
                format: "JSON",
                message: e.to_string(),
            })? + "\n"
        }
        LaaFormat::Csv => pireport::laa_csv(&lines),
        LaaFormat::Table => pireport::laa_table(&lines, &area, &la.name, year),
    };
    write_stdout(out.as_bytes())?;
    let failing = |s: TargetStatus| match fail_on {
        Some(FailOn::Worse) => s == TargetStatus::Worse,
        Some(FailOn::OffTrack) => s.is_behind(),
        None => false,
    };
    Ok(if lines.iter().any(|l| failing(l.status)) {
        1
    } else {
        0
    })
}

/// Where a pack goes and what else it does.
#[derive(clap::Args, Debug, Clone)]
struct PackOutput {
    /// Directory of pack definitions (dom.yaml, laa.yaml, strategy.yaml).
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
    /// Output directory (must not exist, or be empty); default
    /// pack-KIND-AREA-PERIOD (pack-national-QUARTER for the national set).
    #[arg(long)]
    out: Option<PathBuf>,
    /// An earlier edition of the same pack: flag every revised figure.
    /// For a set (`--region all`, `pack national`), the directory the
    /// earlier set was written to: each pack is compared with its own.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Also print each pack.pdf with headless Chromium.
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
    /// The national drug strategy report: Strategic Outcomes, regions, prison and probation.
    Strategy {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        output: PackOutput,
        #[command(flatten)]
        engine: Engine,
        /// Financial year, e.g. 2009-10.
        #[arg(long)]
        year: String,
    },
    /// The national set from one computation: every region's DOM pack
    /// (OUT/dom/REGION), every LAA report with targets that year
    /// (OUT/laa/AREA) and the strategy report (OUT/strategy).
    National {
        #[command(flatten)]
        inputs: Inputs,
        #[command(flatten)]
        engine: Engine,
        /// Quarter of the DOM packs, e.g. "2009-10 Q2".
        #[arg(long)]
        quarter: String,
        /// Financial year of the LAA and strategy reports (default: the
        /// quarter's year), e.g. 2009-10.
        #[arg(long)]
        year: Option<String>,
        #[command(flatten)]
        output: PackOutput,
    },
}

/// `pack national`: every pack from one computation.
fn national_command(
    inputs: Inputs,
    engine: Engine,
    quarter: String,
    year: Option<String>,
    settings: pireport::PackSettings,
) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let backend = engine.backend()?;
    let bar = indicatif::ProgressBar::no_length().with_message("packs");
    let set = runtime()?.block_on(pireport::pack_national_on(
        &backend,
        &inputs.indicators,
        &inputs.data,
        &quarter,
        year.as_deref(),
        &settings,
        &|_dir: &str| bar.inc(1),
    ))?;
    bar.finish_and_clear();
    if set.laa.is_empty() {
        eprintln!(
            "note: no LAA area has targets for {}: the set has no LAA report (targets are read from {})",
            year.as_deref().unwrap_or("the quarter's financial year"),
            inputs.indicators.join("laa-targets.yaml").display()
        );
    }
    unrevised_note(settings.previous.as_deref(), &set.unrevised);
    eprintln!(
        "wrote {} pack(s) to {} in {:.1} s: {} DOM, {} LAA, 1 strategy",
        set.len(),
        settings.out.display(),
        started.elapsed().as_secs_f64(),
        set.dom.len(),
        set.laa.len()
    );
    Ok(0)
}

/// Name the packs of a set that `--previous` holds no earlier edition of.
fn unrevised_note(previous: Option<&std::path::Path>, unrevised: &[String]) {
    if let (Some(dir), false) = (previous, unrevised.is_empty()) {
        eprintln!(
            "note: {} has no earlier edition of {}: {} revisions are not checked",
            dir.display(),
            unrevised.join(", "),
            if unrevised.len() == 1 { "its" } else { "their" }
        );
    }
}

fn pack_command(cmd: PackCommand) -> Result<u8, Error> {
    let started = std::time::Instant::now();
    let (inputs, output, engine, req) = match cmd {
        PackCommand::National {
            inputs,
            engine,
            quarter,
            year,
            output,
        } => {
            let out = output.out.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "pack-national-{}",
                    pireport::pack::safe_name(&quarter.replace(' ', "-"))
                ))
            });
            let settings = pireport::PackSettings {
                reports: output.reports,
                out,
                previous: output.previous,
                pdf: output.pdf,
            };
            return national_command(inputs, engine, quarter, year, settings);
        }
        PackCommand::Dom {
            inputs,
            output,
            engine,
            region,
            quarter,
        } => (inputs, output, engine, PackRequest::Dom { region, quarter }),
        PackCommand::Laa {
            inputs,
            output,
            engine,
            area,
            year,
        } => (inputs, output, engine, PackRequest::Laa { area, year }),
        PackCommand::Strategy {
            inputs,
            output,
            engine,
            year,
        } => (inputs, output, engine, PackRequest::Strategy { year }),
    };
    let settings = pireport::PackSettings {
        out: output.out.unwrap_or_else(|| req.default_out()),
        reports: output.reports,
        previous: output.previous,
        pdf: output.pdf,
    };
    let backend = engine.backend()?;
    // every region's packs: a bar counting the regions done
    let bar = matches!(&req, PackRequest::Dom { region, .. } if region == "all")
        .then(|| indicatif::ProgressBar::new(10).with_message("regions"));
    let written = runtime()?.block_on(pireport::pack_on(
        &backend,
        &inputs.indicators,
        &inputs.data,
        &req,
        &settings,
        &|_region: &str| {
            if let Some(b) = &bar {
                b.inc(1)
            }
        },
    ))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    unrevised_note(settings.previous.as_deref(), &written.unrevised);
    let written = written.packs;
    eprintln!(
        "wrote {written} pack(s) to {} in {:.1} s",
        settings.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}
