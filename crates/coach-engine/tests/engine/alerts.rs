//! Alerts on the demo market with a manual clock: the test moves time, the
//! worker sees the same trades and minute bars an app would, and each
//! expectation is worked out from the market model's own trades and bars.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use coach_core::alerts::{Condition, Trigger};
use coach_core::Timeframe;
use coach_engine::alerts::{
    AlertEvent, AlertFeed, AlertInput, AlertStateName, DeliveryChannel, DeliveryStatus, RunOptions,
};
use coach_engine::market::wire::MarketData;
use coach_engine::market::{Channel, Topic};
use coach_engine::Engine;
use coach_sim::ManualClock;
use coach_testkit::smtp::{SmtpOptions, SmtpServer};
use coach_testkit::EngineKit;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::market::{eventually, upstream, utc};

const START: &str = "2024-07-02T14:00:00Z"; // 10:00 New York

fn minute(i: i64) -> i64 {
    utc(START).timestamp_millis() + i * 60_000
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn kit(dir: &std::path::Path, clock: &ManualClock) -> EngineKit {
    EngineKit::new(dir)
        .demo_at(clock)
        .seed(11)
        .settings(json!({"stale_after_secs": 600}))
}

fn crossing_above(price: f64) -> AlertInput {
    AlertInput {
        symbol: "SPY".into(),
        condition: Condition::CrossesAbove,
        price: Some(price),
        price2: None,
        level: None,
        level_label: None,
        trigger: Trigger::Once,
        timeframe: Timeframe::M1,
        cooldown_secs: 0,
        rearm: None,
        expires_at: None,
        note: String::new(),
        origin: None,
    }
}

/// SPY's minute bars of the test day, from the market model: (start, o, h, l, c).
fn bars(engine: &Engine) -> Vec<(i64, f64, f64, f64, f64)> {
    engine
        .demo_market()
        .unwrap()
        .model()
        .minute_bars("SPY", utc(START).date_naive())
        .unwrap()
        .iter()
        .map(|b| (b.t, b.o, b.h, b.l, b.c))
        .collect()
}

/// A line above every price so far that a later minute (from minute 3 on)
/// reaches: the first new high of the session after 10:03, less a cent.
/// (line, the first minute whose high reaches it).
fn line_reached_later(engine: &Engine) -> (f64, i64) {
    let bars = bars(engine);
    let high = |i: i64| bars.iter().find(|b| b.0 == minute(i)).unwrap().2;
    let mut max = (0..3).map(high).fold(f64::MIN, f64::max);
    for i in 3..330 {
        let line = ((max + 0.01) * 100.0).round() / 100.0;
        if high(i) >= line {
            return (line, i);
        }
        max = max.max(high(i));
    }
    panic!("seed 11 makes no new high after 10:03")
}

/// The first trade of minute `m` at or above `line`: (time, price).
fn first_trade_at_or_above(engine: &Engine, m: i64, line: f64) -> (i64, f64) {
    let model = engine.demo_market().unwrap().model();
    let bar = model
        .minute_bars("SPY", utc(START).date_naive())
        .unwrap()
        .iter()
        .find(|b| b.t == minute(m))
        .cloned()
        .unwrap();
    model
        .trades("SPY", &bar)
        .iter()
        .find(|t| t.p >= line)
        .map(|t| (t.t, t.p))
        .expect("the minute's high is one of its trades")
}

/// Moves the clock to just after minute `i` ends.
fn to_end_of(clock: &ManualClock, i: i64) {
    clock.set(at(minute(i + 1) + 1_000).max(clock.now()));
}

/// Moves the clock to the last millisecond of minute `i`: every trade of the
/// minute is out, none of the next (the worker's last price is its close).
fn to_last_ms_of(clock: &ManualClock, i: i64) {
    clock.set(at(minute(i + 1) - 1).max(clock.now()));
}

/// Nudges the clock half a second at a time (up to `limit_ms`) until
/// the worker's alert `id` has a price: the simulator may take the worker's
/// subscription a moment after the hub sent it, and trades before that are
/// never sent.
async fn until_trades_flow(engine: &Engine, clock: &ManualClock, id: i64, limit_ms: i64) {
    let mut live = engine.alerts().live();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let minute_end = limit_ms;
    loop {
        if live
            .borrow_and_update()
            .get(&id)
            .and_then(|l| l.last_price)
            .is_some()
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no trade reached the alerts worker"
        );
        let next = (clock.now() + chrono::Duration::milliseconds(500)).timestamp_millis();
        if next < minute_end {
            clock.set(at(next));
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), live.changed()).await;
    }
}

/// Starts the alerts worker as `coach alerts run` does (no OS notifications).
fn watch(engine: &Engine) {
    engine.alerts().run(RunOptions {
        os_notifications: false,
    });
}

/// Starts the worker and waits until its trades flow (alert `id` has a price),
/// without leaving minute 0.
async fn watch_live(engine: &Engine, clock: &ManualClock, id: i64) {
    watch(engine);
    upstream(engine, "T.SPY").await;
    upstream(engine, "AM.SPY").await;
    until_trades_flow(engine, clock, id, minute(1) - 1).await;
}

/// The next firing on `feed`, within 15 s.
async fn next_fired(feed: &mut broadcast::Receiver<AlertFeed>) -> AlertEvent {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match feed.recv().await {
                Ok(AlertFeed::Fired { event }) => return event,
                Ok(_) => {}
                Err(e) => panic!("the alerts feed failed: {e}"),
            }
        }
    })
    .await
    .expect("a firing within 15 s")
}

/// Waits until the worker's live view has seen a price at or after `ms`'s
/// minute (its last price is published once a second).
async fn worker_reached(engine: &Engine, id: i64, price: f64) {
    let mut live = engine.alerts().live();
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if live
                .borrow_and_update()
                .get(&id)
                .and_then(|l| l.last_price)
                .is_some_and(|p| (p - price).abs() < 1e-9)
            {
                return;
            }
            live.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the worker never saw {price} for alert {id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_fires_once_at_the_exact_tick_and_a_restart_neither_loses_nor_repeats_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let engine = kit(dir.path(), &clock).start().await;
    let (line, first) = line_reached_later(&engine);
    let alert = engine.alerts().create(crossing_above(line)).await.unwrap();
    assert_eq!(alert.state, AlertStateName::Armed);
    // Never fires: it keeps the symbol followed after the alert is done, and
    // its last price tells when the worker has read a minute.
    let witness = engine.alerts().create(witness()).await.unwrap();
    let mut feed = engine.alerts().subscribe();
    watch_live(&engine, &clock, alert.id).await;

    for i in 0..first {
        to_end_of(&clock, i);
    }
    // The minute that reaches the line, and a few more that move about it.
    to_end_of(&clock, first);
    let event = next_fired(&mut feed).await;
    let (t, p) = first_trade_at_or_above(&engine, first, line);
    assert_eq!(event.alert_id, alert.id);
    assert_eq!(
        (event.at_ms, event.price),
        (t, p),
        "the firing is the first trade at or above {line}"
    );
    assert_eq!(event.trigger_price, Some(line));
    assert!(!event.missed && !event.context.from_bar);
    assert!(
        event
            .message
            .starts_with(&format!("SPY crossed above {line:.2} at {p:.2}")),
        "{}",
        event.message
    );

    let bars = bars(&engine);
    let later = first + 10;
    for i in first + 1..later {
        to_end_of(&clock, i);
    }
    to_last_ms_of(&clock, later);
    let close = bars.iter().find(|b| b.0 == minute(later)).unwrap().4;
    worker_reached(&engine, witness.id, close).await;
    let history = engine.alerts().history(100).await.unwrap();
    assert_eq!(history.len(), 1, "fired once, not again: {history:?}");
    let listed = engine.alerts().get(alert.id).await.unwrap();
    assert_eq!(listed.state, AlertStateName::Fired);
    assert_eq!(listed.fires, 1);

    // Restart: the firing is there, nothing fires again, and the app is
    // sent the firing it never showed.
    drop(feed);
    drop(engine);
    let engine = kit(dir.path(), &clock).start().await;
    watch(&engine);
    let undelivered = engine
        .alerts()
        .undelivered(DeliveryChannel::InApp)
        .await
        .unwrap();
    assert_eq!(
        undelivered.len(),
        1,
        "written before delivery, so still there"
    );
    let sent = Arc::new(Mutex::new(Vec::new()));
    let sink = sent.clone();
    engine
        .alerts()
        .watch(move |f| {
            sink.lock().unwrap().push(f);
            true
        })
        .await
        .unwrap();
    eventually(10, "the unshown firing to be sent to the app", || {
        sent.lock()
            .unwrap()
            .iter()
            .any(|f| matches!(f, AlertFeed::Fired { event } if event.id == event_id(&undelivered)))
    })
    .await;
    let e = engine.alerts().clone();
    let mut shown = false;
    for _ in 0..500 {
        if e.undelivered(DeliveryChannel::InApp)
            .await
            .unwrap()
            .is_empty()
        {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(shown, "once sent to the app it is marked shown");
    // The worker replayed the minutes since it last ran: still one firing.
    upstream(&engine, "T.SPY").await;
    until_trades_flow(&engine, &clock, witness.id, minute(later + 2) - 1).await;
    to_last_ms_of(&clock, later + 2);
    let close = bars.iter().find(|b| b.0 == minute(later + 2)).unwrap().4;
    worker_reached(&engine, witness.id, close).await;
    assert_eq!(
        engine.alerts().history(100).await.unwrap().len(),
        1,
        "no firing after the restart"
    );
    let ev = &engine.alerts().history(1).await.unwrap()[0];
    let in_app = ev
        .deliveries
        .iter()
        .find(|d| d.channel == DeliveryChannel::InApp)
        .unwrap();
    assert_eq!(in_app.status, DeliveryStatus::Delivered);
}

/// An alert that never fires (SPY will not fall through 1.00).
fn witness() -> AlertInput {
    AlertInput {
        condition: Condition::CrossesBelow,
        ..crossing_above(1.0)
    }
}

fn event_id(events: &[AlertEvent]) -> i64 {
    events[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_fires_while_the_app_is_closed_is_reported_as_missed_at_its_minute() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let engine = kit(dir.path(), &clock).start().await;
    let (line, first) = line_reached_later(&engine);
    let alert = engine.alerts().create(crossing_above(line)).await.unwrap();
    watch_live(&engine, &clock, alert.id).await;
    to_last_ms_of(&clock, 0);
    let close0 = bars(&engine)[bars(&engine).iter().position(|b| b.0 == minute(0)).unwrap()].4;
    worker_reached(&engine, alert.id, close0).await;
    drop(engine);

    // Closed while the market crosses the line.
    to_end_of(&clock, first + 5);
    let engine = kit(dir.path(), &clock).start().await;
    let mut feed = engine.alerts().subscribe();
    watch(&engine);
    let event = next_fired(&mut feed).await;
    assert!(event.missed, "{event:?}");
    assert!(event.context.from_bar);
    assert_eq!(
        event.at_ms,
        minute(first),
        "it would have fired in the first minute whose high reaches {line}"
    );
    let high = bars(&engine)
        .iter()
        .find(|b| b.0 == minute(first))
        .unwrap()
        .2;
    assert!(event.price >= line && event.price <= high, "{event:?}");
    assert!(
        event.message.contains("Missed while the app was closed"),
        "{}",
        event.message
    );
    assert_eq!(
        engine.alerts().get(alert.id).await.unwrap().state,
        AlertStateName::Fired
    );

    // Started again at the same moment: the replayed minutes were watched, so
    // nothing is replayed (and reported) twice — not even for an alert that
    // fires every time.
    let every = engine.alerts().create(AlertInput {
        trigger: Trigger::Every,
        ..crossing_above(line)
    });
    let every = every.await.unwrap();
    let before = engine.alerts().history(100).await.unwrap().len();
    drop(feed);
    drop(engine);
    let engine = kit(dir.path(), &clock).start().await;
    let mut live = engine.alerts().live();
    watch(&engine);
    // The worker publishes its alerts once its replay is done.
    eventually(15, "the worker to finish its start", || {
        live.borrow_and_update().contains_key(&every.id)
    })
    .await;
    assert_eq!(engine.alerts().history(100).await.unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_drop_during_the_crossing_still_fires_once_from_the_backfilled_bars() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let engine = kit(dir.path(), &clock).start().await;
    let (line, first) = line_reached_later(&engine);
    let alert = engine.alerts().create(crossing_above(line)).await.unwrap();
    let witness = engine.alerts().create(witness()).await.unwrap();
    let mut feed = engine.alerts().subscribe();
    watch_live(&engine, &clock, alert.id).await;
    for i in 0..first - 2 {
        to_end_of(&clock, i);
    }
    to_last_ms_of(&clock, first - 2);
    let bars = bars(&engine);
    let close = |i: i64| bars.iter().find(|b| b.0 == minute(i)).unwrap().4;
    worker_reached(&engine, alert.id, close(first - 2)).await;
    // The socket drops just before the crossing minute and the provider
    // holds the backfill of the missed minutes while live trades flow again.
    let sim = engine.demo_market().unwrap();
    sim.hold_aggregates(true);
    clock.set(at(minute(first - 1) + 59_000));
    sim.drop_connections();
    clock.set(at(minute(first + 2) + 1_000));
    let mut held = sim.held_requests();
    eventually(15, "the backfill to reach the provider and wait", || {
        *held.borrow_and_update() >= 1
    })
    .await;
    // Live trades come again while the backfill waits: quotes (never held)
    // are sent with each trade, so the first quote after the reconnect says
    // the hub has had trades of SPY to hold.
    let mut quotes = engine.market().hub().subscribe(Topic::new(
        Channel::Quotes,
        coach_core::Symbol::parse("SPY").unwrap(),
    ));
    let mut step = minute(first + 2) + 1_000;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    'flowing: loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no live quote after the reconnect"
        );
        step += 1_000;
        clock.set(at(step));
        while let Ok(Ok(q)) = tokio::time::timeout(Duration::from_millis(100), quotes.recv()).await
        {
            if matches!(&*q, MarketData::Quote { t, .. } if *t > minute(first + 2) + 1_000) {
                break 'flowing;
            }
        }
    }
    // Released at once: a provider that holds a request past the client's
    // timeout fails the backfill, and that is another test.
    sim.hold_aggregates(false);
    to_end_of(&clock, first + 3);
    let event = next_fired(&mut feed).await;
    assert!(!event.missed);
    assert_eq!(event.alert_id, alert.id);
    assert!(
        event.context.from_bar,
        "the missed minutes are read before the trades that came after them: {event:?}"
    );
    assert_eq!(
        event.at_ms,
        minute(first),
        "the backfilled minute that crossed"
    );
    assert!(
        event.message.contains("its trades were not seen live"),
        "{}",
        event.message
    );
    to_last_ms_of(&clock, first + 4);
    worker_reached(&engine, witness.id, close(first + 4)).await;
    assert_eq!(
        engine.alerts().history(100).await.unwrap().len(),
        1,
        "the backfilled bars and the live trades fire it once"
    );
}

/// A webhook receiver on loopback that answers 500 to its first request and
/// 204 after, keeping every body.
async fn flaky_webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let got = Arc::new(Mutex::new(Vec::<Value>::new()));
    let store = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let store = store.clone();
            async move {
                let mut g = store.lock().unwrap();
                g.push(body);
                if g.len() == 1 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_goes_to_the_webhook_and_by_email_with_each_attempt_logged_and_failures_retried() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let (hook, received) = flaky_webhook().await;
    let smtp = SmtpServer::start(SmtpOptions {
        auth: Some(("trader".into(), "s3cret".into())),
        fail_first: 0,
        reject_auth: false,
    });
    let engine = kit(dir.path(), &clock)
        .settings(json!({
            "stale_after_secs": 600,
            "alert_webhook_url": hook,
            "alert_email": {
                "host": "127.0.0.1", "port": smtp.addr().port(), "security": "none",
                "username": "trader", "from": "coach@example.com", "to": ["me@example.com"]
            }
        }))
        .env("COACH_SMTP_PASSWORD", "s3cret")
        .env("COACH_ALERT_RETRY_BASE_MS", "50")
        .start()
        .await;
    let (line, first) = line_reached_later(&engine);
    let alert = engine.alerts().create(crossing_above(line)).await.unwrap();
    let mut feed = engine.alerts().subscribe();
    watch_live(&engine, &clock, alert.id).await;
    for i in 0..=first {
        to_end_of(&clock, i);
    }
    let event = next_fired(&mut feed).await;
    let mail = smtp.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mail[0].to, ["me@example.com"]);
    assert_eq!(mail[0].auth_user.as_deref(), Some("trader"));
    assert!(
        mail[0]
            .data
            .contains(&format!("SPY crossed above {line:.2}")),
        "{}",
        mail[0].data
    );
    eventually(15, "the webhook to be retried after its 500", || {
        received.lock().unwrap().len() >= 2
    })
    .await;
    let body = received.lock().unwrap()[1].clone();
    assert_eq!(body["alert_id"], json!(alert.id));
    assert_eq!(body["price"], json!(event.price));
    assert_eq!(body["at"], json!(event.at));
    assert_eq!(body["missed"], json!(false));
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("SPY crossed above"));

    let mut logged = vec![];
    for _ in 0..1500 {
        logged = engine.alerts().attempts(event.id).await.unwrap();
        if logged
            .iter()
            .filter(|a| a.channel == DeliveryChannel::Webhook)
            .count()
            >= 2
            && logged.iter().any(|a| a.channel == DeliveryChannel::Email)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let webhook: Vec<_> = logged
        .iter()
        .filter(|a| a.channel == DeliveryChannel::Webhook)
        .collect();
    assert_eq!(webhook.len(), 2, "{logged:?}");
    assert!(
        !webhook[0].ok && webhook[0].detail.contains("500"),
        "{:?}",
        webhook[0]
    );
    assert!(webhook[1].ok, "{:?}", webhook[1]);
    assert!(
        !webhook.iter().any(|a| a.detail.contains("/hook")),
        "the URL's path stays out of the log"
    );
    let history = engine.alerts().history(1).await.unwrap();
    let d = |c| {
        history[0]
            .deliveries
            .iter()
            .find(|d| d.channel == c)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        d(DeliveryChannel::Webhook).status,
        DeliveryStatus::Delivered
    );
    assert_eq!(d(DeliveryChannel::Webhook).attempts, 2);
    assert_eq!(d(DeliveryChannel::Email).status, DeliveryStatus::Delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_rules_are_checked_field_by_field_and_pause_resume_and_delete_work() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let engine = kit(dir.path(), &clock).start().await;
    let alerts = engine.alerts();
    let err = alerts
        .create(AlertInput {
            price: None,
            ..crossing_above(1.0)
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("price"), "{err}");
    let err = alerts
        .create(AlertInput {
            symbol: "not a ticker!".into(),
            ..crossing_above(500.0)
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("symbol"), "{err}");
    let err = alerts
        .create(AlertInput {
            expires_at: Some("2024-07-01T00:00:00Z".into()),
            ..crossing_above(500.0)
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("expires"), "{err}");
    let err = alerts
        .create(AlertInput {
            condition: Condition::Enters,
            price: Some(510.0),
            price2: Some(505.0),
            ..crossing_above(1.0)
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("price2"), "{err}");
    assert!(
        alerts.list().await.unwrap().is_empty(),
        "nothing bad was saved"
    );

    // A level alert takes the level's label and follows its price.
    let a = alerts
        .create(AlertInput {
            price: None,
            level: Some(coach_core::levels::LevelKind::PriorDayHigh),
            ..crossing_above(1.0)
        })
        .await
        .unwrap();
    assert_eq!(a.level_label.as_deref(), Some("PDH"));
    let paused = alerts.set_paused(a.id, true).await.unwrap();
    assert_eq!(paused.state, AlertStateName::Paused);
    assert_eq!(
        alerts.set_paused(a.id, false).await.unwrap().state,
        AlertStateName::Armed
    );
    alerts.delete(a.id).await.unwrap();
    assert!(alerts.list().await.unwrap().is_empty());
    assert!(
        alerts.delete(a.id).await.is_err(),
        "deleting twice names the missing alert"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_watches_the_alerts_at_a_time_and_a_resumed_alert_forgets_old_prices() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(START));
    let first = kit(dir.path(), &clock).start().await;
    let alert = first.alerts().create(crossing_above(600.0)).await.unwrap();
    assert!(first.alerts().claim().await.unwrap());
    watch(&first);
    // A second engine on the same data (the app and `coach alerts run`).
    let second = kit(dir.path(), &clock).start().await;
    assert!(
        !second.alerts().claim().await.unwrap(),
        "the second process may not watch while the first does"
    );
    first.alerts().stop().await;
    assert!(
        second.alerts().claim().await.unwrap(),
        "a clean stop gives the lease up"
    );

    // A paused alert's last price (saved by the worker) is forgotten on resume:
    // a crossing that happened while it was paused does not fire.
    let db = second.db().alerts();
    let stored = db.alerts().unwrap();
    let s = stored.iter().find(|s| s.id == alert.id).unwrap();
    let mut state = s.state.clone();
    coach_core::alerts::on_tick(
        &s.rule,
        &mut state,
        0,
        590.0,
        &coach_core::alerts::Inputs {
            level_price: None,
            atr: None,
        },
    );
    assert_eq!(state.last_price(), Some(590.0));
    db.save_states(&[(s.id, s.updated_ms, state)], None, 0)
        .unwrap();
    second.alerts().set_paused(alert.id, true).await.unwrap();
    second.alerts().set_paused(alert.id, false).await.unwrap();
    let resumed = db.alerts().unwrap();
    assert_eq!(resumed[0].state.last_price(), None);
}
