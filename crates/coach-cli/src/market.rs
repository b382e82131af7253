//! `coach bars`, `coach stream` and `coach reconcile`: market data through the engine.

use std::io::Write;

use coach_engine::{Engine, EngineOptions};

use crate::parse_day;

pub async fn bars(
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

pub async fn stream(
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

pub async fn reconcile(opts: EngineOptions, symbols: &[String]) -> anyhow::Result<()> {
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
