//! `coach`: the AI Coach engine from the command line. Every command can
//! print JSON (`--json`), for scripts and for QA.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use coach_engine::config::{EnvOverrides, ProviderChoice};
use coach_engine::doctor::DoctorReport;
use coach_engine::secrets::SecretStore;
use coach_engine::{Engine, EngineOptions};

mod chat;
mod options;

#[derive(Parser)]
#[command(
    name = "coach",
    version,
    about = "AI Coach from the command line: market data, analytics and the coach, as JSON."
)]
struct Cli {
    /// Market data source: the built-in demo market, or Massive (needs MASSIVE_API_KEY).
    #[arg(long, global = true, value_enum)]
    provider: Option<Provider>,
    /// Data directory shared with the app (default: the platform data dir; env COACH_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Log to stderr as well as the log file.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Provider {
    Demo,
    Massive,
}

#[derive(Subcommand)]
enum Command {
    /// Check the set-up: data dir, database, modes, secrets (set or not, never their values), endpoints.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// The demo market simulator.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// The NYSE calendar (1990 through 2035).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Historical bars as JSON lines, oldest first.
    Bars {
        symbol: String,
        #[arg(long, default_value = "1d")]
        timeframe: String,
        /// First day (YYYY-MM-DD, New York), inclusive.
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD, New York), inclusive.
        #[arg(long)]
        to: String,
    },
    /// Indicators over bars from a CSV file (header time,open,high,low,close,volume):
    /// one JSON object per bar, in order, `null` during warm-up.
    Indicators {
        /// The CSV file; time as unix seconds, unix ms or RFC 3339.
        #[arg(long)]
        input: PathBuf,
        /// sma:N, ema:N, rsi:N, macd:F:S:SIG, atr:N, bbands:N:K, vwap, stoch:K:D
        #[arg(long = "indicator", required = true, num_args = 1..)]
        indicators: Vec<String>,
    },
    /// Today's key levels for a symbol, highest price first.
    Levels {
        symbol: String,
        /// The moment (RFC 3339); default: now on the market's clock.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Options math over JSON lines on stdin (one answer line per input line).
    Options {
        #[command(subcommand)]
        command: OptionsCommand,
    },
    /// Compare the bars stored for symbols over the last two hours with the
    /// provider's history and correct those that differ (what the app does
    /// every few minutes for the symbols it follows live). One JSON line per
    /// symbol and timeframe checked.
    Reconcile {
        #[arg(required = true)]
        symbols: Vec<String>,
    },
    /// Ask the coach. Streams a readable transcript, or with --json one ChatEvent
    /// per line: status, token, tool_call, tool_result, card, grounding, done / error.
    Chat {
        prompt: String,
        /// Continue this session (default: a new one).
        #[arg(long)]
        session: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// The coach's saved conversations.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Live candle updates and connection-state changes as JSON lines.
    Stream {
        #[arg(required = true)]
        symbols: Vec<String>,
        #[arg(long, default_value = "1m")]
        timeframe: String,
        /// Stop after this many seconds (default: run until interrupted).
        #[arg(long = "for")]
        duration: Option<f64>,
    },
}

#[derive(Subcommand)]
enum OptionsCommand {
    /// European BSM price and Greeks: reads
    /// {"kind":"call"|"put","spot","strike","years","rate","dividend","vol"} per line,
    /// writes {"price","delta","gamma","theta","vega","rho"} (theta per day, vega and rho per point).
    Price,
    /// Implied volatility: reads {"kind","spot","strike","years","rate","dividend","price"}
    /// per line, writes {"iv":σ} or {"iv":null,"error":"..."}.
    Iv,
    /// Analyse a position (one expiration, plus stock) from a JSON file: max gain/loss,
    /// exact breakevens, Greeks, probability of profit, P&L now, at expiry and at dates.
    /// Schema: docs/options.md ("coach options analyze").
    Analyze {
        #[arg(long)]
        positions: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// One expiration's chain from the market (default: the nearest): calls and puts
    /// by strike with bid/ask/mid/last/volume/OI, IV and Greeks (computed when the
    /// provider sends none), the expected move.
    Chain {
        symbol: String,
        /// YYYY-MM-DD
        #[arg(long)]
        expiration: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SessionsCommand {
    /// Sessions, most recent first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One session with every message, tool call and card.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Full-text search across all sessions (every word must appear; the last may be a prefix).
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Rename a session.
    Rename { id: i64, title: String },
    /// Delete a session and its messages.
    Delete { id: i64 },
    /// Import sessions from a file of JSON lines, each as `sessions show --json`
    /// prints one (all or nothing; a bad line is named). Prints the new ids.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// One JSON object per session between two dates, inclusive.
    Sessions {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// Serve the demo market (Massive's REST and WebSocket protocol) on 127.0.0.1 until interrupted.
    Serve {
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Replay from this instant (RFC 3339) instead of the demo default.
        #[arg(long)]
        start: Option<String>,
        /// Replay speed (with --start): 60 plays a minute per second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let mut env = EnvOverrides::from_env();
    if let Some(dir) = cli.data_dir.clone() {
        env.data_dir = Some(dir);
    }
    let data_dir = coach_engine::resolve_data_dir(&env);
    if let Err(e) = coach_engine::ensure_data_dir(&data_dir) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let secrets = Arc::new(SecretStore::open(&data_dir));
    let (resolved, _) = coach_engine::resolve_secrets(&env, &secrets);
    let telemetry = coach_engine::telemetry::init(coach_engine::telemetry::TelemetryOptions {
        data_dir: Some(data_dir.clone()),
        sentry_dsn: resolved.sentry_dsn.clone(),
        stderr: cli.verbose,
        default_filter: "info".into(),
        program: "coach",
    });
    let span = tracing::info_span!(
        "cli",
        request_id = coach_engine::telemetry::next_request_id()
    );
    let _entered = span.enter();
    let (settings, settings_issues) = coach_engine::read_settings_file(&data_dir);
    let opts = EngineOptions {
        data_dir,
        env,
        secrets,
        settings,
        settings_issues,
        provider_override: cli.provider.map(|p| match p {
            Provider::Demo => ProviderChoice::Demo,
            Provider::Massive => ProviderChoice::Massive,
        }),
        demo_seed: 1,
        demo_clock: None,
        lazy_market: false,
        log_dir: telemetry.log_dir.clone(),
    };
    let mut opts = opts;
    opts.lazy_market = !matches!(cli.command, Command::Doctor { .. } | Command::Stream { .. });
    let result = match cli.command {
        Command::Doctor { json } => return doctor(opts, json).await,
        Command::Sim {
            command:
                SimCommand::Serve {
                    port,
                    seed,
                    start,
                    speed,
                },
        } => sim_serve(port, seed, start, speed).await,
        Command::Calendar {
            command: CalendarCommand::Sessions { from, to },
        } => calendar_sessions(&from, &to),
        Command::Bars {
            symbol,
            timeframe,
            from,
            to,
        } => bars(opts, &symbol, &timeframe, &from, &to).await,
        Command::Stream {
            symbols,
            timeframe,
            duration,
        } => stream(opts, &symbols, &timeframe, duration).await,
        Command::Reconcile { symbols } => reconcile(opts, &symbols).await,
        Command::Indicators { input, indicators } => indicators_csv(&input, &indicators),
        Command::Options {
            command:
                OptionsCommand::Chain {
                    symbol,
                    expiration,
                    json,
                },
        } => options_chain(opts, &symbol, expiration.as_deref(), json).await,
        Command::Options {
            command: OptionsCommand::Analyze { positions, json },
        } => options::analyze(&positions, json),
        Command::Options {
            command: OptionsCommand::Price,
        } => options_lines(LineKind::Price),
        Command::Options {
            command: OptionsCommand::Iv,
        } => options_lines(LineKind::Iv),
        Command::Levels { symbol, at, json } => levels(opts, &symbol, at.as_deref(), json).await,
        Command::Chat {
            prompt,
            session,
            json,
        } => match chat::chat(opts, prompt, session, json).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Sessions { command } => chat::sessions(opts, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "command failed");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn doctor(opts: EngineOptions, json: bool) -> ExitCode {
    let report = match Engine::start(opts_clone_for_failure(&opts)).await {
        Ok(engine) => engine.doctor().await,
        Err(e) => coach_engine::doctor_for_failed_start(&opts, &e),
    };
    let healthy = report.database.error.is_none() && report.endpoints.iter().all(|e| e.ok);
    if json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print_doctor(&report);
    }
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `Engine::start` takes its options by value; doctor keeps a copy to
/// describe the set-up when the start fails.
fn opts_clone_for_failure(o: &EngineOptions) -> EngineOptions {
    EngineOptions {
        data_dir: o.data_dir.clone(),
        env: o.env.clone(),
        secrets: o.secrets.clone(),
        settings: o.settings.clone(),
        settings_issues: o.settings_issues.clone(),
        provider_override: o.provider_override,
        demo_seed: o.demo_seed,
        demo_clock: o.demo_clock.clone(),
        lazy_market: o.lazy_market,
        log_dir: o.log_dir.clone(),
    }
}

fn print_doctor(r: &DoctorReport) {
    let mut out = std::io::stdout().lock();
    let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
    let _ = writeln!(out, "AI Coach {}", r.version);
    let _ = writeln!(out, "  data dir      {}", r.data_dir);
    if let Some(l) = &r.log_dir {
        let _ = writeln!(out, "  logs          {l}");
    }
    match (&r.database.error, r.database.schema_version) {
        (None, Some(v)) => {
            let _ = writeln!(
                out,
                "  database      {} (schema {v} of {}, {})",
                r.database.path,
                r.database.supported_schema_version,
                r.database.journal_mode.as_deref().unwrap_or("?")
            );
        }
        (err, _) => {
            let _ = writeln!(out, "  database      {}", r.database.path);
            let _ = writeln!(
                out,
                "  [FAIL]        {}",
                err.as_deref().unwrap_or("unknown error")
            );
        }
    }
    let _ = writeln!(out, "  market        {}", r.market_mode);
    let _ = writeln!(out, "  AI            {}", r.ai_mode);
    let _ = writeln!(out, "  secrets in    {:?}", r.secret_backend);
    if let Some(w) = &r.secret_backend_warning {
        let _ = writeln!(out, "  warning       {w}");
    }
    for s in &r.secrets {
        let state = match (&s.set, &s.source) {
            (true, Some(src)) => format!("set ({src})"),
            _ => "not set".to_string(),
        };
        let _ = writeln!(out, "  {:<13} {state}   [{}]", s.label, s.env_var);
    }
    for e in &r.endpoints {
        let _ = writeln!(
            out,
            "  [{}] {:<17} {} — {}{}",
            mark(e.ok),
            e.name,
            e.url,
            e.detail,
            e.latency_ms
                .map(|ms| format!(" ({ms} ms)"))
                .unwrap_or_default()
        );
    }
    for i in &r.settings_issues {
        let _ = writeln!(out, "  setting       {i}");
    }
}

async fn sim_serve(port: u16, seed: u64, start: Option<String>, speed: f64) -> anyhow::Result<()> {
    let clock = match start {
        Some(s) => coach_sim::SimClock::Replay {
            start: chrono::DateTime::parse_from_rfc3339(&s)
                .map_err(|e| anyhow::anyhow!("--start {s:?} is not an RFC 3339 time: {e}"))?
                .to_utc(),
            wall_start: std::time::Instant::now(),
            speed: if speed > 0.0 && speed.is_finite() {
                speed
            } else {
                anyhow::bail!("--speed must be a positive number")
            },
        },
        None => coach_sim::SimClock::demo(chrono::Utc::now()),
    };
    let sim = coach_sim::SimHandle::start(coach_sim::SimConfig {
        port,
        seed,
        clock,
        ..Default::default()
    })
    .await?;
    println!(
        "{}",
        serde_json::json!({"rest_url": sim.rest_url(), "ws_url": sim.ws_url(), "seed": seed, "now": sim.now().to_rfc3339()})
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}

fn parse_day(s: &str, flag: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("{flag} {s:?} is not a date: use YYYY-MM-DD"))
}

fn utc_z(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn calendar_sessions(from: &str, to: &str) -> anyhow::Result<()> {
    let (from, to) = (parse_day(from, "--from")?, parse_day(to, "--to")?);
    if from > to {
        anyhow::bail!("--from {from} is after --to {to}");
    }
    let mut out = std::io::stdout().lock();
    for s in coach_core::calendar::sessions(from, to)? {
        writeln!(
            out,
            "{}",
            serde_json::json!({"date": s.date.to_string(), "open": utc_z(s.open), "close": utc_z(s.close), "early_close": s.early_close})
        )?;
    }
    Ok(())
}

async fn bars(
    opts: EngineOptions,
    symbol: &str,
    timeframe: &str,
    from: &str,
    to: &str,
) -> anyhow::Result<()> {
    let (from, to) = (parse_day(from, "--from")?, parse_day(to, "--to")?);
    let engine = Engine::start(opts).await?;
    let q = coach_engine::market::history::ChartQuery {
        symbol: symbol.to_string(),
        timeframe: timeframe.to_string(),
        from_ms: Some(coach_core::calendar::midnight_ny(from)),
        to_ms: Some(coach_core::calendar::midnight_ny(to.succ_opt().unwrap_or(to)) - 1),
    };
    let data = engine.bar_history().load(&q).await?;
    let mut out = std::io::stdout().lock();
    for b in data.bars {
        let mut v = serde_json::json!({"time": b.time, "open": b.open, "high": b.high, "low": b.low, "close": b.close, "volume": b.volume});
        if let Some(vw) = b.vwap {
            v["vwap"] = serde_json::json!(vw);
        }
        writeln!(out, "{v}")?;
    }
    Ok(())
}

async fn levels(
    opts: EngineOptions,
    symbol: &str,
    at: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let at = at
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.to_utc())
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--at {t:?} is not an RFC 3339 time such as 2024-07-02T15:00:00Z"
                    )
                })
        })
        .transpose()?;
    let engine = Engine::start(opts).await?;
    let r = engine.levels().levels(symbol, at).await?;
    let mut out = std::io::stdout().lock();
    if json {
        let levels: Vec<serde_json::Value> = r
            .levels
            .iter()
            .map(|l| {
                serde_json::json!({
                    "kind": l.kind, "label": l.label, "price": l.price,
                    "distance_pts": l.distance_pts, "distance_pct": l.distance_pct,
                    "distance_atr": l.distance_atr, "tests": l.tests.touches,
                    "rejections": l.tests.rejections, "breaks": l.tests.breaks,
                    "strength": l.strength, "provenance": l.provenance,
                })
            })
            .collect();
        let v = serde_json::json!({"symbol": r.symbol, "price": r.price, "atr": r.atr, "levels": levels});
        writeln!(out, "{v}")?;
        return Ok(());
    }
    let when = chrono::DateTime::from_timestamp_millis(r.at_ms)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::America::New_York);
    writeln!(
        out,
        "{}  {:.2}  at {} ET  ATR(14d) {}",
        r.symbol,
        r.price,
        when.format("%a %Y-%m-%d %H:%M"),
        r.atr
            .map(|a| format!("{a:.2}"))
            .unwrap_or_else(|| "n/a".into())
    )?;
    writeln!(
        out,
        "{:<22} {:>10} {:>9} {:>8} {:>7} {:>6} {:>3}",
        "level", "price", "pts", "%", "ATR", "tests", "str"
    )?;
    let mut price_shown = false;
    for l in &r.levels {
        if !price_shown && l.price < r.price {
            writeln!(out, "{:<22} {:>10.2}  ← last price", "", r.price)?;
            price_shown = true;
        }
        writeln!(
            out,
            "{:<22} {:>10.2} {:>+9.2} {:>+7.2}% {:>7} {:>6} {:>3}",
            l.label,
            l.price,
            l.distance_pts,
            l.distance_pct,
            l.distance_atr
                .map(|a| format!("{a:+.2}"))
                .unwrap_or_default(),
            format!(
                "{}/{}r/{}b",
                l.tests.touches, l.tests.rejections, l.tests.breaks
            ),
            l.strength
        )?;
    }
    if !price_shown {
        writeln!(out, "{:<22} {:>10.2}  ← last price", "", r.price)?;
    }
    Ok(())
}

#[derive(serde::Deserialize)]
struct OptionLine {
    kind: coach_core::options::OptionKind,
    spot: f64,
    strike: f64,
    years: f64,
    rate: f64,
    dividend: f64,
    vol: Option<f64>,
    price: Option<f64>,
}

impl OptionLine {
    fn contract(&self) -> coach_core::options::Contract {
        coach_core::options::Contract {
            kind: self.kind,
            spot: self.spot,
            strike: self.strike,
            years: self.years,
            rate: self.rate,
            dividend: self.dividend,
        }
    }
}

/// Answers one line of `coach options price|iv`; a bad line is an error
/// object, never the end of the run.
/// The line-by-line option commands.
#[derive(Clone, Copy)]
enum LineKind {
    Price,
    Iv,
}

fn option_answer(command: &LineKind, line: &str) -> serde_json::Value {
    use coach_core::options::{bsm, implied_vol};
    let input: OptionLine = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            let e = format!("invalid input line: {e}");
            return match command {
                LineKind::Price => serde_json::json!({"error": e}),
                LineKind::Iv => serde_json::json!({"iv": null, "error": e}),
            };
        }
    };
    match command {
        LineKind::Price => match input.vol {
            None => serde_json::json!({"error": "missing field `vol`"}),
            Some(vol) => match bsm(&input.contract(), vol) {
                Ok(g) => {
                    serde_json::json!({"price": g.price, "delta": g.delta, "gamma": g.gamma, "theta": g.theta, "vega": g.vega, "rho": g.rho})
                }
                Err(e) => serde_json::json!({"error": e.to_string()}),
            },
        },
        LineKind::Iv => match input.price {
            None => serde_json::json!({"iv": null, "error": "missing field `price`"}),
            Some(price) => match implied_vol(&input.contract(), price) {
                Ok(iv) => serde_json::json!({"iv": iv}),
                Err(e) => serde_json::json!({"iv": null, "error": e.to_string()}),
            },
        },
    }
}

async fn options_chain(
    opts: EngineOptions,
    symbol: &str,
    expiration: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let exp = expiration
        .map(|d| parse_day(d, "--expiration"))
        .transpose()?;
    let engine = Engine::start(opts).await?;
    let c = engine.options().chain(symbol, exp).await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&c)?)?;
        return Ok(());
    }
    let pct = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{:.1}%", x * 100.0));
    let px = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.2}"));
    let dl = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:+.2}"));
    writeln!(
        out,
        "{} options expiring {} · spot {:.2} · {} contracts ({} with IV/Greeks computed here)",
        c.symbol, c.expiration, c.spot, c.contracts, c.computed
    )?;
    if let Some(m) = &c.expected_move {
        writeln!(
            out,
            "expected move ±{:.2} ({:.2}%) from the {} straddle: {:.2} – {:.2}",
            m.straddle,
            m.fraction * 100.0,
            m.strike,
            m.low,
            m.high
        )?;
    }
    writeln!(
        out,
        "{:>8} {:>8} {:>7} {:>6} │ {:>8} │ {:>8} {:>8} {:>7} {:>6}",
        "call bid", "ask", "IV", "Δ", "strike", "put bid", "ask", "IV", "Δ"
    )?;
    for r in &c.rows {
        let side = |q: &Option<coach_engine::options_chain::OptionQuote>| match q {
            Some(q) => (px(q.bid), px(q.ask), pct(q.iv), dl(q.delta)),
            None => ("".into(), "".into(), "".into(), "".into()),
        };
        let (cb, ca, civ, cd) = side(&r.call);
        let (pb, pa, piv, pd) = side(&r.put);
        let atm = if c.atm_strike == Some(r.strike) {
            "*"
        } else {
            " "
        };
        writeln!(
            out,
            "{cb:>8} {ca:>8} {civ:>7} {cd:>6} │ {:>7.2}{atm} │ {pb:>8} {pa:>8} {piv:>7} {pd:>6}",
            r.strike
        )?;
    }
    writeln!(out, "expirations: {}", c.expirations.join(" "))?;
    Ok(())
}

fn options_lines(command: LineKind) -> anyhow::Result<()> {
    use std::io::BufRead;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", option_answer(&command, &line))?;
    }
    out.flush()?;
    Ok(())
}

fn indicators_csv(input: &std::path::Path, specs: &[String]) -> anyhow::Result<()> {
    use coach_core::barcsv::{self, TimeText};
    use coach_core::indicators::{IndicatorSet, Spec};
    let specs: Vec<Spec> = specs.iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    let text = std::fs::read_to_string(input)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", input.display()))?;
    // The whole file is checked before anything is printed.
    let bars = barcsv::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
    let mut set = IndicatorSet::new(&specs);
    let keys = set.keys().to_vec();
    let mut row = Vec::with_capacity(keys.len());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (time, bar) in &bars {
        set.push(bar, &mut row);
        let mut obj = serde_json::Map::with_capacity(keys.len() + 1);
        obj.insert(
            "time".into(),
            match time {
                TimeText::Number(n) => serde_json::json!(n),
                TimeText::Text(t) => serde_json::json!(t),
            },
        );
        for (k, v) in keys.iter().zip(&row) {
            obj.insert(k.clone(), serde_json::json!(v));
        }
        writeln!(out, "{}", serde_json::Value::Object(obj))?;
    }
    out.flush()?;
    Ok(())
}

async fn reconcile(opts: EngineOptions, symbols: &[String]) -> anyhow::Result<()> {
    let symbols: Vec<coach_core::Symbol> = symbols
        .iter()
        .map(|s| coach_core::Symbol::parse(s))
        .collect::<Result<_, _>>()?;
    let engine = Engine::start(EngineOptions {
        lazy_market: true,
        ..opts
    })
    .await?;
    let mut failed = None;
    let mut out = std::io::stdout().lock();
    for r in engine.market().reconcile_now(&symbols).await {
        match r {
            Ok(report) => writeln!(out, "{}", serde_json::to_string(&report)?)?,
            Err((symbol, tf, e)) => {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({"symbol": symbol.as_str(), "timeframe": tf.as_str(), "error": e.to_string()})
                )?;
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

async fn stream(
    opts: EngineOptions,
    symbols: &[String],
    timeframe: &str,
    duration: Option<f64>,
) -> anyhow::Result<()> {
    let symbols: Vec<coach_core::Symbol> = symbols
        .iter()
        .map(|s| coach_core::Symbol::parse(s))
        .collect::<Result<_, _>>()?;
    let tf: coach_core::Timeframe = timeframe.parse()?;
    let engine = Engine::start(opts).await?;
    let mut live = engine.market().live_candles(&symbols, &[tf]);
    let deadline = duration
        .map(|d| tokio::time::Instant::now() + std::time::Duration::from_secs_f64(d.max(0.0)));
    let mut last_state = None;
    loop {
        let item = match deadline {
            Some(d) => match tokio::time::timeout_at(d, live.recv()).await {
                Ok(item) => item,
                Err(_) => break,
            },
            None => tokio::select! {
                item = live.recv() => item,
                _ = tokio::signal::ctrl_c() => break,
            },
        };
        let Some(item) = item else { break };
        let line = match item {
            coach_engine::market::live::LiveItem::State(s) => {
                if last_state == Some(s.state) {
                    continue;
                }
                last_state = Some(s.state);
                serde_json::json!({"state": s.state})
            }
            coach_engine::market::live::LiveItem::Candle { symbol, update } => {
                let c = update.candle;
                serde_json::json!({
                    "symbol": symbol.as_str(), "timeframe": update.timeframe.as_str(), "time": c.time,
                    "open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume,
                    "final": update.is_final
                })
            }
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()?;
    }
    Ok(())
}
