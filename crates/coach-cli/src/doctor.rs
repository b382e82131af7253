//! `coach doctor`.

use std::io::Write;
use std::process::ExitCode;

use coach_engine::doctor::DoctorReport;
use coach_engine::{Engine, EngineOptions};

pub async fn doctor(opts: EngineOptions, json: bool) -> ExitCode {
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
