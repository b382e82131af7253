//! The checks of a screenshot's positions against the demo market (#17):
//! listed expirations and strikes raise confidence; a Saturday, an unlisted
//! strike, an absurd price, an expired date and an unknown ticker lower it
//! and say why; the quantities against the total row; a stock row; and a
//! market that cannot be asked leaves one warning and every confidence as
//! it was. Expected dates and strikes come from the demo market's own
//! answers, never from guesses.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use coach_core::screenshot::{
    ExtractedPosition, Extraction, FieldConfidence, PositionKind, Totals,
};
use coach_engine::options_chain::OptionsChain;
use coach_engine::screenshots::checks::{check_against_market, lowered, raised, FAILED_CEILING};
use coach_engine::Engine;
use coach_sim::ManualClock;

use crate::market::{demo_engine_env, utc};

/// Monday 2024-07-01, 14:00 New York.
const NOW: &str = "2024-07-01T18:00:00Z";
/// What every field was read with.
const READ: f32 = 0.6;

fn conf() -> FieldConfidence {
    FieldConfidence {
        underlying: READ,
        kind: READ,
        strike: READ,
        expiration: READ,
        quantity: READ,
        price: READ,
    }
}

fn option(
    underlying: &str,
    kind: PositionKind,
    strike: f64,
    expiration: NaiveDate,
    quantity: f64,
    price: f64,
) -> ExtractedPosition {
    ExtractedPosition {
        symbol: format!("{underlying} {expiration} {strike} {kind:?}"),
        underlying: Some(underlying.into()),
        kind: Some(kind),
        strike: Some(strike),
        expiration: Some(expiration),
        quantity: Some(quantity),
        price: Some(price),
        confidence: conf(),
        checks: vec![],
    }
}

fn stock(underlying: &str, quantity: f64, price: f64) -> ExtractedPosition {
    ExtractedPosition {
        symbol: underlying.into(),
        underlying: Some(underlying.into()),
        kind: Some(PositionKind::Stock),
        strike: None,
        expiration: None,
        quantity: Some(quantity),
        price: Some(price),
        confidence: FieldConfidence {
            strike: 1.0,
            expiration: 1.0,
            ..conf()
        },
        checks: vec![],
    }
}

fn extraction(positions: Vec<ExtractedPosition>, total: Option<f64>) -> Extraction {
    Extraction {
        broker: "unknown".into(),
        positions,
        warnings: vec![],
        totals: total.map(|q| Totals {
            quantity: Some(q),
            confidence: 0.9,
        }),
    }
}

async fn check(engine: &Engine, x: &mut Extraction) {
    check_against_market(x, engine.options(), engine.market()).await;
}

/// The check of `field`, which must be there exactly once.
fn the_check<'a>(p: &'a ExtractedPosition, field: &str) -> &'a coach_core::screenshot::Check {
    let found: Vec<_> = p.checks.iter().filter(|c| c.field == field).collect();
    assert_eq!(
        found.len(),
        1,
        "{}: one {field} check in {:?}",
        p.symbol,
        p.checks
    );
    found[0]
}

fn passed(p: &ExtractedPosition, field: &str) -> String {
    let c = the_check(p, field);
    assert!(c.passed, "{}: {field} should pass: {}", p.symbol, c.reason);
    c.reason.clone()
}

fn failed(p: &ExtractedPosition, field: &str) -> String {
    let c = the_check(p, field);
    assert!(!c.passed, "{}: {field} should fail: {}", p.symbol, c.reason);
    c.reason.clone()
}

fn strike_text(k: f64) -> String {
    format!("{k}")
}

async fn demo() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    (dir, engine)
}

/// An AAPL expiration a few weeks out and its chain, as the demo market lists them.
async fn aapl_chain(engine: &Engine) -> (Vec<NaiveDate>, NaiveDate, OptionsChain) {
    let exps = engine.options().expirations("AAPL").await.unwrap();
    let exp = exps[2];
    let chain = engine.options().chain("AAPL", Some(exp)).await.unwrap();
    (exps, exp, chain)
}

#[tokio::test]
async fn listed_fields_raise_confidence_and_misreads_lower_it_with_their_reasons() {
    let (_dir, engine) = demo().await;
    let (exps, exp, chain) = aapl_chain(&engine).await;
    let spot = chain.spot;
    // An out-of-the-money call and put, a few strikes from the money.
    let call_row = chain
        .rows
        .iter()
        .find(|r| r.strike > spot * 1.04)
        .unwrap()
        .clone();
    let put_row = chain
        .rows
        .iter()
        .rev()
        .find(|r| r.strike < spot * 0.96)
        .unwrap()
        .clone();
    let call_mid = call_row.call.as_ref().unwrap().mid.unwrap();
    let k = call_row.strike;
    let i = chain.rows.iter().position(|r| r.strike == k).unwrap();
    let (below, above) = (chain.rows[i].strike, chain.rows[i + 1].strike);
    let unlisted = (below + above) / 2.0;
    assert!(
        chain.rows.iter().all(|r| r.strike != unlisted),
        "halfway between two strikes is not a strike"
    );
    let saturday = exp + Duration::days(1);
    assert_eq!(
        saturday.weekday(),
        Weekday::Sat,
        "listed AAPL dates are Fridays here"
    );
    let next = *exps.iter().find(|d| **d > exp).unwrap();
    // The last Friday before today: its options expired last week.
    let today = utc(NOW)
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let mut expired = today - Duration::days(1);
    while expired.weekday() != Weekday::Fri {
        expired -= Duration::days(1);
    }
    assert!(
        put_row.strike * 1.05 < 250.0,
        "the put is cheap next to 250"
    );

    let mut x = extraction(
        vec![
            option("AAPL", PositionKind::Call, k, exp, 2.0, call_mid),
            option("AAPL", PositionKind::Call, k, saturday, 1.0, call_mid),
            option("AAPL", PositionKind::Call, unlisted, exp, 1.0, call_mid),
            option("AAPL", PositionKind::Put, put_row.strike, exp, -1.0, 250.0),
            option("AAPL", PositionKind::Call, k, exp, 1.0, spot * 10.0),
            option("AAPL", PositionKind::Call, k, expired, 1.0, 1.0),
            option("ZZZQ", PositionKind::Call, 50.0, exp, 1.0, 1.0),
            option("AAPL", PositionKind::Call, k, exp, 1.0, call_mid * 3.0),
        ],
        None,
    );
    check(&engine, &mut x).await;
    assert!(
        x.warnings.is_empty(),
        "the demo market answered: {:?}",
        x.warnings
    );
    let p = &x.positions;

    // Listed: every field passes and is surer than it was read.
    let good = &p[0];
    assert!(passed(good, "underlying").contains("AAPL is a symbol the market knows"));
    assert!(passed(good, "kind").contains("AAPL has listed options"));
    assert_eq!(
        passed(good, "expiration"),
        format!("{exp} is a listed AAPL expiration")
    );
    assert_eq!(
        passed(good, "strike"),
        format!(
            "{} is listed as a call in the AAPL {exp} chain",
            strike_text(k)
        )
    );
    let price = passed(good, "price");
    assert!(
        price.starts_with(&format!(
            "{call_mid:.2} is within the AAPL {exp} {} call's range today (",
            strike_text(k)
        )),
        "{price}"
    );
    for c in [
        good.confidence.underlying,
        good.confidence.kind,
        good.confidence.strike,
        good.confidence.expiration,
        good.confidence.price,
    ] {
        assert_eq!(c, raised(READ));
        assert!(c > READ);
    }
    assert_eq!(
        good.confidence.quantity, READ,
        "no totals: the quantity is not checked"
    );
    assert!(good.checks.iter().all(|c| c.field != "quantity"));

    // A Saturday: not listed, with the Fridays around it.
    let sat = &p[1];
    assert_eq!(
        failed(sat, "expiration"),
        format!("{saturday} is not a listed AAPL expiration (a Saturday; nearest: {exp}, {next})")
    );
    assert_eq!(sat.confidence.expiration, lowered(READ));
    assert!(sat.confidence.expiration <= FAILED_CEILING);
    assert!(
        sat.checks
            .iter()
            .all(|c| c.field != "strike" && c.field != "price"),
        "no chain to check the strike against: {:?}",
        sat.checks
    );
    assert_eq!(sat.confidence.strike, READ);

    // A strike between two listed ones.
    let off = &p[2];
    assert_eq!(
        failed(off, "strike"),
        format!(
            "{} is not listed in the AAPL {exp} chain (nearest: {}, {})",
            strike_text(unlisted),
            strike_text(below),
            strike_text(above)
        )
    );
    assert_eq!(off.confidence.strike, lowered(READ));
    passed(off, "expiration");
    assert!(off.checks.iter().all(|c| c.field != "price"));

    // 250.00 for a cheap put: more than its strike.
    let absurd = &p[3];
    passed(absurd, "strike");
    let why = failed(absurd, "price");
    assert!(
        why.starts_with(&format!(
            "250.00 is more than the AAPL {exp} {} put can have cost (today ",
            strike_text(put_row.strike)
        )) && why.ends_with("a put is worth at most its strike"),
        "{why}"
    );
    assert_eq!(absurd.confidence.price, lowered(READ));

    // Ten times the stock for a call: more than the stock ever was.
    let absurd_call = &p[4];
    let why = failed(absurd_call, "price");
    assert!(
        why.contains("a call is worth at most its stock, and AAPL's high since "),
        "{why}"
    );

    // Last Friday's options have expired.
    let old = &p[5];
    assert_eq!(
        failed(old, "expiration"),
        format!("{expired} has passed: AAPL's options of that date have expired")
    );
    assert_eq!(old.confidence.expiration, lowered(READ));

    // An unknown ticker: nothing else of the row is checked.
    let unknown = &p[6];
    assert_eq!(
        failed(unknown, "underlying"),
        "ZZZQ is not a symbol the market knows; the row's other fields were not checked"
    );
    assert_eq!(unknown.checks.len(), 1);
    assert_eq!(unknown.confidence.underlying, lowered(READ));
    assert_eq!(unknown.confidence.expiration, READ);

    // Three times today's price: an older entry may have cost that, and the
    // demo market has no daily bars for the contract to say; not checked.
    let older = &p[7];
    passed(older, "strike");
    assert!(
        older.checks.iter().all(|c| c.field != "price"),
        "{:?}",
        older.checks
    );
    assert_eq!(older.confidence.price, READ);
}

#[tokio::test]
async fn a_stock_row_is_checked_against_its_range_and_fields_not_read_are_not_checked() {
    let (_dir, engine) = demo().await;
    let spot = engine
        .market()
        .rest()
        .ticker_snapshot("AAPL")
        .await
        .unwrap()
        .price()
        .unwrap();
    let mut garbled = option("AAPL", PositionKind::Call, 0.0, NaiveDate::MIN, 1.0, 1.0);
    garbled.kind = None;
    garbled.strike = None;
    garbled.expiration = None;
    garbled.price = None;
    let mut x = extraction(
        vec![
            stock("AAPL", 100.0, spot),
            stock("AAPL", 100.0, spot * 10.0),
            garbled,
            stock("A@PL", 10.0, 1.0),
        ],
        None,
    );
    check(&engine, &mut x).await;
    assert!(x.warnings.is_empty(), "{:?}", x.warnings);
    let ok = &x.positions[0];
    let why = passed(ok, "price");
    assert!(
        why.starts_with(&format!("{spot:.2} is within AAPL's range since ")),
        "{why}"
    );
    assert_eq!(ok.confidence.price, raised(READ));
    assert!(
        ok.checks
            .iter()
            .all(|c| !matches!(c.field.as_str(), "kind" | "strike" | "expiration")),
        "a stock has no options fields to check: {:?}",
        ok.checks
    );
    assert_eq!(ok.confidence.strike, 1.0);
    let high = &x.positions[1];
    let why = failed(high, "price");
    assert!(
        why.starts_with(&format!(
            "{:.2} is outside AAPL's range since ",
            spot * 10.0
        )),
        "{why}"
    );
    assert_eq!(high.confidence.price, lowered(READ));
    // Only the underlying was read well enough to check.
    let g = &x.positions[2];
    assert_eq!(g.checks.len(), 1, "{:?}", g.checks);
    passed(g, "underlying");
    // Not a ticker: never sent to the provider.
    let bad = &x.positions[3];
    assert_eq!(
        failed(bad, "underlying"),
        "“A@PL” is not a ticker; the row's other fields were not checked"
    );
    assert_eq!(bad.checks.len(), 1);
}

#[tokio::test]
async fn the_quantities_are_checked_against_the_total_row() {
    let (_dir, engine) = demo().await;
    let (_, exp, chain) = aapl_chain(&engine).await;
    let k = chain.atm_strike.unwrap();
    let rows = || {
        vec![
            option("AAPL", PositionKind::Call, k, exp, 3.0, 1.0),
            option("AAPL", PositionKind::Put, k, exp, -2.0, 1.0),
            stock("AAPL", 100.0, 1.0),
        ]
    };
    // Signed: 3 - 2 + 100.
    let mut signed = extraction(rows(), Some(101.0));
    check(&engine, &mut signed).await;
    for p in &signed.positions {
        let why = passed(p, "quantity");
        assert_eq!(
            why,
            "the quantities add up to the total row's 101 (with their signs, so the sides agree too)"
        );
        assert_eq!(p.confidence.quantity, raised(READ));
    }
    assert!(signed.warnings.is_empty(), "{:?}", signed.warnings);

    // A screen that totals sizes.
    let mut sizes = extraction(rows(), Some(105.0));
    check(&engine, &mut sizes).await;
    for p in &sizes.positions {
        assert!(passed(p, "quantity").contains("without their signs (sizes only)"));
        assert_eq!(
            p.confidence.quantity, READ,
            "sizes say nothing of the sides: a doubted sign stays doubted"
        );
    }

    // A row misread (or missing): they disagree.
    let mut wrong = extraction(rows(), Some(104.0));
    check(&engine, &mut wrong).await;
    for p in &wrong.positions {
        assert_eq!(
            failed(p, "quantity"),
            "the quantities add up to 101 (105 without their signs), not the total row's 104"
        );
        assert_eq!(p.confidence.quantity, lowered(READ));
    }
    assert_eq!(
        wrong.warnings,
        ["The positions' quantities add up to 101 (105 without their signs), but the total row shows 104: a row may be misread or missing."]
    );

    // A quantity not read: the sum is unknown, nothing is checked.
    let mut partial = extraction(rows(), Some(101.0));
    partial.positions[1].quantity = None;
    check(&engine, &mut partial).await;
    assert!(partial
        .positions
        .iter()
        .all(|p| p.checks.iter().all(|c| c.field != "quantity")));

    // Every quantity long (the put's minus lost, so the parser doubted it):
    // a total of the sizes matches the signed sum too, and says nothing of
    // the lost sign. The doubted quantity stays doubted.
    let mut lost = extraction(rows(), Some(105.0));
    lost.positions[1].quantity = Some(2.0);
    lost.positions[1].confidence.quantity = 0.3;
    check(&engine, &mut lost).await;
    assert_eq!(lost.positions[1].confidence.quantity, 0.3);
    assert_eq!(lost.positions[0].confidence.quantity, raised(READ));
}

#[tokio::test]
async fn a_market_that_cannot_be_asked_leaves_one_warning_and_the_confidences() {
    let (_sim, _env, engine) = crate::engine_with_a_rejected_key().await;
    let exp = NaiveDate::from_ymd_opt(2030, 1, 18).unwrap();
    let rows = vec![
        option("AAPL", PositionKind::Call, 230.0, exp, 1.0, 5.1),
        option("MSFT", PositionKind::Put, 400.0, exp, -1.0, 3.2),
        stock("AAPL", 10.0, 200.0),
    ];
    let mut x = extraction(rows.clone(), Some(10.0));
    check(&engine, &mut x).await;
    assert_eq!(x.warnings.len(), 1, "{:?}", x.warnings);
    assert!(
        x.warnings[0]
            .starts_with("could not check against the market: Massive rejected the API key"),
        "{:?}",
        x.warnings
    );
    assert!(!x.warnings[0].contains("bad-key"), "the key never shows");
    for (p, before) in x.positions.iter().zip(&rows) {
        assert!(
            p.checks.iter().all(|c| c.field == "quantity"),
            "only the totals were checked: {:?}",
            p.checks
        );
        assert_eq!(
            FieldConfidence {
                quantity: before.confidence.quantity,
                ..p.confidence
            },
            before.confidence
        );
        assert_eq!(p.confidence.quantity, raised(READ), "10 = 1 - 1 + 10");
    }
}
