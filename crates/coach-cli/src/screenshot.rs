//! `coach screenshot analyze`: a broker's positions screen read into
//! positions, each field with its confidence: by the configured model's
//! vision (reader "vision"), or by Tesseract with `--offline`, without a
//! model, or when the model cannot read it (reader "ocr", with a warning
//! saying why). Either way the positions are checked against the market
//! (listed expiration and strike, plausible price, totals), which raises or
//! lowers each field's confidence.

use std::io::Write;
use std::path::Path;

use coach_engine::{Engine, EngineOptions};
use serde_json::{json, Value};

/// Each field's confidence, to 4 places (0.9, not 0.8999999761581421).
fn confidence(c: &coach_core::screenshot::FieldConfidence) -> Value {
    let r = |x: f32| (f64::from(x) * 1e4).round() / 1e4;
    let fields = coach_core::screenshot::FieldConfidence::FIELDS;
    Value::Object(
        fields
            .iter()
            .zip(c.values())
            .map(|(k, v)| (k.to_string(), json!(r(v))))
            .collect(),
    )
}

/// Exactly the contract's fields: {"reader","broker","positions":[{"symbol",
/// "underlying","kind","strike","expiration","quantity","price",
/// "confidence"}],"warnings"} (the checks' reasons are in the app's card;
/// their effect is in the confidences).
pub fn contract_json(a: &coach_engine::screenshots::Analysis) -> Value {
    let x = &a.extraction;
    json!({
        "reader": a.reader,
        "broker": x.broker,
        "positions": x.positions.iter().map(|p| json!({
            "symbol": p.symbol,
            "underlying": p.underlying,
            "kind": p.kind,
            "strike": p.strike,
            "expiration": p.expiration.map(|d| d.to_string()),
            "quantity": p.quantity,
            "price": p.price,
            "confidence": confidence(&p.confidence),
        })).collect::<Vec<_>>(),
        "warnings": x.warnings,
    })
}

pub async fn analyze(
    opts: EngineOptions,
    file: &Path,
    offline: bool,
    json: bool,
) -> anyhow::Result<()> {
    // The size first: a huge file is refused without reading it.
    let bytes = coach_engine::screenshots::read_image_file(file)?;
    // The engine gives the model (unless --offline), the market the positions
    // are checked against, and its clock's date for dates shown without a year.
    let engine = Engine::start(opts).await?;
    let a = engine
        .screenshots()
        .analyze_image(&bytes, offline, &|_| {})
        .await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", contract_json(&a))?;
        return Ok(());
    }
    writeln!(
        out,
        "read with {} ({} layout)",
        a.reader, a.extraction.broker
    )?;
    for p in &a.extraction.positions {
        let low = p.confidence.lowest();
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
    for p in &a.extraction.positions {
        for c in p.checks.iter().filter(|c| !c.passed) {
            writeln!(
                out,
                "check failed ({}, {}): {}",
                p.symbol, c.field, c.reason
            )?;
        }
    }
    for w in &a.extraction.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
