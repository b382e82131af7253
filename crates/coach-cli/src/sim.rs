//! `coach sim serve`.

pub async fn serve(port: u16, seed: u64, start: Option<String>, speed: f64) -> anyhow::Result<()> {
    let clock = match start {
        Some(s) => coach_sim::SimClock::Replay {
            start: chrono::DateTime::parse_from_rfc3339(&s)
                .map_err(|e| anyhow::anyhow!("--start {s:?} is not an RFC 3339 time: {e}"))?
                .to_utc(),
            wall_start: std::time::Instant::now(),
            speed: if speed > 0.0 && speed.is_finite() {
                speed
            } else {
                anyhow::bail!("--speed must be a positive number")
            },
        },
        None => coach_sim::SimClock::demo(chrono::Utc::now()),
    };
    let sim = coach_sim::SimHandle::start(coach_sim::SimConfig {
        port,
        seed,
        clock,
        ..Default::default()
    })
    .await?;
    println!(
        "{}",
        serde_json::json!({"rest_url": sim.rest_url(), "ws_url": sim.ws_url(), "seed": seed, "now": sim.now().to_rfc3339()})
    );
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
