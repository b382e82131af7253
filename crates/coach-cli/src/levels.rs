//! `coach levels`.

use std::io::Write;

use coach_engine::{Engine, EngineOptions};

pub async fn levels(
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
