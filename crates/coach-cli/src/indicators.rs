//! `coach indicators`.

use std::io::Write;

pub fn from_csv(input: &std::path::Path, specs: &[String]) -> anyhow::Result<()> {
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
