//! Options chains from the demo market (Massive's snapshot shape) through the
//! engine: expirations, one expiration's chain, IV/Greeks computed where the
//! provider sent none, the expected move, and the coach's options tool.

use coach_core::options::{bsm, Contract, OptionKind};
use coach_core::strategy::LegKind;
use coach_engine::chat::{ChatEvent, ChatRequest};
use coach_engine::options_chain::{years_to_expiry, ChainError, DEFAULT_RATE};
use coach_sim::ManualClock;

use crate::market::{demo_engine_env, utc};

/// Tuesday 2024-07-02, 11:00 New York.
const NOW: &str = "2024-07-02T15:00:00Z";

#[tokio::test]
async fn the_chain_has_every_strike_with_complete_numbers_and_the_straddle_move() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let exps = engine.options().expirations("SPY").await.unwrap();
    assert_eq!(
        exps[0].to_string(),
        "2024-07-05",
        "the nearest is Friday's weekly"
    );
    assert!(exps.windows(2).all(|w| w[0] < w[1]), "ascending and unique");

    let chain = engine.options().chain("SPY", None).await.unwrap();
    assert_eq!(chain.expiration, "2024-07-05");
    assert!(
        chain.rows.len() > 50,
        "a full chain ({} strikes)",
        chain.rows.len()
    );
    assert!(chain.rows.windows(2).all(|w| w[0].strike < w[1].strike));
    assert_eq!(
        chain.contracts as usize,
        chain.rows.len() * 2,
        "a call and a put at every strike"
    );
    assert!(
        chain.computed > 0,
        "the demo market leaves some Greeks out, as Massive does"
    );
    let years = years_to_expiry(utc(NOW), "2024-07-05".parse().unwrap());
    assert!((chain.years - years).abs() < 1e-12);
    for row in &chain.rows {
        for (q, kind) in [(&row.call, OptionKind::Call), (&row.put, OptionKind::Put)] {
            let q = q.as_ref().unwrap();
            let c = Contract {
                kind,
                spot: chain.spot,
                strike: row.strike,
                years: chain.years,
                rate: DEFAULT_RATE,
                dividend: 0.0,
            };
            if q.iv.is_none() {
                // Only a price the model cannot reach has no IV: a cent-rounded
                // deep in-the-money mid at or under the discounted intrinsic value.
                let (lower, _) = c.bounds();
                let mid = q.mid.unwrap();
                assert!(
                    mid <= lower + 0.005,
                    "{}: mid {mid} is above the lower bound {lower}, so it has an IV",
                    q.ticker
                );
                assert!(q.delta.is_none() && !q.computed);
                continue;
            }
            assert!(
                q.delta.is_some() && q.gamma.is_some(),
                "{}: IV comes with Greeks",
                q.ticker
            );
            assert_eq!(
                q.in_the_money,
                match kind {
                    OptionKind::Call => row.strike < chain.spot,
                    OptionKind::Put => row.strike > chain.spot,
                }
            );
            if q.computed {
                // Computed from the mid: BSM at that IV gives the mid back.

                let g = bsm(&c, q.iv.unwrap()).unwrap();
                let mid = q.mid.unwrap();
                assert!(
                    (g.price - mid).abs() <= 1e-9 * mid.max(1.0),
                    "{}: {} vs mid {mid}",
                    q.ticker,
                    g.price
                );
                assert!((g.delta - q.delta.unwrap()).abs() < 1e-12);
            }
        }
    }
    let m = chain.expected_move.clone().unwrap();
    let atm = chain.rows.iter().find(|r| r.strike == m.strike).unwrap();
    let straddle = atm.call.as_ref().unwrap().mid.unwrap() + atm.put.as_ref().unwrap().mid.unwrap();
    assert!(
        (m.straddle - straddle).abs() < 1e-12,
        "the expected move is the ATM straddle"
    );
    assert!(
        (m.strike - chain.spot).abs() <= 2.5,
        "the straddle is at the money ({} vs {})",
        m.strike,
        chain.spot
    );

    match engine
        .options()
        .chain("SPY", Some("2024-07-06".parse().unwrap()))
        .await
    {
        Err(ChainError::NoSuchExpiration { nearest, .. }) => {
            assert!(
                nearest.starts_with("2024-07-05"),
                "names the nearest: {nearest}"
            )
        }
        other => panic!("a Saturday is not an expiration: {other:?}"),
    }
    assert!(engine.options().chain("NOPE", None).await.is_err());

    let term = engine.options().term_structure("SPY", 6).await.unwrap();
    assert_eq!(term.len(), 6);
    assert_eq!(term[0].expiration, "2024-07-05");
    assert_eq!(
        term[0].atm_iv.map(|v| (v * 1e9).round()),
        {
            let atm = chain
                .rows
                .iter()
                .find(|r| Some(r.strike) == chain.atm_strike)
                .unwrap();
            let ivs: Vec<f64> = [&atm.call, &atm.put]
                .into_iter()
                .flatten()
                .filter_map(|q| q.iv)
                .collect();
            Some((ivs.iter().sum::<f64>() / ivs.len() as f64 * 1e9).round())
        },
        "the front point is the chain's own ATM IV"
    );
    assert!(term.windows(2).all(|w| w[0].days < w[1].days));
    assert!(
        term[0].atm_iv.unwrap() > term[5].atm_iv.unwrap(),
        "the demo market's front month is richer: {term:?}"
    );
}

#[tokio::test]
async fn the_offline_coach_answers_options_for_friday_from_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let e = events.clone();
    let last = engine
        .coach()
        .chat(
            ChatRequest {
                images: vec![],
                session_id: None,
                prompt: "SPY options for Friday".into(),
            },
            move |ev| {
                e.lock().unwrap().push(ev);
                true
            },
        )
        .await
        .unwrap();
    assert!(matches!(last, ChatEvent::Done { .. }), "{last:?}");
    let evs = events.lock().unwrap().clone();
    let result = evs
        .iter()
        .find_map(|e| match e {
            ChatEvent::ToolResult {
                name,
                result,
                ok: true,
                ..
            } if name == "get_options_chain" => Some(result.clone()),
            _ => None,
        })
        .expect("the chain tool ran");
    assert_eq!(result["expiration"], "2024-07-05", "Friday's expiration");
    assert_eq!(result["days_to_expiry"], 3);
    assert!(evs
        .iter()
        .any(|e| matches!(e, ChatEvent::Card(c) if c.body.card_type() == "options_chain")));
    let unverified = evs.iter().find_map(|e| match e {
        ChatEvent::Grounding {
            unverified,
            checked,
        } => Some((unverified.clone(), *checked)),
        _ => None,
    });
    let (unverified, checked) = unverified.unwrap();
    assert!(
        checked > 30,
        "the answer quotes the chain ({checked} numbers)"
    );
    assert!(
        unverified.is_empty(),
        "every number from the chain: {unverified:?}"
    );
}

#[tokio::test]
async fn after_the_closing_bell_todays_expiration_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    // Friday 2024-07-05, 17:30 New York: the weekly expired at 16:00.
    let clock = ManualClock::new(utc("2024-07-05T21:30:00Z"));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let chain = engine.options().chain("SPY", None).await.unwrap();
    assert_eq!(
        chain.expiration, "2024-07-12",
        "the next weekly, not the one that just expired"
    );
    assert!(chain.years > 6.0 / 365.0);
    match engine
        .options()
        .chain("SPY", Some("2024-07-05".parse().unwrap()))
        .await
    {
        Err(ChainError::Expired { date, .. }) => assert_eq!(date.to_string(), "2024-07-05"),
        other => panic!("an expired expiration is refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_saved_condor_is_analysed_with_the_chains_ivs_and_adds_to_the_portfolio() {
    use coach_engine::positions::{leg_kind, PositionInput, PositionLeg, WhatIf};
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let chain = engine
        .options()
        .chain("SPY", Some("2024-07-19".parse().unwrap()))
        .await
        .unwrap();
    let atm = chain.atm_strike.unwrap();
    let mid = |strike: f64, call: bool| {
        let r = chain.rows.iter().find(|r| r.strike == strike).unwrap();
        let q = if call {
            r.call.as_ref()
        } else {
            r.put.as_ref()
        };
        q.unwrap().mid.unwrap()
    };
    let leg = |kind: &str, strike: f64, q: f64| PositionLeg {
        kind: leg_kind(kind).unwrap(),
        strike: Some(strike),
        expiry: Some("2024-07-19".into()),
        quantity: q,
        entry_price: mid(strike, kind == "call"),
    };
    let condor = PositionInput {
        name: "SPY condor".into(),
        symbol: "SPY".into(),
        legs: vec![
            leg("put", atm - 20.0, 1.0),
            leg("put", atm - 10.0, -1.0),
            leg("call", atm + 10.0, -1.0),
            leg("call", atm + 20.0, 1.0),
        ],
    };
    let credit = mid(atm - 10.0, false) + mid(atm + 10.0, true)
        - mid(atm - 20.0, false)
        - mid(atm + 20.0, true);
    let id = engine.positions().save(condor).await.unwrap();
    let a = engine
        .positions()
        .analyze(id, &WhatIf::default())
        .await
        .unwrap();
    assert_eq!(a.breakevens.len(), 2);
    assert!(
        (a.breakevens[0] - (atm - 10.0 - credit)).abs() < 1e-9,
        "lower breakeven = short put − credit"
    );
    assert!(
        (a.breakevens[1] - (atm + 10.0 + credit)).abs() < 1e-9,
        "upper breakeven = short call + credit"
    );
    assert!((a.max_gain.unwrap() - credit * 100.0).abs() < 1e-6);
    assert!((a.max_loss.unwrap() + (10.0 - credit) * 100.0).abs() < 1e-6);
    // Entered at the mids: worth nothing now, up to the cent rounding of the
    // quotes the IVs came from (4 legs × 100 shares × ½ cent = $2).
    assert!(
        a.pnl_now.abs() <= 2.0,
        "entered at the mids, worth about nothing now ({})",
        a.pnl_now
    );
    assert!(a.leg_ivs.iter().all(Option::is_some));
    let pop = a.probability_of_profit.unwrap();
    assert!(pop > 0.4 && pop < 0.95, "{pop}");
    // What-ifs: a week on at the same price the short premium has decayed; a jump to the short call loses.
    let later = engine
        .positions()
        .analyze(
            id,
            &WhatIf {
                days_forward: Some(7.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        later.pnl_now > a.pnl_now,
        "time decay earns: {} → {}",
        a.pnl_now,
        later.pnl_now
    );
    let up = engine
        .positions()
        .analyze(
            id,
            &WhatIf {
                spot: Some(atm + 15.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(up.pnl_now < a.pnl_now);
    let vol_up = engine
        .positions()
        .analyze(
            id,
            &WhatIf {
                iv_shift: Some(0.05),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(vol_up.pnl_now < a.pnl_now, "short vega loses when IV rises");

    let qqq = engine
        .options()
        .chain("QQQ", Some("2024-07-19".parse().unwrap()))
        .await
        .unwrap();
    let k = qqq.atm_strike.unwrap();
    let call = qqq
        .rows
        .iter()
        .find(|r| r.strike == k)
        .unwrap()
        .call
        .clone()
        .unwrap();
    engine
        .positions()
        .save(PositionInput {
            name: "QQQ call".into(),
            symbol: "QQQ".into(),
            legs: vec![PositionLeg {
                kind: LegKind::Call,
                strike: Some(k),
                expiry: Some("2024-07-19".into()),
                quantity: 2.0,
                entry_price: call.mid.unwrap(),
            }],
        })
        .await
        .unwrap();
    let p = engine.positions().portfolio_greeks().await.unwrap();
    assert_eq!(p.positions, 2, "{:?}", p.skipped);
    let qqq_delta = p.by_symbol.iter().find(|s| s.symbol == "QQQ").unwrap();
    assert!(
        (qqq_delta.delta - 200.0 * call.delta.unwrap()).abs() < 1.0,
        "two calls ≈ 200 × delta"
    );
    let spy = p.by_symbol.iter().find(|s| s.symbol == "SPY").unwrap();
    assert_eq!(spy.beta, 1.0);
    let want: f64 = p
        .by_symbol
        .iter()
        .map(|s| s.delta * s.beta * s.spot)
        .sum::<f64>()
        / spy.spot;
    assert!((p.spy_beta_weighted_delta - want).abs() < 1e-6 * want.abs().max(1.0));
    // The beta is cov/var of the last 60 daily log returns (the demo market's
    // symbols move independently, so it is small; Massive's would be near 1).
    let daily = |s: &str| coach_engine::market::history::ChartQuery {
        symbol: s.into(),
        timeframe: "1d".into(),
        from_ms: None,
        to_ms: None,
    };
    let rets = |bars: &[coach_core::candles::Candle]| -> Vec<f64> {
        bars.windows(2)
            .map(|w| (w[1].close / w[0].close).ln())
            .collect()
    };
    let q = rets(&engine.bar_history().load(&daily("QQQ")).await.unwrap().bars);
    let m = rets(&engine.bar_history().load(&daily("SPY")).await.unwrap().bars);
    let (q, m) = (&q[q.len() - 60..], &m[m.len() - 60..]);
    let (mq, mm) = (q.iter().sum::<f64>() / 60.0, m.iter().sum::<f64>() / 60.0);
    let cov: f64 = q.iter().zip(m).map(|(a, b)| (a - mq) * (b - mm)).sum();
    let var: f64 = m.iter().map(|b| (b - mm) * (b - mm)).sum();
    assert!(
        (qqq_delta.beta - cov / var).abs() < 1e-12,
        "QQQ's beta {} vs {}",
        qqq_delta.beta,
        cov / var
    );
    assert!((p.delta - p.by_symbol.iter().map(|s| s.delta).sum::<f64>()).abs() < 1e-9);
}

#[tokio::test]
async fn a_calendar_is_analysed_at_the_first_expiration_with_each_chains_iv() {
    use coach_engine::positions::{PositionInput, PositionLeg, WhatIf};
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let (near_exp, back_exp) = ("2024-07-12", "2024-08-16");
    let near = engine
        .options()
        .chain("SPY", Some(near_exp.parse().unwrap()))
        .await
        .unwrap();
    let back = engine
        .options()
        .chain("SPY", Some(back_exp.parse().unwrap()))
        .await
        .unwrap();
    let atm = near.atm_strike.unwrap();
    let quote = |chain: &coach_engine::options_chain::OptionsChain| {
        let row = chain.rows.iter().find(|r| r.strike == atm).unwrap();
        row.call.clone().unwrap()
    };
    let (qn, qb) = (quote(&near), quote(&back));
    let leg = |exp: &str, q: f64, px: f64| PositionLeg {
        kind: LegKind::Call,
        strike: Some(atm),
        expiry: Some(exp.into()),
        quantity: q,
        entry_price: px,
    };
    let (pn, pb) = (qn.mid.unwrap(), qb.mid.unwrap());
    let id = engine
        .positions()
        .save(PositionInput {
            name: "SPY calendar".into(),
            symbol: "SPY".into(),
            legs: vec![leg(near_exp, -1.0, pn), leg(back_exp, 1.0, pb)],
        })
        .await
        .unwrap();
    let a = engine
        .positions()
        .analyze(id, &WhatIf::default())
        .await
        .unwrap();
    // Each leg's IV comes from its own expiration's chain.
    assert_eq!(a.leg_ivs, vec![qn.iv, qb.iv]);
    assert_eq!(a.expiry.as_deref(), Some(near_exp), "analysed at the first");
    assert!(a.assumptions.contains("later legs valued by BSM"));
    let debit = (pb - pn) * 100.0;
    assert!((a.net_debit - debit).abs() < 1e-9);
    // The debit is the most a calendar can lose (no dividend), and it is
    // lost if the stock collapses; the peak is at the strike.
    let max_loss = a.max_loss.expect("bounded");
    assert!((max_loss + debit).abs() < 1e-6, "{max_loss} vs −{debit}");
    assert!(a.max_gain.expect("bounded") > 0.0);
    assert_eq!(a.breakevens.len(), 2, "{:?}", a.breakevens);
    assert!(a.breakevens[0] < atm && a.breakevens[1] > atm);
    // At the first expiration near the strike the curve is above zero, far
    // away it is the lost debit.
    let peak = a
        .at_expiry
        .iter()
        .min_by(|x, y| (x.price - atm).abs().total_cmp(&(y.price - atm).abs()))
        .unwrap();
    assert!(peak.pnl > 0.0, "{peak:?}");
    // Entered at the mids: worth about nothing now (2 legs × 100 × ½ cent).
    assert!(a.pnl_now.abs() <= 1.0, "{}", a.pnl_now);
    // Long vega: IV up helps; time passing at the strike helps (the near
    // leg decays faster).
    let vol_up = engine
        .positions()
        .analyze(
            id,
            &WhatIf {
                iv_shift: Some(0.05),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(vol_up.pnl_now > a.pnl_now);
    assert!(
        a.greeks.vega > 0.0 && a.greeks.theta > 0.0,
        "{:?}",
        a.greeks
    );
}

/// The coach's analyze_position with a symbol is the Options tab's analysis:
/// the same numbers as a saved position, IVs from the chains, and a card.
#[tokio::test]
async fn the_coach_analyzes_a_calendar_against_the_market_like_the_options_tab() {
    use coach_engine::chat::tools;
    use coach_engine::positions::{PositionInput, PositionLeg, WhatIf};
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(utc(NOW));
    let engine = demo_engine_env(dir.path(), &clock, 30, &[]).await;
    let chain = engine
        .options()
        .chain("SPY", Some("2024-07-12".parse().unwrap()))
        .await
        .unwrap();
    let k = chain.atm_strike.unwrap();
    let args = serde_json::json!({"symbol": "SPY", "legs": [
        {"kind": "call", "strike": k, "expiry": "2024-07-12", "quantity": -1, "entry_price": 4.1},
        {"kind": "call", "strike": k, "expiry": "2024-08-16", "quantity": 1, "entry_price": 9.3},
    ]});
    let out = tools::run(
        engine.coach().toolbox(),
        "call_1",
        "analyze_position",
        &args,
    )
    .await;
    assert!(out.ok, "{}", out.result);
    let r = &out.result;
    let saved = engine
        .positions()
        .save(PositionInput {
            name: "same".into(),
            symbol: "SPY".into(),
            legs: [("2024-07-12", -1.0, 4.1), ("2024-08-16", 1.0, 9.3)]
                .map(|(e, q, px)| PositionLeg {
                    kind: LegKind::Call,
                    strike: Some(k),
                    expiry: Some(e.into()),
                    quantity: q,
                    entry_price: px,
                })
                .to_vec(),
        })
        .await
        .unwrap();
    let a = engine
        .positions()
        .analyze(saved, &WhatIf::default())
        .await
        .unwrap();
    let cents = |v: f64| (v * 100.0).round() / 100.0;
    assert_eq!(r["expiry"], "2024-07-12");
    assert_eq!(r["net_debit"], 520.0, "(9.30 − 4.10) × 100");
    assert_eq!(r["pnl_now"].as_f64().unwrap(), cents(a.pnl_now));
    assert_eq!(r["max_loss"].as_f64().unwrap(), cents(a.max_loss.unwrap()));
    let be: Vec<f64> = a.breakevens.iter().map(|&b| cents(b)).collect();
    assert_eq!(r["breakevens"], serde_json::json!(be));
    assert_eq!(
        r["leg_ivs_pct"][1].as_f64().unwrap(),
        (a.leg_ivs[1].unwrap() * 1000.0).round() / 10.0,
        "the back leg's IV from the 08-16 chain"
    );
    assert!(r["greeks"]["vega"].as_f64().unwrap() > 0.0, "long vega");
    let card = out.card.expect("a position card");
    assert!(
        matches!(
            card.body,
            coach_engine::chat::CardBody::Position(
                coach_engine::chat::cards::PositionCard::Market(_)
            )
        ),
        "a position card valued against the market: {card:?}"
    );
    // A symbol given for context, legs without expiries: the payoff answer.
    let context = serde_json::json!({"symbol": "SPY", "legs": [{"kind": "call", "strike": 100, "quantity": 1, "entry_price": 2}]});
    let out = tools::run(
        engine.coach().toolbox(),
        "call_3",
        "analyze_position",
        &context,
    )
    .await;
    assert!(out.ok, "{}", out.result);
    assert_eq!(out.result["breakevens"], serde_json::json!([102.0]));
    assert!(
        out.result.get("pnl_now").is_none(),
        "not valued against the market"
    );
    // A leg that is not listed is refused by name, not guessed.
    let bad = serde_json::json!({"symbol": "SPY", "legs": [{"kind": "call", "strike": k + 0.37, "expiry": "2024-07-12", "quantity": 1, "entry_price": 1}]});
    let out = tools::run(engine.coach().toolbox(), "call_2", "analyze_position", &bad).await;
    assert!(!out.ok);
    assert!(
        out.result["error"].as_str().unwrap().contains("leg 1"),
        "{}",
        out.result
    );
    // Arguments of the wrong type are refused by the tool's argument type, naming the tool.
    let wrong = serde_json::json!({"symbol": "SPY", "legs": "two calls"});
    let out = tools::run(
        engine.coach().toolbox(),
        "call_4",
        "analyze_position",
        &wrong,
    )
    .await;
    assert!(!out.ok);
    let error = out.result["error"].as_str().unwrap();
    assert!(
        error.contains("analyze_position"),
        "the error names the tool: {error}"
    );
    assert!(
        error.contains("sequence"),
        "and says a list was expected: {error}"
    );
}

/// The Options tab's live chain: each tick is the loaded chain repriced at the
/// socket's price (the same numbers `reprice` gives), and only the newest
/// follow sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_chain_is_repriced_at_each_price_from_the_socket() {
    use coach_engine::options_chain::{reprice, OptionsTick};
    let dir = tempfile::tempdir().unwrap();
    let start = utc(NOW);
    let clock = ManualClock::new(start);
    let engine = demo_engine_env(dir.path(), &clock, 600, &[]).await;
    let chain = engine
        .options()
        .chain("SPY", Some("2024-07-19".parse().unwrap()))
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<OptionsTick>();
    let first = engine.options().claim_follow();
    engine
        .options()
        .follow(first, chain.clone(), move |t| tx.send(t).is_ok())
        .unwrap();
    crate::market::upstream(&engine, "A.SPY").await;
    let mut ticks = Vec::new();
    for step in 1..=40 {
        clock.set(start + chrono::Duration::seconds(step));
        while let Ok(Some(t)) =
            tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await
        {
            ticks.push(t);
        }
        if ticks.len() >= 3 {
            break;
        }
    }
    assert!(
        ticks.len() >= 3,
        "{} ticks in 40 simulated seconds",
        ticks.len()
    );
    for t in &ticks {
        assert_eq!(
            (t.symbol.as_str(), t.expiration.as_str()),
            ("SPY", "2024-07-19")
        );
        // Exactly the loaded chain repriced at the tick's spot.
        let mut want = chain.clone();
        reprice(&mut want, t.spot);
        let deltas: Vec<[Option<f64>; 2]> = want
            .rows
            .iter()
            .map(|r| {
                [
                    r.call.as_ref().and_then(|q| q.delta),
                    r.put.as_ref().and_then(|q| q.delta),
                ]
            })
            .collect();
        assert_eq!(t.deltas, deltas, "at spot {}", t.spot);
        assert_eq!(t.atm_strike, want.atm_strike);
        assert_eq!(t.deltas.len(), chain.rows.len());
    }
    assert!(
        ticks.iter().any(|t| t.spot != chain.spot),
        "the spot moved from the snapshot's"
    );
    // A newer follow ends this one: from now on only the second sink hears.
    let (tx2, mut rx2) = tokio::sync::mpsc::unbounded_channel::<OptionsTick>();
    let second_claim = engine.options().claim_follow();
    engine
        .options()
        .follow(second_claim, chain.clone(), move |t| tx2.send(t).is_ok())
        .unwrap();
    // A claim superseded before its chain arrived starts nothing: its sink
    // is dropped at once.
    let (tx3, mut rx3) = tokio::sync::mpsc::unbounded_channel::<OptionsTick>();
    engine
        .options()
        .follow(first, chain.clone(), move |t| tx3.send(t).is_ok())
        .unwrap();
    assert!(rx3.recv().await.is_none(), "a stale claim does not follow");
    let mut second = 0;
    for step in 41..=80 {
        clock.set(start + chrono::Duration::seconds(step));
        while let Ok(Some(_)) =
            tokio::time::timeout(std::time::Duration::from_millis(100), rx2.recv()).await
        {
            second += 1;
        }
        if second >= 2 {
            break;
        }
    }
    assert!(second >= 2, "the newer follow sends ({second})");
    // The older follow's task has ended: its sink is dropped, its channel
    // closes (at most one tick was already on its way at the switch).
    let mut late = 0;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await {
            Ok(None) => break,
            Ok(Some(_)) => late += 1,
            Err(_) => panic!("the older follow is still running"),
        }
    }
    assert!(late <= 1, "{late} ticks after the newer follow began");
    // Unfollow ends the newer one the same way.
    engine.options().unfollow();
    clock.set(start + chrono::Duration::seconds(90));
    let closed = async { while rx2.recv().await.is_some() {} };
    tokio::time::timeout(std::time::Duration::from_secs(5), closed)
        .await
        .expect("unfollow ends the follow");
}
