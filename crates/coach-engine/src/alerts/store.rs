//! The alerts' tables (migrations/0007_alerts.sql).

use coach_core::alerts::{AlertRule, AlertState};
use coach_core::Symbol;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{
    rfc3339, AlertContext, AlertEvent, DeliveryAttempt, DeliveryChannel, DeliveryStatus,
    DeliveryView, Stored,
};
use crate::store::{AlertTables, StoreError};

/// A firing about to be written.
pub(super) struct NewEvent {
    pub alert_id: i64,
    pub symbol: String,
    pub condition: &'static str,
    pub trigger_price: Option<f64>,
    pub price: f64,
    pub at_ms: i64,
    pub message: String,
    pub context: AlertContext,
    pub missed: bool,
}

/// A delivery whose time has come.
#[derive(Debug, Clone)]
pub struct Due {
    pub event: AlertEvent,
    pub channel: DeliveryChannel,
    /// Attempts made before this one.
    pub attempts: u32,
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::from(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// An alert row as read, before its JSON is.
struct RawAlert {
    id: i64,
    symbol: String,
    rule: String,
    level_label: Option<String>,
    note: String,
    origin: Option<String>,
    paused: bool,
    state: String,
    created_ms: i64,
    updated_ms: i64,
}

fn raw_alert(r: &Row<'_>) -> rusqlite::Result<RawAlert> {
    Ok(RawAlert {
        id: r.get(0)?,
        symbol: r.get(1)?,
        rule: r.get(2)?,
        level_label: r.get(3)?,
        note: r.get(4)?,
        origin: r.get(5)?,
        paused: r.get(6)?,
        state: r.get(7)?,
        created_ms: r.get(8)?,
        updated_ms: r.get(9)?,
    })
}

impl AlertTables {
    pub fn insert_alert(
        &self,
        symbol: &Symbol,
        rule: &AlertRule,
        level_label: Option<&str>,
        note: &str,
        origin: Option<&str>,
        (market_ms, now_ms): (i64, i64),
    ) -> Result<i64, StoreError> {
        let rule = serde_json::to_string(rule).map_err(json_err)?;
        let conn = self.write();
        conn.execute(
            "INSERT INTO alerts (symbol, rule, level_label, note, origin, paused, state, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, '{}', ?6, ?7)",
            params![symbol.as_str(), rule, level_label, note, origin, market_ms, now_ms],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// A new rule; the state starts afresh. False when there is no such alert.
    pub fn update_alert(
        &self,
        id: i64,
        symbol: &Symbol,
        rule: &AlertRule,
        level_label: Option<&str>,
        note: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let rule = serde_json::to_string(rule).map_err(json_err)?;
        Ok(self.write().execute(
            "UPDATE alerts SET symbol = ?2, rule = ?3, level_label = ?4, note = ?5, state = '{}', updated_ms = max(updated_ms + 1, ?6) WHERE id = ?1",
            params![id, symbol.as_str(), rule, level_label, note, now_ms],
        )? == 1)
    }

    /// Pausing keeps the state; resuming a fired or expired alert arms it again.
    pub fn set_paused(&self, id: i64, paused: bool, now_ms: i64) -> Result<bool, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM alerts WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        let Some(state) = state else {
            return Ok(false);
        };
        let mut state: AlertState = serde_json::from_str(&state).unwrap_or_default();
        if !paused {
            if matches!(
                state.status(),
                coach_core::alerts::AlertStatus::Fired | coach_core::alerts::AlertStatus::Expired
            ) {
                state.rearm();
            }
            // Whatever happened while it was paused is not a crossing now.
            state.forget_prices();
        }
        tx.execute(
            "UPDATE alerts SET paused = ?2, state = ?3, updated_ms = max(updated_ms + 1, ?4) WHERE id = ?1",
            params![
                id,
                paused,
                serde_json::to_string(&state).map_err(json_err)?,
                now_ms
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    pub fn delete_alert(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .write()
            .execute("DELETE FROM alerts WHERE id = ?1", [id])?
            == 1)
    }

    /// Every alert, oldest first. A row that no longer reads is logged and left out.
    pub fn alerts(&self) -> Result<Vec<Stored>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT id, symbol, rule, level_label, note, origin, paused, state, created_ms, updated_ms FROM alerts ORDER BY id",
        )?;
        let rows = stmt.query_map([], raw_alert)?;
        let mut out = Vec::new();
        for row in rows {
            let raw = row?;
            let id = raw.id;
            let read = (|| {
                Some(Stored {
                    id: raw.id,
                    symbol: Symbol::parse(&raw.symbol).ok()?,
                    rule: serde_json::from_str(&raw.rule).ok()?,
                    level_label: raw.level_label,
                    note: raw.note,
                    origin: raw.origin,
                    paused: raw.paused,
                    state: serde_json::from_str(&raw.state).unwrap_or_default(),
                    created_ms: raw.created_ms,
                    updated_ms: raw.updated_ms,
                })
            })();
            match read {
                Some(s) => out.push(s),
                None => tracing::error!(id, "an alert could not be read and is left out"),
            }
        }
        Ok(out)
    }

    /// Saves the states the worker keeps (its last prices), and how far it
    /// has watched: `reached` in the data's time, with `clock_ms` the engine's
    /// clock when it was reached (both kept when nothing was seen). An alert changed since its state was taken (`updated_ms`
    /// differs) is left alone.
    pub fn save_states(
        &self,
        states: &[(i64, i64, AlertState)],
        reached: Option<i64>,
        clock_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx
                .prepare_cached("UPDATE alerts SET state = ?3 WHERE id = ?1 AND updated_ms = ?2")?;
            for (id, updated, state) in states {
                stmt.execute(params![
                    id,
                    updated,
                    serde_json::to_string(state).map_err(json_err)?
                ])?;
            }
        }
        // The data's time as reached (kept when nothing was seen); the clock
        // stands in only until data has been seen.
        tx.execute(
            "INSERT INTO alert_worker (id, last_run_ms, last_clock_ms) VALUES (1, coalesce(?1, ?2), ?2)
             ON CONFLICT (id) DO UPDATE SET last_run_ms = coalesce(?1, last_run_ms),
                                            last_clock_ms = CASE WHEN ?1 IS NULL THEN last_clock_ms ELSE ?2 END",
            params![reached, clock_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Takes (or renews) the right to watch the alerts for `ttl_ms`: true when
    /// `owner` holds it now, false when another process does.
    pub fn try_lease(
        &self,
        owner: &str,
        now_ms: i64,
        ttl_ms: i64,
        stopped: &std::sync::atomic::AtomicBool,
    ) -> Result<bool, StoreError> {
        let conn = self.write();
        // Checked under the write lock that `release_lease` takes too: a
        // renewal already on its way when the worker stops cannot take the
        // lease back after it was given up.
        if stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(false);
        }
        conn.execute(
            "INSERT INTO alert_lease (id, owner, until_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET owner = ?1, until_ms = ?2
             WHERE alert_lease.owner = ?1 OR alert_lease.until_ms < ?3",
            params![owner, now_ms + ttl_ms, now_ms],
        )?;
        let holder: String =
            conn.query_row("SELECT owner FROM alert_lease WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        Ok(holder == owner)
    }

    /// Gives the right up (on a clean stop).
    pub fn release_lease(&self, owner: &str) -> Result<(), StoreError> {
        self.write().execute(
            "UPDATE alert_lease SET until_ms = 0 WHERE id = 1 AND owner = ?1",
            [owner],
        )?;
        Ok(())
    }

    /// Changes when any alert is added, changed or deleted (by any process).
    pub fn fingerprint(&self) -> Result<(i64, i64, i64), StoreError> {
        Ok(self.read().query_row(
            "SELECT count(*), coalesce(max(updated_ms), 0), coalesce(max(id), 0) FROM alerts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// How far the worker had watched: (data time, engine clock).
    pub fn last_run(&self) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self
            .read()
            .query_row(
                "SELECT last_run_ms, last_clock_ms FROM alert_worker WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Writes a firing, the alert's new state and its pending deliveries in
    /// one transaction. None when the alert was changed or deleted meanwhile
    /// (its `updated_ms` moved): that firing belongs to a rule that is gone.
    pub(super) fn record_fire(
        &self,
        ev: &NewEvent,
        updated_ms: i64,
        state: &AlertState,
        channels: &[DeliveryChannel],
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE alerts SET state = ?3 WHERE id = ?1 AND updated_ms = ?2",
            params![
                ev.alert_id,
                updated_ms,
                serde_json::to_string(state).map_err(json_err)?
            ],
        )?;
        if n != 1 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO alert_events (alert_id, symbol, condition, trigger_price, price, at_ms, message, context, missed, recorded_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                ev.alert_id,
                ev.symbol,
                ev.condition,
                ev.trigger_price,
                ev.price,
                ev.at_ms,
                ev.message,
                serde_json::to_string(&ev.context).map_err(json_err)?,
                ev.missed,
                now_ms
            ],
        )?;
        let id = tx.last_insert_rowid();
        // Watched up to this tick at least: a restart does not replay it as missed.
        tx.execute(
            "UPDATE alert_worker SET last_run_ms = max(last_run_ms, ?1) WHERE id = 1",
            [ev.at_ms],
        )?;
        for c in channels {
            tx.execute(
                "INSERT INTO alert_deliveries (event_id, channel, status, attempts, next_attempt_ms) VALUES (?1, ?2, 'pending', 0, ?3)",
                params![id, c.as_str(), now_ms],
            )?;
        }
        tx.commit()?;
        Ok(Some(id))
    }

    /// Firings, newest first (`only`: these ids).
    pub fn events(&self, limit: u32, only: Option<&[i64]>) -> Result<Vec<AlertEvent>, StoreError> {
        let conn = self.read();
        let mut out = Vec::new();
        let mut read = |stmt: &mut rusqlite::CachedStatement<'_>,
                        p: &[&dyn rusqlite::ToSql]|
         -> Result<(), StoreError> {
            let rows = stmt.query_map(p, event_row)?;
            for r in rows {
                out.push(r?);
            }
            Ok(())
        };
        const COLS: &str = "SELECT id, alert_id, symbol, condition, trigger_price, price, at_ms, message, context, missed FROM alert_events";
        match only {
            None => {
                let mut stmt =
                    conn.prepare_cached(&format!("{COLS} ORDER BY at_ms DESC, id DESC LIMIT ?1"))?;
                read(&mut stmt, &[&limit])?;
            }
            Some(ids) => {
                let mut stmt = conn.prepare_cached(&format!("{COLS} WHERE id = ?1"))?;
                for id in ids {
                    read(&mut stmt, &[id])?;
                }
            }
        }
        let mut stmt = conn.prepare_cached(
            "SELECT channel, status, attempts, detail FROM alert_deliveries WHERE event_id = ?1 ORDER BY channel",
        )?;
        for ev in &mut out {
            ev.deliveries = stmt
                .query_map([ev.id], |r| {
                    let (c, s): (String, String) = (r.get(0)?, r.get(1)?);
                    Ok((c, s, r.get::<_, u32>(2)?, r.get::<_, String>(3)?))
                })?
                .filter_map(|r| r.ok())
                .filter_map(|(c, s, attempts, detail)| {
                    Some(DeliveryView {
                        channel: DeliveryChannel::parse(&c)?,
                        status: match s.as_str() {
                            "delivered" => DeliveryStatus::Delivered,
                            "failed" => DeliveryStatus::Failed,
                            _ => DeliveryStatus::Pending,
                        },
                        attempts,
                        detail,
                    })
                })
                .collect();
        }
        Ok(out)
    }

    /// Firings still pending on `channel`, oldest first.
    pub fn undelivered(&self, channel: DeliveryChannel) -> Result<Vec<AlertEvent>, StoreError> {
        let ids: Vec<i64> = {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(
                "SELECT event_id FROM alert_deliveries WHERE channel = ?1 AND status = 'pending' ORDER BY event_id",
            )?;
            let rows = stmt.query_map([channel.as_str()], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        self.events(0, Some(&ids))
    }

    /// Deliveries of `channels` whose next attempt is due at `now_ms`, and
    /// the soonest one that is not due yet.
    pub fn due(
        &self,
        channels: &[DeliveryChannel],
        now_ms: i64,
    ) -> Result<(Vec<Due>, Option<i64>), StoreError> {
        let mut picked = Vec::new();
        let mut next = None;
        {
            let conn = self.read();
            let mut stmt = conn.prepare_cached(
                "SELECT event_id, channel, attempts, next_attempt_ms FROM alert_deliveries WHERE status = 'pending' ORDER BY next_attempt_ms",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            for r in rows {
                let (event_id, channel, attempts, at) = r?;
                let Some(channel) =
                    DeliveryChannel::parse(&channel).filter(|c| channels.contains(c))
                else {
                    continue;
                };
                if at <= now_ms {
                    picked.push((event_id, channel, attempts));
                } else {
                    next = Some(next.map_or(at, |n: i64| n.min(at)));
                }
            }
        }
        let ids: Vec<i64> = picked.iter().map(|p| p.0).collect();
        let events = self.events(0, Some(&ids))?;
        let due = picked
            .into_iter()
            .zip(events)
            .map(|((_, channel, attempts), event)| Due {
                event,
                channel,
                attempts,
            })
            .collect();
        Ok((due, next))
    }

    /// Logs one attempt and moves the delivery on: delivered, failed (with
    /// `retry_at` None), or pending until `retry_at`.
    pub fn record_attempt(
        &self,
        event_id: i64,
        channel: DeliveryChannel,
        now_ms: i64,
        result: &Result<String, String>,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let attempts: Option<u32> = tx
            .query_row(
                "SELECT attempts FROM alert_deliveries WHERE event_id = ?1 AND channel = ?2",
                params![event_id, channel.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        let attempt = attempts.unwrap_or(0) + 1;
        let (ok, detail) = match result {
            Ok(d) => (true, d.as_str()),
            Err(d) => (false, d.as_str()),
        };
        log_attempt(&tx, event_id, channel, attempt, now_ms, ok, detail)?;
        let status = match (ok, retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        tx.execute(
            "INSERT INTO alert_deliveries (event_id, channel, status, attempts, next_attempt_ms, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (event_id, channel) DO UPDATE SET status = ?3, attempts = ?4, next_attempt_ms = ?5, detail = ?6",
            params![event_id, channel.as_str(), status, attempt, retry_at.unwrap_or(now_ms), detail],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn attempts(&self, event_id: i64) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT channel, attempt, at_ms, ok, detail FROM alert_delivery_attempts WHERE event_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([event_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (c, attempt, at, ok, detail) = r?;
            if let Some(channel) = DeliveryChannel::parse(&c) {
                out.push(DeliveryAttempt {
                    event_id,
                    channel,
                    attempt,
                    at: rfc3339(at),
                    ok,
                    detail,
                });
            }
        }
        Ok(out)
    }
}

fn log_attempt(
    tx: &Transaction<'_>,
    event_id: i64,
    channel: DeliveryChannel,
    attempt: u32,
    at_ms: i64,
    ok: bool,
    detail: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO alert_delivery_attempts (event_id, channel, attempt, at_ms, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![event_id, channel.as_str(), attempt, at_ms, ok, detail],
    )?;
    Ok(())
}

fn event_row(r: &Row<'_>) -> rusqlite::Result<AlertEvent> {
    let condition: String = r.get(3)?;
    let context: String = r.get(8)?;
    let at_ms: i64 = r.get(6)?;
    Ok(AlertEvent {
        id: r.get(0)?,
        alert_id: r.get(1)?,
        symbol: r.get(2)?,
        condition: condition
            .parse()
            .unwrap_or(coach_core::alerts::Condition::Crosses),
        trigger_price: r.get(4)?,
        price: r.get(5)?,
        at: rfc3339(at_ms),
        at_ms,
        message: r.get(7)?,
        context: serde_json::from_str(&context).unwrap_or_default(),
        missed: r.get(9)?,
        deliveries: vec![],
    })
}
