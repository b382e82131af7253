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
}

#[derive(Subcommand)]
enum SimCommand {
    /// Serve the demo market (Massive's REST and WebSocket protocol) on 127.0.0.1 until interrupted.
    Serve {
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = 1)]
        seed: u64,
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
        log_dir: telemetry.log_dir.clone(),
    };
    match cli.command {
        Command::Doctor { json } => doctor(opts, json).await,
        Command::Sim {
            command: SimCommand::Serve { port, seed },
        } => sim_serve(port, seed).await,
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

async fn sim_serve(port: u16, seed: u64) -> ExitCode {
    let sim = match coach_sim::SimHandle::start(coach_sim::SimConfig {
        port,
        seed,
        ..Default::default()
    })
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "{}",
        serde_json::json!({"rest_url": sim.rest_url(), "ws_url": sim.ws_url(), "seed": seed})
    );
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
