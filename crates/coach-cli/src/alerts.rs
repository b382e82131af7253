//! `coach alerts`: set, list, pause, resume and delete price alerts, read
//! their history, and run the alerts worker in the foreground.

use std::io::Write;

use clap::Subcommand;
use coach_core::alerts::{Condition, Rearm, Trigger};
use coach_core::levels::LevelKind;
use coach_engine::alerts::{
    AlertEvent, AlertFeed, AlertInput, AlertView, DeliveryChannel, RunOptions,
};
use coach_engine::{Engine, EngineOptions};

#[derive(Subcommand)]
// Parsed once per run: the size of `add`'s flags does not matter.
#[allow(clippy::large_enum_variant)]
pub enum AlertsCommand {
    /// Set an alert. Prints {"id","symbol","condition","price","price2","level",
    /// "trigger","timeframe","state","created_at","expires_at",…}.
    Add {
        #[arg(long)]
        symbol: String,
        /// crosses_above, crosses_below, crosses, above, below, enters, exits, moves_up or moves_down.
        #[arg(long)]
        condition: String,
        /// The line; a channel's low; the percentage of a move.
        #[arg(long, conflicts_with = "level")]
        price: Option<f64>,
        /// A channel's high (enters, exits).
        #[arg(long)]
        price2: Option<f64>,
        /// A key level that moves with the market instead of a price: prior_day_high, vwap, or15_high, …
        #[arg(long)]
        level: Option<String>,
        /// Which level of that kind, by its label on the level sheet (default: the nearest to the price).
        #[arg(long)]
        level_label: Option<String>,
        /// once, once_per_bar, once_per_bar_close or every.
        #[arg(long, default_value = "once")]
        trigger: String,
        #[arg(long, default_value = "1m")]
        timeframe: String,
        /// With --trigger every: seconds between firings at least.
        #[arg(long, default_value_t = 0)]
        cooldown: u32,
        /// How far price must move away before a crossing can fire again: points (0.25) or percent (0.1%).
        /// Default: a quarter of ATR(14) of the timeframe.
        #[arg(long)]
        rearm: Option<String>,
        /// RFC 3339; default: no expiry.
        #[arg(long)]
        expires: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Every alert, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Firings, newest first, with each delivery's status.
    History {
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    Pause {
        id: i64,
    },
    /// Resume a paused alert (a fired or expired one is armed again).
    Resume {
        id: i64,
    },
    Delete {
        id: i64,
    },
    /// Run the alerts worker in the foreground: first what fired while it
    /// was not running ("missed": true), then each firing as it happens, one
    /// JSON line each: {"alert_id","symbol","condition","trigger_price","price","at","message","missed"}.
    Run {
        /// Stop after this many seconds (default: until interrupted).
        #[arg(long = "for")]
        duration: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_rearm(s: &str) -> anyhow::Result<Rearm> {
    let t = s.trim();
    let (num, pct) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| anyhow::anyhow!("--rearm {s:?}: give points (0.25) or a percentage (0.1%)"))?;
    Ok(if pct {
        Rearm::Percent(v)
    } else {
        Rearm::Points(v)
    })
}

fn line(v: &AlertView) -> String {
    let target = v
        .level_label
        .clone()
        .or_else(|| v.price.map(|p| format!("{p:.2}")))
        .unwrap_or_default();
    format!(
        "#{} {} {} {}{} [{}] {} — {}",
        v.id,
        v.symbol,
        v.condition.as_str(),
        target,
        v.price2.map(|p| format!("–{p:.2}")).unwrap_or_default(),
        trigger_name(v.trigger),
        state_name(v),
        v.status_text
    )
}

fn trigger_name(t: Trigger) -> &'static str {
    match t {
        Trigger::Once => "once",
        Trigger::OncePerBar => "once per bar",
        Trigger::OncePerBarClose => "on bar close",
        Trigger::Every => "every time",
    }
}

fn state_name(v: &AlertView) -> String {
    serde_json::to_value(v.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A firing as `coach alerts run` prints it.
fn firing_json(e: &AlertEvent) -> serde_json::Value {
    serde_json::json!({
        "alert_id": e.alert_id,
        "symbol": e.symbol,
        "condition": e.condition,
        "trigger_price": e.trigger_price,
        "price": e.price,
        "at": e.at,
        "message": e.message,
        "missed": e.missed,
    })
}

pub async fn run(opts: EngineOptions, cmd: AlertsCommand) -> anyhow::Result<()> {
    let engine = Engine::start(opts).await?;
    let alerts = engine.alerts();
    let mut out = std::io::stdout().lock();
    match cmd {
        AlertsCommand::Add {
            symbol,
            condition,
            price,
            price2,
            level,
            level_label,
            trigger,
            timeframe,
            cooldown,
            rearm,
            expires,
            note,
            json,
        } => {
            let condition: Condition = condition
                .parse()
                .map_err(|e| anyhow::anyhow!("--condition: {e}"))?;
            let level = level
                .map(|k| {
                    LevelKind::ALL
                        .into_iter()
                        .find(|x| x.as_str() == k.trim())
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "--level {k:?} is not a level kind: use one of {}",
                                LevelKind::ALL.map(|k| k.as_str()).join(", ")
                            )
                        })
                })
                .transpose()?;
            let input = AlertInput {
                symbol,
                condition,
                price,
                price2,
                level,
                level_label,
                trigger: trigger
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--trigger: {e}"))?,
                timeframe: timeframe
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--timeframe: {e}"))?,
                cooldown_secs: cooldown,
                rearm: rearm.as_deref().map(parse_rearm).transpose()?,
                expires_at: expires,
                note,
                origin: None,
            };
            let v = alerts.create(input).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            } else {
                writeln!(out, "{}", line(&v))?;
            }
        }
        AlertsCommand::List { json } => {
            let list = alerts.list().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&list)?)?;
            } else if list.is_empty() {
                writeln!(out, "no alerts")?;
            } else {
                for v in &list {
                    writeln!(out, "{}", line(v))?;
                }
            }
        }
        AlertsCommand::History { limit, json } => {
            let events = alerts.history(limit).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&events)?)?;
            } else if events.is_empty() {
                writeln!(out, "no alert has fired")?;
            } else {
                for e in &events {
                    let failed: Vec<String> = e
                        .deliveries
                        .iter()
                        .filter(|d| d.status == coach_engine::alerts::DeliveryStatus::Failed)
                        .map(|d| format!("{} failed: {}", d.channel.as_str(), d.detail))
                        .collect();
                    writeln!(
                        out,
                        "{} #{}{} {}{}",
                        e.at,
                        e.alert_id,
                        if e.missed {
                            " [missed while closed]"
                        } else {
                            ""
                        },
                        e.message,
                        if failed.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", failed.join("; "))
                        }
                    )?;
                }
            }
        }
        AlertsCommand::Pause { id } => {
            writeln!(out, "{}", line(&alerts.set_paused(id, true).await?))?
        }
        AlertsCommand::Resume { id } => {
            writeln!(out, "{}", line(&alerts.set_paused(id, false).await?))?
        }
        AlertsCommand::Delete { id } => {
            alerts.delete(id).await?;
            writeln!(out, "deleted alert {id}")?;
        }
        AlertsCommand::Run { duration, json } => {
            if !alerts.claim().await? {
                anyhow::bail!(
                    "another AI Coach process (the app, or another `coach alerts run`) is watching these alerts; quit it first (its Alerts tab shows the same alerts)"
                );
            }
            let mut feed = alerts.subscribe();
            alerts.run(RunOptions {
                os_notifications: false,
            });
            drop(out);
            let until = duration.map(|s| {
                tokio::time::Instant::now() + std::time::Duration::from_secs_f64(s.max(0.0))
            });
            loop {
                let next = async {
                    match until {
                        Some(t) => tokio::time::timeout_at(t, feed.recv()).await.ok(),
                        None => Some(feed.recv().await),
                    }
                };
                let ev = tokio::select! {
                    ev = next => ev,
                    _ = tokio::signal::ctrl_c() => None,
                };
                match ev {
                    None => break,
                    Some(Ok(AlertFeed::Fired { event })) => {
                        let mut out = std::io::stdout().lock();
                        if json {
                            writeln!(out, "{}", firing_json(&event))?;
                        } else {
                            writeln!(
                                out,
                                "{} #{}{} {}",
                                event.at,
                                event.alert_id,
                                if event.missed {
                                    " [missed while closed]"
                                } else {
                                    ""
                                },
                                event.message
                            )?;
                        }
                        out.flush()?;
                        alerts
                            .mark(
                                event.id,
                                DeliveryChannel::InApp,
                                Ok("printed by coach alerts run".into()),
                            )
                            .await?;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                        eprintln!(
                            "warning: {n} alert messages were missed; see coach alerts history"
                        );
                    }
                    Some(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
                }
            }
            // Saves how far it watched, so the next run reports only what it missed.
            alerts.stop().await;
        }
    }
    Ok(())
}
