//! The market data engine against the demo market on loopback, with a manual
//! clock: the test decides when simulated time passes, and waits for events
//! (never for wall-clock time) to check what the engine did.

use std::time::Duration;

use chrono::{DateTime, Utc};
use coach_core::candles::CandleUpdate;
use coach_core::{Symbol, Timeframe};
use coach_engine::market::history::{ChartError, ChartQuery, ChartSource};
use coach_engine::market::live::LiveItem;
use coach_engine::market::{Channel, ConnectionState, Topic};
use coach_engine::Engine;
use coach_sim::ManualClock;
use coach_testkit::EngineKit;

pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

async fn demo_engine(dir: &std::path::Path, clock: &ManualClock, stale_after: u32) -> Engine {
    demo_engine_env(dir, clock, stale_after, &[]).await
}

/// A demo-market engine with these environment variables set.
pub(crate) async fn demo_engine_env(
    dir: &std::path::Path,
    clock: &ManualClock,
    stale_after: u32,
    env: &[(&'static str, &'static str)],
) -> Engine {
    let mut kit = EngineKit::new(dir)
        .demo_at(clock)
        .seed(11)
        .settings(serde_json::json!({"stale_after_secs": stale_after}));
    for (k, v) in env {
        kit = kit.env(k, *v);
    }
    kit.start().await
}

pub(crate) async fn upstream(engine: &Engine, topic: &str) {
    eventually(10, &format!("{topic} upstream"), || {
        engine
            .market()
            .hub()
            .stats()
            .upstream_topics
            .iter()
            .any(|t| t == topic)
    })
    .await;
}

/// Polls `f` until it holds, failing after `secs` seconds.
pub(crate) async fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Receives until the final 1m bar starting at `minute` arrives, collecting finals on the way.
async fn until_final(
    rx: &mut coach_engine::market::live::LiveCandles,
    minute: i64,
    finals: &mut Vec<CandleUpdate>,
    states: &mut Vec<ConnectionState>,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let item = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no final bar for {minute} within 15 s; finals so far: {:?}",
                    finals.iter().map(|f| f.candle.time).collect::<Vec<_>>()
                )
            })
            .expect("the live stream stays open");
        match item {
            LiveItem::State(s) => states.push(s.state),
            LiveItem::Candle { update, .. } if update.is_final => {
                finals.push(update);
                if update.timeframe == Timeframe::M1 && update.candle.time >= minute {
                    return;
                }
            }
            LiveItem::Candle { .. } => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_loses_no_minute_bars() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:00:00Z"); // 10:00 New York, regular session
    let clock = ManualClock::new(start);
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let spy = Symbol::parse("SPY").unwrap();
    let mut live = engine
        .market()
        .live_candles(std::slice::from_ref(&spy), &[Timeframe::M1, Timeframe::M5]);
    let mut status = engine.market().watch_connection();
    eventually(10, "the hub to go live", || {
        status.borrow_and_update().state == ConnectionState::Live
    })
    .await;
    // Let the subscription reach the server before time moves.
    upstream(&engine, "AM.SPY").await;

    let mut finals = Vec::new();
    let mut states = Vec::new();
    let minute = |i: i64| start.timestamp_millis() + i * 60_000;
    for i in 0..15 {
        if i == 5 {
            // The socket drops; three minutes pass before the hub can reconnect.
            engine.demo_market().unwrap().drop_connections();
            clock.advance(chrono::Duration::minutes(3));
        }
        clock.set(
            DateTime::from_timestamp_millis(minute(i + 1) + 1_000)
                .unwrap()
                .max(clock.now()),
        );
        until_final(&mut live, minute(i), &mut finals, &mut states).await;
    }

    let got: Vec<(i64, f64, f64, f64, f64, f64)> = finals
        .iter()
        .filter(|f| f.timeframe == Timeframe::M1 && f.candle.time < minute(15))
        .map(|f| {
            (
                f.candle.time,
                f.candle.open,
                f.candle.high,
                f.candle.low,
                f.candle.close,
                f.candle.volume,
            )
        })
        .collect();
    let model = engine.demo_market().unwrap().model();
    let truth: Vec<(i64, f64, f64, f64, f64, f64)> = model
        .minute_bars("SPY", start.date_naive())
        .unwrap()
        .iter()
        .filter(|b| b.t >= minute(0) && b.t < minute(15))
        .map(|b| (b.t, b.o, b.h, b.l, b.c, b.v))
        .collect();
    assert_eq!(truth.len(), 15);
    assert_eq!(got, truth, "after the drop the final minute bars are exactly those of an uninterrupted run: none lost, none doubled");
    let stats = engine.market().hub().stats();
    assert!(stats.connections >= 2, "the hub reconnected: {stats:?}");
    assert!(
        stats.backfilled_minutes >= 3,
        "the missed minutes came over REST: {stats:?}"
    );
    assert!(
        states.contains(&ConnectionState::Reconnecting),
        "the drop was published: {states:?}"
    );
    assert_eq!(
        *states.last().unwrap(),
        ConnectionState::Live,
        "and the recovery: {states:?}"
    );

    // The integrity check agrees: every bar the live path stored, 1m and 5m,
    // equals the provider's history.
    let reports = engine
        .market()
        .reconcile_now(std::slice::from_ref(&spy))
        .await;
    let reports: Vec<_> = reports.into_iter().map(Result::unwrap).collect();
    let tfs: Vec<&str> = reports.iter().map(|r| r.timeframe.as_str()).collect();
    assert_eq!(tfs, ["1m", "5m"], "both stored timeframes were checked");
    for r in &reports {
        assert!(r.checked > 0, "{r:?}");
        assert!(
            r.corrected.is_empty(),
            "live bars equal history: {:?}",
            r.corrected
        );
    }
}

/// A minute bar's start, open and close.
type Minute = (i64, f64, f64);

/// The demo market at 10:00 New York with SPY's minute bars followed live
/// and NVDA's seconds subscribed, its first minute delivered.
struct BackfillRig {
    _dir: tempfile::TempDir,
    engine: Engine,
    clock: ManualClock,
    start: DateTime<chrono::Utc>,
    live: coach_engine::market::live::LiveCandles,
    nvda: coach_engine::market::hub::Subscription,
    finals: Vec<CandleUpdate>,
    states: Vec<ConnectionState>,
}

impl BackfillRig {
    async fn new() -> BackfillRig {
        let dir = tempfile::tempdir().unwrap();
        let start = utc("2024-07-02T14:00:00Z"); // 10:00 New York, regular session
        let clock = ManualClock::new(start);
        let engine = demo_engine(dir.path(), &clock, 600).await;
        let spy = Symbol::parse("SPY").unwrap();
        let live = engine
            .market()
            .live_candles(std::slice::from_ref(&spy), &[Timeframe::M1]);
        let nvda = engine
            .market()
            .hub()
            .subscribe(Topic::new(Channel::Seconds, Symbol::parse("NVDA").unwrap()));
        upstream(&engine, "AM.SPY").await;
        upstream(&engine, "A.NVDA").await;
        let mut rig = BackfillRig {
            _dir: dir,
            engine,
            clock,
            start,
            live,
            nvda,
            finals: Vec::new(),
            states: Vec::new(),
        };
        rig.at(rig.minute(1) + 1_000);
        rig.until_final(0).await;
        rig
    }

    fn sim(&self) -> &coach_sim::SimHandle {
        self.engine.demo_market().unwrap()
    }

    fn minute(&self, i: i64) -> i64 {
        self.start.timestamp_millis() + i * 60_000
    }

    fn at(&self, ms: i64) {
        self.clock.set(DateTime::from_timestamp_millis(ms).unwrap());
    }

    async fn until_final(&mut self, minute: i64) {
        let t = self.minute(minute);
        until_final(&mut self.live, t, &mut self.finals, &mut self.states).await;
    }

    /// Moves the clock to `from` and waits for an NVDA second that ended
    /// after `ms`: one read from the socket since. The new socket may still be
    /// subscribing when the clock moves (the seconds of that move then go
    /// nowhere), so while none arrives the clock moves on a second at a time,
    /// within the same minute.
    async fn nvda_second_after(&mut self, from: i64, ms: i64, what: &str) {
        let mut at = from;
        self.at(at);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout(Duration::from_millis(500), self.nvda.recv()).await {
                Ok(ev) => {
                    let ev = ev.expect("the subscription stays open");
                    if let coach_engine::market::wire::MarketData::Aggregate { end, .. } = *ev {
                        if end > ms {
                            return;
                        }
                    }
                }
                Err(_) => {
                    assert!(tokio::time::Instant::now() < deadline, "{what}");
                    // Nothing yet: time moves on (staying inside the minute).
                    if (at + 1_000) % 60_000 != 0 {
                        at += 1_000;
                        self.at(at);
                    }
                }
            }
        }
    }

    /// SPY's final minute bars before `minute` as delivered, and as the market made them.
    fn minutes_before(&self, minute: i64) -> (Vec<Minute>, Vec<Minute>) {
        let end = self.minute(minute);
        let got = self
            .finals
            .iter()
            .filter(|f| f.timeframe == Timeframe::M1 && f.candle.time < end)
            .map(|f| (f.candle.time, f.candle.open, f.candle.close))
            .collect();
        let truth = self
            .sim()
            .model()
            .minute_bars("SPY", self.start.date_naive())
            .unwrap()
            .iter()
            .filter(|b| b.t >= self.minute(0) && b.t < end)
            .map(|b| (b.t, b.o, b.c))
            .collect();
        (got, truth)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_backfill_holds_its_symbol_while_the_socket_keeps_flowing() {
    let mut rig = BackfillRig::new().await;

    // The socket drops while three minutes pass; the backfill of SPY's
    // missed minutes is then held unanswered by the provider.
    rig.sim().hold_aggregates(true);
    rig.sim().drop_connections();
    rig.at(rig.minute(4) + 1_000);
    let mut held = rig.sim().held_requests();
    eventually(15, "SPY's backfill to reach the provider and wait", || {
        *held.borrow_and_update() >= 1
    })
    .await;

    // Time moves on: NVDA's second aggregates keep arriving while it waits,
    // which a read loop stopped at the backfill could not deliver (a second
    // that ended after the drop was read from the new socket; not every
    // second has a trade).
    let from = rig.minute(4) + 20_000;
    rig.nvda_second_after(
        from,
        rig.minute(4) + 1_000,
        "NVDA's seconds flow while SPY's backfill is held",
    )
    .await;
    assert!(
        *held.borrow() >= 1,
        "SPY's backfill was still held while NVDA's frames were read"
    );

    // Answered at last: SPY's minute bars arrive complete and in order.
    rig.sim().hold_aggregates(false);
    rig.at(rig.minute(6) + 1_000);
    rig.until_final(5).await;
    let (got, truth) = rig.minutes_before(6);
    assert_eq!(
        got, truth,
        "every minute, the backfilled ones included, once and in time order"
    );
    assert!(rig.engine.market().hub().stats().backfilled_minutes >= 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_drop_while_a_backfill_waits_fetches_its_own_gap_before_the_held_bars() {
    let mut rig = BackfillRig::new().await;

    // First drop: SPY's backfill of minutes 1–3 reaches the provider and waits.
    rig.sim().hold_aggregates(true);
    rig.sim().drop_connections();
    rig.at(rig.minute(4) + 1_000);
    let mut held = rig.sim().held_requests();
    eventually(15, "the first backfill to wait at the provider", || {
        *held.borrow_and_update() >= 1
    })
    .await;

    // Second drop while it waits: minutes 4–6 pass with no socket.
    let connections = rig.engine.market().hub().stats().connections;
    rig.sim().drop_connections();
    rig.at(rig.minute(7) + 1_000);
    eventually(15, "the hub to reconnect", || {
        rig.engine.market().hub().stats().connections > connections
    })
    .await;
    // A second read from the new socket: the hub has looked for the gap by now.
    let from = rig.minute(7) + 20_000;
    rig.nvda_second_after(
        from,
        rig.minute(7) + 1_000,
        "NVDA's seconds flow on the new socket",
    )
    .await;

    // Answered: both gaps are filled, then the held bars follow.
    rig.sim().hold_aggregates(false);
    rig.at(rig.minute(9) + 1_000);
    rig.until_final(8).await;
    let (got, truth) = rig.minutes_before(9);
    assert_eq!(
        got, truth,
        "every minute of both gaps, once and in time order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_reference_counted_and_only_the_diff_goes_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-02T14:00:00Z"));
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let hub = engine.market().hub();
    let spy = || Topic::new(Channel::Minutes, Symbol::parse("SPY").unwrap());
    let a = hub.subscribe(spy());
    let b = hub.subscribe(spy());
    let q = hub.subscribe(Topic::new(Channel::Trades, Symbol::parse("QQQ").unwrap()));
    eventually(10, "both topics upstream", || {
        hub.stats().upstream_topics == vec!["AM.SPY".to_string(), "T.QQQ".to_string()]
    })
    .await;
    assert_eq!(
        hub.subscriber_counts(),
        vec![("AM.SPY".to_string(), 2), ("T.QQQ".to_string(), 1)]
    );
    drop(a);
    assert_eq!(
        hub.subscriber_counts()[0],
        ("AM.SPY".to_string(), 1),
        "one holder left"
    );
    drop(q);
    eventually(10, "T.QQQ to be unsubscribed", || {
        hub.stats().upstream_topics == vec!["AM.SPY".to_string()]
    })
    .await;
    drop(b);
    eventually(10, "everything unsubscribed", || {
        hub.stats().upstream_topics.is_empty()
    })
    .await;
    assert_eq!(hub.stats().connections, 1, "one socket for all of it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_frame_is_skipped_and_the_stream_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:00:00Z");
    let clock = ManualClock::new(start);
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let spy = Symbol::parse("SPY").unwrap();
    let mut live = engine
        .market()
        .live_candles(std::slice::from_ref(&spy), &[Timeframe::M1]);
    upstream(&engine, "AM.SPY").await;
    engine.demo_market().unwrap().send_malformed_frame();
    eventually(10, "the bad frame to be counted", || {
        engine.market().hub().stats().malformed_frames == 1
    })
    .await;
    clock.set(start + chrono::Duration::seconds(61));
    let (mut finals, mut states) = (Vec::new(), Vec::new());
    until_final(
        &mut live,
        start.timestamp_millis(),
        &mut finals,
        &mut states,
    )
    .await;
    assert_eq!(
        engine.market().hub().stats().connections,
        1,
        "a bad frame does not cost the connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_while_the_market_is_open_is_stale_and_data_clears_it() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:00:00Z");
    let clock = ManualClock::new(start);
    let engine = demo_engine(dir.path(), &clock, 30).await;
    let _sub = engine
        .market()
        .hub()
        .subscribe(Topic::new(Channel::Seconds, Symbol::parse("SPY").unwrap()));
    let mut status = engine.market().watch_connection();
    eventually(10, "live", || {
        status.borrow_and_update().state == ConnectionState::Live
    })
    .await;
    let sim = engine.demo_market().unwrap();
    sim.stall(chrono::Duration::minutes(2)).await;
    clock.advance(chrono::Duration::seconds(45));
    eventually(10, "stale", || {
        status.borrow_and_update().state == ConnectionState::Stale
    })
    .await;
    let detail = status.borrow().detail.clone().unwrap();
    assert!(detail.contains("no market data"), "{detail}");
    clock.advance(chrono::Duration::minutes(2));
    eventually(10, "live again", || {
        status.borrow_and_update().state == ConnectionState::Live
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_disconnect_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-02T14:00:00Z"));
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let mut status = engine.market().watch_connection();
    eventually(10, "live", || {
        status.borrow_and_update().state == ConnectionState::Live
    })
    .await;
    engine.demo_market().unwrap().slow_consumer_disconnect();
    eventually(10, "reconnecting", || {
        status.borrow_and_update().state == ConnectionState::Reconnecting
    })
    .await;
    assert!(status
        .borrow()
        .detail
        .clone()
        .unwrap()
        .contains("slow consumer"));
    eventually(10, "live again", || {
        status.borrow_and_update().state == ConnectionState::Live
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_come_from_cache_after_the_first_fetch_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-10T20:30:00Z"));
    let q = ChartQuery {
        symbol: "aapl".into(),
        timeframe: "1d".into(),
        from_ms: Some(utc("2024-06-03T04:00:00Z").timestamp_millis()),
        to_ms: Some(utc("2024-06-28T23:00:00Z").timestamp_millis()),
    };
    {
        let engine = demo_engine(dir.path(), &clock, 600).await;
        let first = engine.bar_history().load(&q).await.unwrap();
        assert_eq!(first.source, ChartSource::Network);
        assert_eq!(first.symbol.as_str(), "AAPL", "symbols are normalised");
        assert_eq!(
            first.bars.len(),
            19,
            "June 2024 had 19 sessions (Juneteenth closed)"
        );
        let second = engine.bar_history().load(&q).await.unwrap();
        assert_eq!(second.source, ChartSource::Memory);
        assert_eq!(second.bars, first.bars);
    }
    let engine = demo_engine(dir.path(), &clock, 600).await;
    // A chart "up to now" is served from a span that ended minutes ago (the live
    // stream and a background refresh bring the tail), but not from an old one.
    let now_q = ChartQuery {
        symbol: "AAPL".into(),
        timeframe: "5m".into(),
        from_ms: None,
        to_ms: None,
    };
    assert_eq!(
        engine.bar_history().load(&now_q).await.unwrap().source,
        ChartSource::Network
    );
    clock.advance(chrono::Duration::minutes(3));
    assert_eq!(
        engine.bar_history().load(&now_q).await.unwrap().source,
        ChartSource::Memory
    );
    clock.advance(chrono::Duration::minutes(30));
    assert_eq!(
        engine.bar_history().load(&now_q).await.unwrap().source,
        ChartSource::Network
    );
    let third = engine.bar_history().load(&q).await.unwrap();
    assert_eq!(
        third.source,
        ChartSource::Database,
        "the SQLite cache outlives the process"
    );
    assert_eq!(third.bars.len(), 19);
    let bad = engine
        .bar_history()
        .load(&ChartQuery {
            timeframe: "2m".into(),
            ..q.clone()
        })
        .await;
    assert!(matches!(bad, Err(ChartError::Timeframe(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_latest_chart_request_wins() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-10T20:30:00Z"));
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let charts = engine.bar_history().clone();
    let q = |sym: &str, tf: &str| ChartQuery {
        symbol: sym.into(),
        timeframe: tf.into(),
        from_ms: None,
        to_ms: None,
    };
    // join! polls in order, and a request takes its generation before its
    // first await: SPY is request 1 in "main", QQQ request 2 — deterministic,
    // unlike spawned tasks that a loaded machine may start in either order.
    let (first, second, other) = tokio::join!(
        charts.request("main", q("SPY", "1m")),
        charts.request("main", q("QQQ", "5m")),
        charts.request("side", q("IWM", "1d")),
    );
    let second = second.expect("the newest request in a slot is answered");
    assert_eq!(
        (
            second.symbol.as_str(),
            second.timeframe.as_str(),
            second.generation
        ),
        ("QQQ", "5m", 2)
    );
    assert!(
        matches!(first, Err(ChartError::Superseded)),
        "the older request is never delivered: {first:?}"
    );
    assert_eq!(
        other.unwrap().symbol.as_str(),
        "IWM",
        "slots are independent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_corrects_bars_that_differ_from_history_and_fills_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let now = utc("2024-07-02T15:00:00Z");
    let clock = ManualClock::new(now);
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let spy = Symbol::parse("SPY").unwrap();
    // The provider's record of the last two hours, read straight from its REST API.
    let rest = coach_engine::market::rest::MassiveRest::new(engine.market().config());
    let from = now.timestamp_millis() - coach_engine::market::reconcile::WINDOW_MS;
    let truth = rest
        .aggregates(
            "SPY",
            1,
            "minute",
            &from.to_string(),
            &now.timestamp_millis().to_string(),
        )
        .await
        .unwrap();
    assert!(
        truth.len() > 100,
        "pre-market and the open: {} bars",
        truth.len()
    );
    // What the live path stored: three bars, one of them wrong (a late trade
    // the socket never reflected).
    let as_candle = |b| coach_engine::market::history::to_candle(Timeframe::M1, b);
    let last = truth.len() - 1;
    let picks = [last - 2, last - 1, last];
    for (n, i) in picks.iter().enumerate() {
        let mut c = as_candle(&truth[*i]);
        if n == 1 {
            c.close += 0.07;
            c.volume -= 300.0;
        }
        engine
            .bar_history()
            .record_final(&spy, Timeframe::M1, c)
            .await
            .unwrap();
    }

    let reports = engine
        .market()
        .reconcile_now(std::slice::from_ref(&spy))
        .await;
    assert_eq!(reports.len(), 1, "only 1m: no larger bars were stored");
    let r = reports[0].as_ref().unwrap();
    assert_eq!(r.checked, truth.len(), "every completed bar was compared");
    assert_eq!(
        r.added,
        truth.len() - 3,
        "the bars the cache lacked were added"
    );
    assert_eq!(r.corrected.len(), 1, "exactly the tampered bar: {r:?}");
    let fix = &r.corrected[0];
    assert_eq!(fix.time, truth[last - 1].t);
    assert_eq!(fix.cached.close, truth[last - 1].c + 0.07);
    assert_eq!(fix.provider.close, truth[last - 1].c);

    // The cache now answers with the provider's bar, and a second pass finds nothing.
    let chart = engine
        .bar_history()
        .load(&ChartQuery {
            symbol: "SPY".into(),
            timeframe: "1m".into(),
            from_ms: Some(truth[last - 1].t),
            to_ms: Some(truth[last - 1].t),
        })
        .await
        .unwrap();
    assert_eq!(chart.bars.len(), 1);
    assert_eq!(chart.bars[0].close, truth[last - 1].c);
    assert_eq!(chart.bars[0].volume, truth[last - 1].v);
    let again = engine
        .market()
        .reconcile_now(std::slice::from_ref(&spy))
        .await;
    let again = again[0].as_ref().unwrap();
    assert_eq!((again.corrected.len(), again.added), (0, 0));

    // The periodic task runs the same pass over the symbols followed live.
    let mut wrong = as_candle(&truth[last]);
    wrong.high += 1.0;
    engine
        .bar_history()
        .record_final(&spy, Timeframe::M1, wrong)
        .await
        .unwrap();
    let followed = spy.clone();
    let task = coach_engine::market::reconcile::Reconciler::start(
        engine.bar_history().clone(),
        move || vec![followed.clone()],
        engine.market().clock().clone(),
        Duration::from_millis(50),
    );
    eventually(10, "a periodic pass", || task.totals().passes >= 1).await;
    let totals = task.totals();
    assert_eq!(totals.bars_corrected, 1, "{totals:?}");
    assert_eq!(totals.failures, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_come_from_the_chart_cache_and_todays_tests_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-02T16:00:00Z")); // 12:00 New York
    let session_tests = {
        let engine = demo_engine(dir.path(), &clock, 600).await;
        let r = engine.levels().levels("spy", None).await.unwrap();
        assert_eq!(r.symbol, "SPY");
        assert_eq!(r.session.to_string(), "2024-07-02");
        let pdh = r
            .levels
            .iter()
            .find(|l| l.kind.as_str() == "prior_day_high")
            .unwrap();
        let pdl = r
            .levels
            .iter()
            .find(|l| l.kind.as_str() == "prior_day_low")
            .unwrap();
        assert!(pdh.price > pdl.price);
        // The prior day's figures are the demo market's July 1 bar.
        let model = engine.demo_market().unwrap().model();
        let july1 = model
            .daily_bar("SPY", chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap())
            .unwrap();
        assert_eq!((pdh.price, pdl.price), (july1.h, july1.l));
        let classic: Vec<f64> = ["S3", "S2", "S1", "P", "R1", "R2", "R3"]
            .iter()
            .map(|n| {
                r.levels
                    .iter()
                    .find(|l| l.label == format!("{n} classic"))
                    .unwrap()
                    .price
            })
            .collect();
        assert!(classic.windows(2).all(|w| w[0] < w[1]), "{classic:?}");
        assert!(
            r.levels.iter().any(|l| l.tests.touches > 0),
            "price has tested something by noon"
        );
        // Too soon is refused, not guessed.
        let future = engine
            .levels()
            .levels("SPY", Some(utc("2024-07-02T17:00:00Z")))
            .await;
        assert!(future.unwrap_err().to_string().contains("in the future"));
        assert!(
            engine.levels().levels("ZZZZQ", None).await.is_err(),
            "unknown symbol"
        );
        r.levels
            .iter()
            .map(|l| (l.kind, l.label.clone(), l.tests))
            .collect::<Vec<_>>()
    };
    // A record from before the restart with more tests than the bars now show
    // (say, live ticks the minute bars smoothed over) is kept.
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let saved = engine
        .db()
        .level_tests()
        .level_tests("SPY", "2024-07-02")
        .unwrap();
    assert_eq!(
        saved.len(),
        session_tests.len(),
        "every level's tests were saved"
    );
    engine
        .db()
        .level_tests()
        .save_level_tests(
            "SPY",
            "2024-07-02",
            &[("prior_day_high".into(), "PDH".into(), 42, 40, 2)],
            0,
        )
        .unwrap();
    let r = engine.levels().levels("SPY", None).await.unwrap();
    let pdh = r
        .levels
        .iter()
        .find(|l| l.kind.as_str() == "prior_day_high")
        .unwrap();
    assert_eq!(
        (pdh.tests.touches, pdh.tests.rejections, pdh.tests.breaks),
        (42, 40, 2)
    );
    for (kind, label, tests) in &session_tests {
        let now = r
            .levels
            .iter()
            .find(|l| &l.kind == kind && &l.label == label)
            .unwrap();
        assert!(now.tests.touches >= tests.touches, "{label} kept its count");
    }
    // A historical question is answered from the bars alone.
    let past = engine
        .levels()
        .levels("SPY", Some(utc("2024-07-02T16:00:00Z")))
        .await
        .unwrap();
    let pdh = past
        .levels
        .iter()
        .find(|l| l.kind.as_str() == "prior_day_high")
        .unwrap();
    assert!(pdh.tests.touches < 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn levels_update_live_as_the_opening_range_completes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-02T13:33:30Z")); // 09:33:30 New York
    let engine = demo_engine(dir.path(), &clock, 600).await;
    let spy = Symbol::parse("SPY").unwrap();
    let mut live = engine.levels().live(
        &spy,
        engine
            .market()
            .live_candles(std::slice::from_ref(&spy), &[coach_core::Timeframe::M1]),
    );
    let has = |r: &coach_core::levels::LevelsReport, kind: &str| {
        r.levels.iter().any(|l| l.kind.as_str() == kind)
    };
    live.rx
        .wait_for(|r| matches!(r, Some(Ok(_))))
        .await
        .unwrap();
    let first = live.rx.borrow().clone().unwrap().unwrap();
    assert!(
        !has(&first, "or5_high"),
        "the 5-minute range is not complete at 09:33"
    );
    assert!(has(&first, "vwap"));
    upstream(&engine, "AM.SPY").await;
    // 09:35:01: the 09:34 bar closes and completes the first five minutes.
    clock.set(utc("2024-07-02T13:35:01Z"));
    let updated = tokio::time::timeout(
        Duration::from_secs(15),
        live.rx
            .wait_for(|r| matches!(r, Some(Ok(r)) if has(r, "or5_high"))),
    )
    .await
    .expect("the levels were recomputed when the minute closed")
    .unwrap()
    .clone()
    .unwrap()
    .unwrap();
    assert!(!has(&updated, "or15_high"));
    assert!(updated.at_ms > first.at_ms);
}
