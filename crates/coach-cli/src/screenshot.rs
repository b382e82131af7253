//! `coach screenshot analyze`: a broker's positions screen read into
//! positions, each field with its confidence (groundwork for #17: the local
//! OCR reader; the model's vision reader and `screenshot save` come with it).

use std::io::Write;
use std::path::Path;

use coach_engine::config::AiConfig;
use coach_engine::{Engine, EngineOptions};

pub async fn analyze(
    opts: EngineOptions,
    file: &Path,
    offline: bool,
    json: bool,
) -> anyhow::Result<()> {
    if !offline {
        let engine = Engine::start(opts).await?;
        if matches!(engine.ai_config(), AiConfig::Model { .. }) {
            anyhow::bail!(
                "reading screenshots with the model (vision) is not built yet; use --offline to read it with Tesseract"
            );
        }
    }
    let today = coach_engine::chrono::Utc::now().date_naive();
    let file = file.to_path_buf();
    let a = tokio::task::spawn_blocking(move || {
        coach_engine::screenshots::analyze_offline(&file, today)
    })
    .await??;
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
