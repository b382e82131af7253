//! The journal component on a real SQLite file: every broker's fixture
//! imported twice (the second adds nothing), a bad file stopped whole, the
//! figures of a tastytrade file checked against a hand computation, notes and
//! manual trades.

use coach_core::journal::stats::GroupBy;
use coach_core::journal::trades::{Direction, TradeStatus};
use coach_engine::journal::{ImportRequest, ManualTrade, TradeFilter, TradeNotes};
use coach_engine::Engine;
use coach_testkit::EngineKit;

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/journal/",
                $path
            )),
        )
    };
}

async fn engine(dir: &std::path::Path) -> Engine {
    EngineKit::new(dir).lazy_market(true).start().await
}

fn auto() -> ImportRequest {
    ImportRequest::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_imports_once_and_a_second_import_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let journal = engine.journal();
    let files = [
        (fixture!("tastytrade/current.csv"), "tastytrade"),
        (fixture!("tastytrade/2023.csv"), "tastytrade"),
        (fixture!("tastytrade/legacy.csv"), "tastytrade"),
        (fixture!("thinkorswim/statement.csv"), "thinkorswim"),
        (fixture!("ibkr/flex_activity.xml"), "ibkr"),
        (fixture!("ibkr/activity_statement.csv"), "ibkr"),
        (fixture!("robinhood/activity.csv"), "robinhood"),
        (fixture!("schwab/transactions.csv"), "schwab"),
        (fixture!("fidelity/history.csv"), "fidelity"),
        (fixture!("webull/orders.csv"), "webull"),
    ];
    for ((name, text), broker) in files {
        let first = journal.import(text, name, &auto()).await.unwrap();
        assert_eq!(first.broker, broker, "{name} is recognised");
        assert!(first.errors.is_empty(), "{name}: {:?}", first.errors);
        assert!(!first.stopped);
        assert!(first.imported > 0, "{name} adds executions");
        assert!(first.trades_touched > 0, "{name} makes trades");
        let again = journal.import(text, name, &auto()).await.unwrap();
        assert_eq!(again.imported, 0, "{name} again adds nothing");
        assert_eq!(
            again.duplicates, first.imported,
            "{name}: each one seen before"
        );
        assert_eq!(again.trades_touched, 0);
    }
    let trades = journal.trades(&TradeFilter::default()).await.unwrap();
    let brokers: std::collections::BTreeSet<String> =
        trades.iter().map(|t| t.broker.to_string()).collect();
    assert_eq!(brokers.len(), 7, "trades from every broker: {brokers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_a_bad_trade_row_imports_nothing_unless_asked_to_skip_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let journal = engine.journal();
    let (name, text) = fixture!("tastytrade/bad.csv");
    let req = ImportRequest {
        broker: Some("tastytrade".into()),
        ..ImportRequest::default()
    };
    let stopped = journal.import(text, name, &req).await.unwrap();
    assert!(stopped.stopped);
    assert_eq!(stopped.imported, 0);
    assert_eq!(
        stopped.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![3, 4, 5],
        "each bad row named by its line"
    );
    assert!(
        stopped.errors[0].message.contains("abc"),
        "{:?}",
        stopped.errors[0]
    );
    assert!(
        journal
            .trades(&TradeFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    let rest = journal
        .import(
            text,
            name,
            &ImportRequest {
                skip_bad_rows: true,
                ..req
            },
        )
        .await
        .unwrap();
    assert!(!rest.stopped);
    assert!(rest.imported > 0, "the readable rows go in");
    assert_eq!(rest.errors.len(), 3, "and the bad ones are still listed");
    let unknown = journal
        .import("Date,Amount\n2024-07-01,5\n", "x.csv", &auto())
        .await;
    assert!(
        unknown.unwrap_err().to_string().contains("not recognised"),
        "a file of no known broker is refused by name"
    );
}

/// tastytrade/current.csv worked by hand (prices per share, × 100 per contract;
/// the two AAPL legs are one vertical in the figures):
/// - MSFT: 2 @ 512.40 → 520.15 = +15.50, fees 0.08 + 0.05 → +15.37
/// - SPY 550C: 2.50 → 3.10 = +60.00, fees 1.14 + 0.14 → +58.72
/// - IWM 200P short 3 (2 @ 1.85, 1 @ 1.84) assigned: +554.00, fees 2.28 + 1.14 → +550.58
/// - AAPL 230C long @ 4.20 expired: −420.00 − 1.14 → −421.14
/// - AAPL 240C short @ 1.35 expired: +135.00 − 1.13 → +133.87
/// - IWM stock 300 @ 200.00 from the assignment: open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_of_a_tastytrade_file_match_a_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let journal = engine.journal();
    let (name, text) = fixture!("tastytrade/current.csv");
    journal.import(text, name, &auto()).await.unwrap();
    let trades = journal.trades(&TradeFilter::default()).await.unwrap();
    assert_eq!(trades.len(), 6);
    let pnl = |sym: &str| trades.iter().find(|t| t.symbol == sym).unwrap();
    assert_eq!(pnl("MSFT").realized_pnl, Some(15.37));
    assert_eq!(pnl("SPY240719C00550000").realized_pnl, Some(58.72));
    let put = pnl("IWM240816P00200000");
    assert_eq!(put.realized_pnl, Some(550.58));
    assert_eq!(put.status, TradeStatus::Assigned);
    assert_eq!(put.side, Direction::Short);
    assert_eq!(put.quantity, 3.0);
    assert_eq!(
        put.executions.len(),
        3,
        "two partial fills and the assignment"
    );
    assert_eq!(pnl("AAPL240920C00230000").realized_pnl, Some(-421.14));
    assert_eq!(pnl("AAPL240920C00230000").status, TradeStatus::Expired);
    assert_eq!(pnl("AAPL240920C00240000").realized_pnl, Some(133.87));
    let stock = pnl("IWM");
    assert_eq!(stock.status, TradeStatus::Open);
    assert_eq!(stock.entry_price, Some(200.0));
    assert_eq!(stock.realized_pnl, None);
    let long = pnl("AAPL240920C00230000");
    let short = pnl("AAPL240920C00240000");
    assert_eq!(long.strategy, "vertical");
    assert!(long.strategy_id.is_some());
    assert_eq!(
        long.strategy_id, short.strategy_id,
        "one order, one strategy"
    );
    assert_eq!(pnl("SPY240719C00550000").strategy, "long call");

    let view = journal
        .stats(&TradeFilter::default(), Some(GroupBy::Underlying))
        .await
        .unwrap();
    let s = &view.stats;
    // The AAPL vertical is one trade: −421.14 + 133.87 = −287.27.
    assert_eq!((s.trades, s.wins, s.losses, s.breakeven), (4, 3, 1, 0));
    // 15.37 + 58.72 + 550.58 − 287.27
    assert_eq!(s.net_pnl, 337.4);
    assert_eq!(s.fees, 7.1, "0.13 + 1.28 + 3.42 + 1.14 + 1.13");
    assert_eq!(s.win_rate, Some(0.75));
    assert_eq!(s.profit_factor, Some(2.17), "624.67 / 287.27");
    assert_eq!(s.expectancy, Some(84.35));
    assert_eq!(s.avg_loss, Some(-287.27));
    assert_eq!(
        s.max_drawdown, 287.27,
        "from 624.67 (after IWM) down to 337.40"
    );
    assert_eq!(view.groups["AAPL"].trades, 1);
    assert_eq!(view.groups["AAPL"].net_pnl, -287.27);
    assert_eq!(
        view.groups["IWM"].trades, 1,
        "the open stock is not counted"
    );

    let july = TradeFilter {
        from: Some("2024-07-01".into()),
        to: Some("2024-07-31".into()),
        underlying: Some("spy".into()),
        ..TradeFilter::default()
    };
    let spy = journal.stats(&july, None).await.unwrap();
    assert_eq!((spy.stats.trades, spy.stats.net_pnl), (1, 58.72));
    let bad = TradeFilter {
        from: Some("July".into()),
        ..TradeFilter::default()
    };
    assert!(journal
        .trades(&bad)
        .await
        .unwrap_err()
        .to_string()
        .contains("July"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_tags_and_manual_trades_are_kept_and_validated_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let journal = engine.journal();
    let manual = ManualTrade {
        symbol: "nvda".into(),
        option: None,
        side: Direction::Long,
        quantity: 10.0,
        entry_price: 120.0,
        opened_at: "2024-07-01T14:00:00Z".into(),
        exit_price: Some(125.5),
        closed_at: Some("2024-07-02T15:00:00Z".into()),
        fees: 2.0,
        account: None,
        notes: "breakout over PDH".into(),
        tags: vec!["breakout".into(), " Breakout ".into(), "A+".into()],
        setup: Some("ORB".into()),
        risk: Some(25.0),
    };
    let id = journal.add_manual(&manual).await.unwrap();
    let t = journal.trade(id).await.unwrap();
    // (125.50 − 120.00) × 10 − 2.00
    assert_eq!(t.realized_pnl, Some(53.0));
    assert_eq!(t.tags, vec!["breakout", "A+"], "tags trimmed, once each");
    assert_eq!(t.r_multiple, Some(2.12), "53 / 25");
    assert_eq!(t.broker.to_string(), "manual");

    let edited = journal
        .edit_manual(
            id,
            &ManualTrade {
                exit_price: Some(119.0),
                ..manual.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.id, id, "the same trade");
    assert_eq!(edited.realized_pnl, Some(-12.0), "(119 − 120) × 10 − 2");

    let wrong = ManualTrade {
        quantity: -3.0,
        ..manual.clone()
    };
    let e = journal.add_manual(&wrong).await.unwrap_err().to_string();
    assert!(e.contains("quantity"), "{e}");
    let wrong = ManualTrade {
        closed_at: None,
        ..manual.clone()
    };
    let e = journal.add_manual(&wrong).await.unwrap_err().to_string();
    assert!(e.contains("closed_at"), "{e}");

    let (name, text) = fixture!("webull/orders.csv");
    journal.import(text, name, &auto()).await.unwrap();
    let imported = journal
        .trades(&TradeFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.broker.to_string() == "webull")
        .unwrap();
    let noted = journal
        .set_notes(
            imported.id,
            TradeNotes {
                notes: "chased".into(),
                tags: vec!["fomo".into()],
                setup: None,
                risk: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(noted.notes, "chased");
    // A re-import keeps the notes: the trade keeps its id.
    journal.import(text, name, &auto()).await.unwrap();
    assert_eq!(journal.trade(imported.id).await.unwrap().tags, vec!["fomo"]);
    assert!(
        journal.edit_manual(imported.id, &manual).await.is_err(),
        "an imported trade's numbers are the broker's"
    );
    journal.delete(id).await.unwrap();
    assert!(journal.trade(id).await.is_err());
}

fn manual(
    symbol: &str,
    option: Option<(coach_core::journal::OptionKind, f64, &str)>,
    qty: f64,
    entry: f64,
    opened: &str,
    exit: Option<(f64, &str)>,
) -> ManualTrade {
    ManualTrade {
        symbol: symbol.into(),
        option: option.map(|(kind, strike, exp)| coach_engine::journal::TradeOption {
            kind,
            strike,
            expiration: exp.into(),
        }),
        side: Direction::Long,
        quantity: qty,
        entry_price: entry,
        opened_at: opened.into(),
        exit_price: exit.map(|e| e.0),
        closed_at: exit.map(|e| e.1.into()),
        fees: 0.0,
        account: None,
        notes: String::new(),
        tags: vec![],
        setup: None,
        risk: None,
    }
}

/// Tuesday 2 July 2024, 11:00 New York, on the demo market.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pnl_tracker_sums_realized_days_and_marks_open_trades_live_from_the_socket() {
    use coach_core::journal::OptionKind;
    use coach_engine::market::{Channel, Topic};
    let dir = tempfile::tempdir().unwrap();
    let clock = coach_sim::ManualClock::new(crate::market::utc("2024-07-02T15:00:00Z"));
    let engine = EngineKit::new(dir.path())
        .seed(5)
        .demo_at(&clock)
        .lazy_market(true)
        .start()
        .await;
    let j = engine.journal();
    // Closed today +53.00, Monday −12.00, last Friday +7.00.
    j.add_manual(&manual(
        "NVDA",
        None,
        10.0,
        120.0,
        "2024-07-02T13:40:00Z",
        Some((125.3, "2024-07-02T14:00:00Z")),
    ))
    .await
    .unwrap();
    j.add_manual(&manual(
        "AAPL",
        None,
        4.0,
        200.0,
        "2024-07-01T14:00:00Z",
        Some((197.0, "2024-07-01T15:00:00Z")),
    ))
    .await
    .unwrap();
    j.add_manual(&manual(
        "MSFT",
        None,
        1.0,
        400.0,
        "2024-06-28T14:00:00Z",
        Some((407.0, "2024-06-28T15:00:00Z")),
    ))
    .await
    .unwrap();
    // Open: 10 SPY at 500, one SPY call at 2.00 (a strike listed on 12 July).
    let chain = engine
        .options()
        .chain("SPY", Some("2024-07-12".parse().unwrap()))
        .await
        .unwrap();
    let strike = chain.atm_strike.unwrap();
    let stock = j
        .add_manual(&manual(
            "SPY",
            None,
            10.0,
            500.0,
            "2024-07-01T14:00:00Z",
            None,
        ))
        .await
        .unwrap();
    let call = j
        .add_manual(&manual(
            "SPY",
            Some((OptionKind::Call, strike, "2024-07-12")),
            1.0,
            2.0,
            "2024-07-01T14:00:00Z",
            None,
        ))
        .await
        .unwrap();

    let v = engine.pnl_tracker().snapshot().await.unwrap();
    assert_eq!(
        (v.today_realized, v.today_trades),
        (53.0, 1),
        "(125.30 − 120) × 10"
    );
    assert_eq!(
        (v.week_realized, v.week_trades),
        (41.0, 2),
        "53 − 12; Friday is last week"
    );
    assert_eq!(v.sparkline.len(), 10);
    let day = |d: &str| v.sparkline.iter().find(|x| x.date == d).unwrap().pnl;
    assert_eq!(
        (day("2024-06-28"), day("2024-07-01"), day("2024-07-02")),
        (7.0, -12.0, 53.0)
    );
    assert_eq!(day("2024-06-30"), 0.0, "a Sunday without a close");
    let spy = engine
        .options()
        .last_price(&coach_core::Symbol::parse("SPY").unwrap())
        .await
        .unwrap();
    let line = |v: &coach_engine::pnl_tracker::PnlTrackerView, id: i64| {
        v.open.iter().find(|l| l.id == id).unwrap().clone()
    };
    let s = line(&v, stock);
    assert_eq!(s.mark, Some(spy), "stock at its last price");
    assert_eq!(
        s.unrealized,
        Some(((spy - 500.0) * 10.0 * 100.0).round() / 100.0)
    );
    let c = line(&v, call);
    let mid = chain
        .rows
        .iter()
        .find(|r| r.strike == strike)
        .and_then(|r| r.call.as_ref())
        .and_then(|q| q.mid)
        .unwrap();
    assert_eq!(c.source, "chain mid");
    assert_eq!(
        c.unrealized,
        Some(((mid - 2.0) * 100.0 * 100.0).round() / 100.0),
        "× 100 once"
    );
    assert_eq!(
        v.unrealized,
        ((s.unrealized.unwrap() + c.unrealized.unwrap()) * 100.0).round() / 100.0
    );

    // Live: SPY's second aggregates re-mark both; the marks are prices the socket carried.
    let mut seconds = engine.market().hub().subscribe(Topic::new(
        Channel::Seconds,
        coach_core::Symbol::parse("SPY").unwrap(),
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    engine
        .pnl_tracker()
        .follow(move |v| tx.send(v).is_ok())
        .await
        .unwrap();
    crate::market::upstream(&engine, "A.SPY").await;
    // The socket may still be subscribing when the clock moves (those seconds
    // then go nowhere): the clock moves on five seconds at a time until an
    // update comes.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let live = loop {
        clock.advance(chrono::Duration::seconds(5));
        match tokio::time::timeout(std::time::Duration::from_millis(1500), async {
            loop {
                let v = rx.recv().await.unwrap();
                if line(&v, call).source.starts_with("repriced at") {
                    return v;
                }
            }
        })
        .await
        {
            Ok(v) => break v,
            Err(_) => assert!(tokio::time::Instant::now() < deadline, "a live update"),
        }
    };
    let mut closes = Vec::new();
    while let Some(ev) = seconds.try_recv() {
        if let coach_engine::market::wire::MarketData::Aggregate { close, .. } = *ev {
            closes.push(close);
        }
    }
    let s = line(&live, stock);
    let mark = s.mark.unwrap();
    assert!(
        closes.contains(&mark),
        "the stock's mark {mark} is a price from the socket: {closes:?}"
    );
    assert_eq!(
        s.unrealized,
        Some(((mark - 500.0) * 10.0 * 100.0).round() / 100.0)
    );
    let c = line(&live, call);
    assert!(
        c.source.starts_with(&format!("repriced at {mark:.2}")),
        "{}",
        c.source
    );
    // Worked out apart from the tracker: BSM at the socket's price, the
    // chain's IV for that strike, the time left at the market's clock.
    let iv = chain
        .rows
        .iter()
        .find(|r| r.strike == strike)
        .and_then(|r| r.call.as_ref())
        .and_then(|q| q.iv)
        .unwrap();
    let contract = coach_core::options::Contract {
        kind: coach_core::options::OptionKind::Call,
        spot: mark,
        strike,
        years: coach_engine::options_chain::years_to_expiry(
            engine.market().clock().now(),
            "2024-07-12".parse().unwrap(),
        ),
        rate: coach_engine::options_chain::DEFAULT_RATE,
        dividend: 0.0,
    };
    let price = coach_core::options::bsm(&contract, iv).unwrap().price;
    let mark = c.mark.unwrap();
    // The clock may have moved a few seconds more after the repricing: theta
    // over seconds is far below a hundredth of a cent.
    assert!((mark - price).abs() < 5e-4, "mark {mark} vs BSM {price}");
    assert_eq!(
        c.unrealized,
        Some(((mark - 2.0) * 100.0 * 100.0).round() / 100.0),
        "× 100 once"
    );
    engine.pnl_tracker().unfollow(None);
}

/// A sale larger than the position closes it and opens a short: that fill is
/// in both trades, so deleting one deletes both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_sharing_a_fill_are_deleted_together() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let j = engine.journal();
    let header = "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Currency";
    let csv = format!(
        "{header}\n\
         2024-07-10T10:00:00-0400,Trade,,BUY,MSFT,Equity,Bought 10 MSFT @ 100.00,-1000.00,10,-100.00,0.00,0.00,1,,MSFT,,,,1,USD\n\
         2024-07-10T11:00:00-0400,Trade,,SELL,MSFT,Equity,Sold 30 MSFT @ 110.00,3300.00,30,110.00,0.00,0.00,1,,MSFT,,,,2,USD\n\
         2024-07-10T12:00:00-0400,Trade,,BUY,MSFT,Equity,Bought 20 MSFT @ 105.00,-2100.00,20,-105.00,0.00,0.00,1,,MSFT,,,,3,USD\n"
    );
    let s = j.import(&csv, "flip.csv", &auto()).await.unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let trades = j.trades(&TradeFilter::default()).await.unwrap();
    assert_eq!(trades.len(), 2);
    let long = trades.iter().find(|t| t.side == Direction::Long).unwrap();
    let short = trades.iter().find(|t| t.side == Direction::Short).unwrap();
    assert_eq!(long.realized_pnl, Some(100.0), "(110 − 100) × 10");
    assert_eq!(short.realized_pnl, Some(100.0), "(110 − 105) × 20");
    assert_eq!(long.linked, vec![short.id], "the sale links them");
    assert_eq!(short.linked, vec![long.id]);
    // Deleting one deletes both: the shared sale cannot stay half.
    let gone = j.delete(long.id).await.unwrap();
    let mut both = vec![long.id, short.id];
    both.sort();
    assert_eq!(gone, both);
    assert!(j.trades(&TradeFilter::default()).await.unwrap().is_empty());
}

/// A strategy counts as one trade once every leg is closed; while a leg is
/// open, each closed leg counts on its own (its P&L is realized).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_with_a_leg_still_open_counts_its_closed_legs() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let j = engine.journal();
    let header = "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Currency";
    // A vertical opened as one order (expiring in 2027, after the demo market's
    // date); the short leg is bought back, the long stays.
    let csv = format!(
        "{header}\n\
         2024-07-10T10:00:00-0400,Trade,Buy to Open,BUY_TO_OPEN,SPY   271217C00550000,Equity Option,Bought 1,-500.00,1,-500.00,0.00,0.00,100,SPY,SPY,12/17/27,550,CALL,77,USD\n\
         2024-07-10T10:00:00-0400,Trade,Sell to Open,SELL_TO_OPEN,SPY   271217C00560000,Equity Option,Sold 1,200.00,1,200.00,0.00,0.00,100,SPY,SPY,12/17/27,560,CALL,77,USD\n\
         2024-07-15T10:00:00-0400,Trade,Buy to Close,BUY_TO_CLOSE,SPY   271217C00560000,Equity Option,Bought 1,-50.00,1,-50.00,0.00,0.00,100,SPY,SPY,12/17/27,560,CALL,78,USD\n"
    );
    let s = j.import(&csv, "legged.csv", &auto()).await.unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let st = j.stats(&TradeFilter::default(), None).await.unwrap().stats;
    // The short 560 call: sold 2.00, bought back 0.50 → +150.00.
    assert_eq!((st.trades, st.net_pnl), (1, 150.0));
    let july = TradeFilter {
        from: Some("2024-07-15".into()),
        to: Some("2024-07-15".into()),
        ..TradeFilter::default()
    };
    assert_eq!(
        j.stats(&july, None).await.unwrap().stats.net_pnl,
        150.0,
        "by the day it closed"
    );
}

/// Notes are kept under a trade's first fill. A later file with only the
/// close makes an incomplete trade; notes put on it stay with the trade when
/// the older file with its opening is imported (its first fill changes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_stay_with_a_trade_when_an_older_file_brings_its_opening() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path()).await;
    let j = engine.journal();
    let header = "Date,Type,Sub Type,Action,Symbol,Instrument Type,Description,Value,Quantity,Average Price,Commissions,Fees,Multiplier,Root Symbol,Underlying Symbol,Expiration Date,Strike Price,Call or Put,Order #,Currency";
    let close = format!("{header}\n2024-07-12T15:00:00-0400,Trade,Sell to Close,SELL_TO_CLOSE,MSFT,Equity,Sold 2 MSFT @ 110.00,220.00,2,110.00,0.00,0.00,1,,MSFT,,,,9,USD\n");
    let open = format!("{header}\n2024-07-10T10:00:00-0400,Trade,Buy to Open,BUY_TO_OPEN,MSFT,Equity,Bought 2 MSFT @ 100.00,-200.00,2,-100.00,0.00,0.00,1,,MSFT,,,,8,USD\n");
    j.import(&close, "july-b.csv", &auto()).await.unwrap();
    let lone = j.trades(&TradeFilter::default()).await.unwrap().remove(0);
    assert!(lone.incomplete);
    assert_eq!(lone.realized_pnl, None, "no opening, no P&L");
    j.set_notes(
        lone.id,
        TradeNotes {
            notes: "sold into strength".into(),
            tags: vec!["exit".into()],
            setup: None,
            risk: None,
        },
    )
    .await
    .unwrap();
    j.import(&open, "july-a.csv", &auto()).await.unwrap();
    let whole = j.trades(&TradeFilter::default()).await.unwrap();
    assert_eq!(whole.len(), 1);
    let t = &whole[0];
    assert_ne!(t.id, lone.id, "the opening is now its first fill");
    assert_eq!(t.realized_pnl, Some(20.0), "(110 − 100) × 2");
    assert_eq!(t.notes, "sold into strength", "the notes came along");
    assert_eq!(t.tags, vec!["exit"]);
}
