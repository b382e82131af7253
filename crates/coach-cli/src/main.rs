//! `coach`: the AI Coach engine from the command line. Every command can
//! print JSON (`--json`), for scripts and for QA.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use coach_engine::config::ProviderChoice;

mod alerts;
mod calendar;
mod chat;
mod doctor;
mod indicators;
mod journal;
mod levels;
mod market;
mod options;
mod screenshot;
mod screenshot_save;
mod sim;

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
    /// The trade journal: broker imports, trades, figures, manual trades.
    Journal {
        #[command(subcommand)]
        command: journal::JournalCommand,
    },
    /// Price alerts: set, list, pause, resume, delete, history, and run the worker.
    Alerts {
        #[command(subcommand)]
        command: alerts::AlertsCommand,
    },
    /// Broker screenshots: `analyze FILE [--offline] [--json]` reads a positions
    /// screen (with the model's vision when one is configured, else Tesseract) into
    /// {"reader":"vision"|"ocr","broker","positions":[{"symbol",
    /// "underlying","kind","strike","expiration","quantity","price","confidence":{…}}],"warnings"}.
    Screenshot {
        #[command(subcommand)]
        command: ScreenshotCommand,
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
enum ScreenshotCommand {
    /// Read a positions screenshot (PNG, JPEG or WebP, up to 10 MB).
    Analyze {
        file: PathBuf,
        /// Read it locally with Tesseract, never sending it to the model.
        #[arg(long)]
        offline: bool,
        #[arg(long)]
        json: bool,
    },
    /// Store a screenshot and read it as a turn of a chat session (the user's
    /// message with the image, then the analysis with its extraction card).
    /// Prints {"session_id","user_message_id","message_id","image","reader",
    /// "broker","positions","warnings","error"} with --json.
    Save {
        file: PathBuf,
        /// The session to add the turn to (`coach sessions list`).
        #[arg(long)]
        session: i64,
        /// Words to go with the image.
        #[arg(long)]
        prompt: Option<String>,
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
    let booted = coach_engine::boot::boot(coach_engine::boot::BootRequest {
        program: "coach",
        platform_data_dir: None,
        data_dir_flag: cli.data_dir.clone(),
        stderr: cli.verbose,
    });
    if let Some(e) = &booted.data_dir_error {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let span = tracing::info_span!(
        "cli",
        request_id = coach_engine::telemetry::next_request_id()
    );
    let _entered = span.enter();
    // `coach` only reports a damaged settings file; the app moves it aside.
    let mut opts = booted.engine_options(coach_engine::read_settings_file(&booted.data_dir));
    opts.provider_override = cli.provider.map(|p| match p {
        Provider::Demo => ProviderChoice::Demo,
        Provider::Massive => ProviderChoice::Massive,
    });
    opts.lazy_market = !matches!(cli.command, Command::Doctor { .. } | Command::Stream { .. });
    let result = match cli.command {
        Command::Doctor { json } => return doctor::doctor(opts, json).await,
        Command::Sim {
            command:
                SimCommand::Serve {
                    port,
                    seed,
                    start,
                    speed,
                },
        } => sim::serve(port, seed, start, speed).await,
        Command::Calendar {
            command: CalendarCommand::Sessions { from, to },
        } => calendar::sessions(&from, &to),
        Command::Bars {
            symbol,
            timeframe,
            from,
            to,
        } => market::bars(opts, &symbol, &timeframe, &from, &to).await,
        Command::Stream {
            symbols,
            timeframe,
            duration,
        } => market::stream(opts, &symbols, &timeframe, duration).await,
        Command::Reconcile { symbols } => market::reconcile(opts, &symbols).await,
        Command::Indicators { input, indicators } => indicators::from_csv(&input, &indicators),
        Command::Options {
            command:
                OptionsCommand::Chain {
                    symbol,
                    expiration,
                    json,
                },
        } => options::chain(opts, &symbol, expiration.as_deref(), json).await,
        Command::Options {
            command: OptionsCommand::Analyze { positions, json },
        } => options::analyze(&positions, json),
        Command::Options {
            command: OptionsCommand::Price,
        } => options::lines(options::LineKind::Price),
        Command::Options {
            command: OptionsCommand::Iv,
        } => options::lines(options::LineKind::Iv),
        Command::Levels { symbol, at, json } => {
            levels::levels(opts, &symbol, at.as_deref(), json).await
        }
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
        Command::Alerts { command } => alerts::run(opts, command).await,
        Command::Screenshot {
            command:
                ScreenshotCommand::Analyze {
                    file,
                    offline,
                    json,
                },
        } => screenshot::analyze(opts, &file, offline, json).await,
        Command::Screenshot {
            command:
                ScreenshotCommand::Save {
                    file,
                    session,
                    prompt,
                    json,
                },
        } => match screenshot_save::save(opts, &file, session, prompt, json).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Journal { command } => match journal::run(opts, command).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
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

/// A `YYYY-MM-DD` flag, as the calendar, bars and options chain commands take one.
fn parse_day(s: &str, flag: &str) -> anyhow::Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("{flag} {s:?} is not a date: use YYYY-MM-DD"))
}
