//! `coach screenshot analyze`: a broker's positions screen read into
//! positions, each field with its confidence: by the configured model's
//! vision (reader "vision"), or by Tesseract with `--offline`, without a
//! model, or when the model cannot read it (reader "ocr", with a warning
//! saying why). `screenshot save` comes with #17.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use coach_engine::config::AiConfig;
use coach_engine::{Engine, EngineOptions};

pub async fn analyze(
    opts: EngineOptions,
    file: &Path,
    offline: bool,
    json: bool,
) -> anyhow::Result<()> {
    let today = coach_engine::chrono::Utc::now().date_naive();
    let a = if offline {
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || {
            coach_engine::screenshots::analyze_offline(&file, today)
        })
        .await??
    } else {
        let engine = Engine::start(opts).await?;
        let ai: AiConfig = engine.ai_config().clone();
        // On the demo market its clock says what today is (expirations are
        // checked against it).
        let today = engine.demo_market().map_or(today, |m| m.now().date_naive());
        // The chat's timeout bounds the whole request.
        let timeout = Duration::from_secs(u64::from(
            engine
                .env()
                .chat_timeout_secs
                .unwrap_or(engine.settings().chat_timeout_secs),
        ));
        let bytes = coach_engine::screenshots::read_image_file(file)?;
        coach_engine::screenshots::analyze_bytes(&bytes, &ai, false, today, timeout).await?
    };
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&a)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "read with {} ({} layout)",
        a.reader, a.extraction.broker
    )?;
    for p in &a.extraction.positions {
        let c = &p.confidence;
        let low = [
            c.underlying,
            c.kind,
            c.strike,
            c.expiration,
            c.quantity,
            c.price,
        ]
        .into_iter()
        .fold(1.0f32, f32::min);
        writeln!(
            out,
            "{:<22} qty {:>6} @ {:>9}   lowest confidence {:.0} %",
            p.symbol,
            p.quantity
                .map(|q| q.to_string())
                .unwrap_or_else(|| "?".into()),
            p.price
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "?".into()),
            low * 100.0
        )?;
    }
    for w in &a.extraction.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
