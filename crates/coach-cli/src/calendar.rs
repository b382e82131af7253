//! `coach calendar sessions`.

use std::io::Write;

use crate::parse_day;

fn utc_z(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn sessions(from: &str, to: &str) -> anyhow::Result<()> {
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
