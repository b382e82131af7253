//! The live chart stream against the demo market with a manual clock: the
//! first answer, the forming bar and its indicator values (the same numbers
//! the history computation gives), latest-open-wins per slot, and the REST
//! refresh path behind the AI_COACH_CHART_LIVE_UPDATES flag.

use std::time::Duration;

use coach_core::candles::Candle;
use coach_core::indicators::IndicatorSet;
use coach_core::Timeframe;
use coach_engine::chart_stream::{
    ChartEvent, ChartOpen, ChartOpenError, DEFAULT_INDICATORS, MAX_VIEW_BARS,
};
use coach_engine::market::history::{default_lookback_ms, ChartError, ChartQuery};
use coach_sim::ManualClock;
use tokio::sync::mpsc;

use crate::market::{demo_engine_env, upstream, utc};

fn open(symbol: &str, tf: &str) -> ChartOpen {
    ChartOpen {
        symbol: symbol.into(),
        timeframe: tf.into(),
        indicators: vec![],
    }
}

fn sink() -> (
    impl Fn(ChartEvent) -> bool + Send + Sync + 'static,
    mpsc::UnboundedReceiver<ChartEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (move |ev| tx.send(ev).is_ok(), rx)
}

fn bits(row: &[Option<f64>]) -> Vec<Option<u64>> {
    row.iter().map(|v| v.map(f64::to_bits)).collect()
}

/// The indicator rows a fresh batch computation gives over `bars`.
fn batch(bars: &[Candle]) -> Vec<Vec<Option<f64>>> {
    let specs: Vec<_> = DEFAULT_INDICATORS
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let candles: Vec<Candle> = bars.to_vec();
    IndicatorSet::run(&specs, &candles)
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<ChartEvent>, what: &str) -> ChartEvent {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no chart event within 15 s while waiting for {what}"))
        .expect("the chart stream stays open")
}

/// What a chart stream has sent, each bar checked against a fresh history computation.
#[derive(Default)]
struct Seen {
    partials: usize,
    finals: Vec<Candle>,
    levels: Option<coach_core::levels::LevelsReport>,
}

impl Seen {
    /// `history`: every bar loaded for the chart (the view shows the newest of them).
    fn check(
        &mut self,
        ev: ChartEvent,
        view: &coach_engine::chart_stream::ChartView,
        history: &[Candle],
        last: i64,
    ) {
        match ev {
            ChartEvent::Bar {
                generation,
                bar,
                is_final,
                indicators,
                received_ms,
            } => {
                assert_eq!(generation, view.generation);
                assert!(received_ms > 1.7e12, "a wall-clock stamp for tick-to-chart");
                assert!(bar.time > last);
                let mut history = history.to_vec();
                history.extend(&self.finals);
                history.push(bar);
                let want = batch(&history).pop().unwrap();
                assert_eq!(
                    bits(&indicators),
                    bits(&want),
                    "the bar at {} (final: {is_final}) has the values history gives",
                    bar.time
                );
                if is_final {
                    self.finals.push(bar);
                } else {
                    self.partials += 1;
                }
            }
            ChartEvent::Levels { report, .. } => self.levels = Some(report),
            ChartEvent::Connection { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_patches_the_forming_bar_with_the_same_indicator_values_as_history() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:00:30Z"); // 10:00:30 New York
    let clock = ManualClock::new(start);
    let engine = demo_engine_env(dir.path(), &clock, 600, &[]).await;
    let (tx, mut rx) = sink();
    let view = engine
        .charts()
        .open("main", open("spy", "1m"), tx)
        .await
        .unwrap();
    assert_eq!(
        (view.symbol.as_str(), view.timeframe.as_str()),
        ("SPY", "1m")
    );
    assert!(view.live_updates, "live updates are on by default");
    // All the history the chart loaded: the view carries the newest bars, with
    // indicator values computed over all of it.
    let history = engine
        .bar_history()
        .load(&ChartQuery {
            symbol: "SPY".into(),
            timeframe: "1m".into(),
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .bars;
    assert!(
        history.len() > MAX_VIEW_BARS,
        "three days of minutes: {}",
        history.len()
    );
    assert_eq!(view.bars.len(), MAX_VIEW_BARS);
    assert_eq!(view.older_bars as usize, history.len() - MAX_VIEW_BARS);
    assert_eq!(view.bars[..], history[history.len() - MAX_VIEW_BARS..]);
    let last = *view.bars.last().unwrap();
    assert_eq!(
        last.time,
        utc("2024-07-02T13:59:00Z").timestamp_millis(),
        "completed bars only"
    );
    assert_eq!(
        view.indicator_keys.len(),
        14,
        "1 + 1 + 5 + 3 + 1 + 3 columns"
    );
    let rows = batch(&history);
    let rows = &rows[history.len() - MAX_VIEW_BARS..];
    for (k, column) in view.indicators.iter().enumerate() {
        assert_eq!(column.len(), view.bars.len());
        let want: Vec<Option<f64>> = rows.iter().map(|r| r[k]).collect();
        assert_eq!(
            bits(column),
            bits(&want),
            "column {}",
            view.indicator_keys[k]
        );
    }
    let vwap = view
        .indicator_keys
        .iter()
        .position(|k| k == "vwap_upper_2")
        .unwrap();
    assert!(
        view.indicators[vwap].last().unwrap().is_some(),
        "VWAP bands are drawn in the session"
    );

    upstream(&engine, "AM.SPY").await;
    // Two simulated minutes pass, a few seconds at a time. A step may bring no
    // trade (so no update); every update that comes is checked.
    let mut seen = Seen::default();
    for step in 1..=30 {
        clock.set(start + chrono::Duration::seconds(step * 4));
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(150), rx.recv()).await {
            seen.check(ev, &view, &history, last.time);
        }
    }
    while seen
        .finals
        .last()
        .is_none_or(|b| b.time < last.time + 120_000)
    {
        let ev = next_event(&mut rx, "the second minute to close").await;
        seen.check(ev, &view, &history, last.time);
    }
    let Seen {
        partials,
        finals,
        levels,
    } = seen;
    assert!(
        partials >= 10,
        "the forming bar was patched ({partials} updates)"
    );
    let times: Vec<i64> = finals.iter().map(|b| b.time).collect();
    assert_eq!(
        times,
        [last.time + 60_000, last.time + 120_000],
        "each minute closed once, in order"
    );
    let levels = match levels {
        Some(l) => l,
        None => loop {
            if let ChartEvent::Levels { report, .. } = next_event(&mut rx, "levels").await {
                break report;
            }
        },
    };
    assert_eq!(levels.symbol, "SPY");
    assert!(levels
        .levels
        .iter()
        .any(|l| l.kind.as_str() == "prior_day_high"));
    assert!(engine.charts().close("main"));
    assert!(engine.charts().open_slots().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_open_in_a_slot_wins_and_only_its_stream_runs() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc("2024-07-02T14:00:30Z"));
    let engine = demo_engine_env(dir.path(), &clock, 600, &[]).await;
    let (tx_a, mut rx_a) = sink();
    let (tx_b, mut rx_b) = sink();
    let (a, b) = tokio::join!(
        engine.charts().open("main", open("QQQ", "5m"), tx_a),
        engine.charts().open("main", open("IWM", "15m"), tx_b),
    );
    assert!(
        matches!(a, Err(ChartOpenError::Chart(ChartError::Superseded))),
        "the older open is superseded: {a:?}"
    );
    let b = b.unwrap();
    assert_eq!((b.symbol.as_str(), b.timeframe.as_str()), ("IWM", "15m"));
    assert_eq!(engine.charts().open_slots(), ["main"]);
    // The winner's stream speaks with its own generation; the loser's never started.
    match next_event(&mut rx_b, "the winner's first event").await {
        ChartEvent::Connection { generation, .. } | ChartEvent::Levels { generation, .. } => {
            assert_eq!(generation, b.generation)
        }
        other => panic!("unexpected first event {other:?}"),
    }
    assert!(rx_a.try_recv().is_err(), "nothing from the superseded open");
    // A bad indicator is a clear error naming it.
    let (tx, _rx) = sink();
    let mut bad = open("SPY", "1m");
    bad.indicators = vec!["ema:20".into(), "ema:0".into()];
    let e = engine.charts().open("other", bad, tx).await.unwrap_err();
    assert!(e.to_string().contains("ema:0"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_live_updates_off_the_chart_refreshes_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:00:30Z");
    let clock = ManualClock::new(start);
    let engine = demo_engine_env(
        dir.path(),
        &clock,
        600,
        &[("AI_COACH_CHART_LIVE_UPDATES", "off")],
    )
    .await;
    assert!(!engine.charts().live_updates());
    engine.charts().set_rest_refresh(Duration::from_millis(200));
    let (tx, mut rx) = sink();
    let view = engine
        .charts()
        .open("main", open("SPY", "1m"), tx)
        .await
        .unwrap();
    assert!(!view.live_updates);
    let last = view.bars.last().unwrap().time;
    clock.set(start + chrono::Duration::minutes(3));
    let (bars, rows) = loop {
        match next_event(&mut rx, "a REST refresh").await {
            // A refresh that ran before the clock moved brings nothing new.
            ChartEvent::Fill { bars, .. } if bars.is_empty() => {}
            ChartEvent::Fill {
                bars, indicators, ..
            } => break (bars, indicators),
            ChartEvent::Bar { .. } => panic!("no socket updates with live updates off"),
            _ => {}
        }
    };
    let times: Vec<i64> = bars.iter().map(|b| b.time).collect();
    assert_eq!(
        times,
        [last + 60_000, last + 120_000, last + 180_000],
        "the three completed minutes"
    );
    let mut history = engine
        .bar_history()
        .load(&ChartQuery {
            symbol: "SPY".into(),
            timeframe: "1m".into(),
            // The same start as the chart's open (the clock had not moved then).
            from_ms: Some(start.timestamp_millis() - default_lookback_ms(Timeframe::M1)),
            to_ms: Some(last),
        })
        .await
        .unwrap()
        .bars;
    assert_eq!(history.last(), view.bars.last());
    history.extend(&bars);
    let want = batch(&history);
    assert_eq!(bits(&rows[2]), bits(&want[want.len() - 1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_opened_mid_bar_closes_that_bar_with_all_its_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc("2024-07-02T14:07:30Z"); // 10:07:30 New York, inside the 10:00 15-minute bar
    let clock = ManualClock::new(start);
    let engine = demo_engine_env(dir.path(), &clock, 600, &[]).await;
    let (tx, mut rx) = sink();
    let view = engine
        .charts()
        .open("main", open("SPY", "15m"), tx)
        .await
        .unwrap();
    let bar_start = utc("2024-07-02T14:00:00Z").timestamp_millis();
    assert!(
        view.bars.iter().all(|b| b.time < bar_start),
        "completed bars only"
    );
    upstream(&engine, "AM.SPY").await;
    // Time moves past the bar's end, a few seconds at a time.
    let mut closed = None;
    for step in 1..=60 {
        clock.set(start + chrono::Duration::seconds(step * 8));
        while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            if let ChartEvent::Bar {
                bar,
                is_final: true,
                ..
            } = ev
            {
                if bar.time == bar_start {
                    closed = Some(bar);
                }
            }
        }
        if closed.is_some() {
            break;
        }
    }
    let got = closed.expect("the 10:00 bar closed");
    // The truth: the demo market's own minutes 10:00–10:14, aggregated here.
    let minutes: Vec<_> = engine
        .demo_market()
        .unwrap()
        .model()
        .minute_bars("SPY", start.date_naive())
        .unwrap()
        .iter()
        .filter(|b| b.t >= bar_start && b.t < bar_start + 15 * 60_000)
        .cloned()
        .collect();
    assert_eq!(minutes.len(), 15);
    assert_eq!(
        got.open, minutes[0].o,
        "the open is 10:00's, not the first trade after the chart opened"
    );
    assert_eq!(got.close, minutes[14].c);
    assert_eq!(
        got.high,
        minutes.iter().map(|b| b.h).fold(f64::MIN, f64::max)
    );
    assert_eq!(
        got.low,
        minutes.iter().map(|b| b.l).fold(f64::MAX, f64::min)
    );
    let volume: f64 = minutes.iter().map(|b| b.v).sum();
    assert!(
        (got.volume - volume).abs() < 1e-6,
        "{} vs {volume}",
        got.volume
    );
}
