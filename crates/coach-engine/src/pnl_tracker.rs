//! The P&L tracker: today's and this week's realized P&L from the journal
//! (with a sparkline of recent days), and the open trades' unrealized P&L,
//! marked at the market — stock at its last price, an option at its chain's
//! mid — then kept live from the shared socket: each second aggregate of an
//! underlying re-marks its stock and reprices its options (BSM at the chain's
//! IV, with the time left).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use coach_core::options::{bsm, Contract, OptionKind as BsmKind};
use coach_core::Symbol;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::journal::{DayPnl, Journal, JournalError, TradeFilter, TradeView};
use crate::market::Market;
use crate::options_chain::{years_to_expiry, OptionsDesk, DEFAULT_RATE};
use coach_core::journal::trades::{Direction, TradeStatus};
use coach_core::journal::OptionKind;

/// How often a followed tracker may send a new view.
const EVERY: std::time::Duration = std::time::Duration::from_millis(1000);

/// A followed tracker sends its view at least this often, moving or not, so
/// that a follow whose UI went away (its channel closed) ends.
const ALIVE: std::time::Duration = std::time::Duration::from_secs(15);

/// How often a followed tracker recounts the realized part (a trade closed
/// elsewhere, or midnight passed).
const RECOUNT: std::time::Duration = std::time::Duration::from_secs(60);

/// Days in the sparkline.
const SPARK_DAYS: i64 = 10;

/// One open trade, marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct OpenLine {
    #[ts(type = "number")]
    pub id: i64,
    pub symbol: String,
    pub underlying: String,
    pub side: Direction,
    /// Contracts or shares still open.
    pub quantity: f64,
    /// Average price per share of the open lots.
    pub entry_price: Option<f64>,
    /// Per share; `None` when the market has no price for it.
    pub mark: Option<f64>,
    /// Dollars.
    pub unrealized: Option<f64>,
    /// Where the mark came from: "last trade", "chain mid", "repriced at 512.40 (IV 18.2 %)".
    pub source: String,
}

/// What the tracker shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PnlTrackerView {
    /// RFC 3339 UTC of the market's clock.
    pub as_of: String,
    pub display_tz: String,
    /// Trades closed today (display zone), net of fees.
    pub today_realized: f64,
    pub today_trades: u32,
    /// Since Monday.
    pub week_realized: f64,
    pub week_trades: u32,
    /// The last ten days' realized P&L, oldest first (0 on days without a close).
    pub sparkline: Vec<DayPnl>,
    pub open: Vec<OpenLine>,
    /// Sum of the open trades that could be marked.
    pub unrealized: f64,
    /// Open trades without a mark.
    pub unpriced: u32,
    /// The follow that sent it (0 for a snapshot): what `pnl_tracker_unfollow` ends.
    #[ts(type = "number")]
    pub follow_id: u64,
}

/// An option's pricing inputs, kept for repricing as the underlying moves.
#[derive(Debug, Clone)]
struct OptionMark {
    kind: BsmKind,
    strike: f64,
    expiration: NaiveDate,
    iv: Option<f64>,
}

/// The component.
pub struct PnlTracker {
    journal: Arc<Journal>,
    options: Arc<OptionsDesk>,
    market: Arc<Market>,
    follow: Arc<AtomicU64>,
}

fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// The realized part of the tracker.
#[derive(Debug, Clone, PartialEq)]
struct Realized {
    today: f64,
    today_trades: u32,
    week: f64,
    week_trades: u32,
    sparkline: Vec<DayPnl>,
}

/// Trades of `trades` closed today, since Monday and on each of the last
/// ten days (the `tz` display zone).
fn realized(trades: &[TradeView], tz: chrono_tz::Tz, now: DateTime<Utc>) -> Realized {
    let today = now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    let first = today - Duration::days(SPARK_DAYS - 1);
    let mut days: BTreeMap<NaiveDate, f64> = (0..SPARK_DAYS)
        .map(|i| (first + Duration::days(i), 0.0))
        .collect();
    let (mut today_pnl, mut today_n, mut week_pnl, mut week_n) = (0.0, 0u32, 0.0, 0u32);
    // An open trade has no realized P&L and is passed over here.
    for t in trades {
        let (Some(pnl), Some(closed_at)) = (t.realized_pnl, t.closed_at.as_deref()) else {
            continue;
        };
        let Ok(at) = DateTime::parse_from_rfc3339(closed_at) else {
            continue;
        };
        let day = at.with_timezone(&tz).date_naive();
        if day == today {
            today_pnl += pnl;
            today_n += 1;
        }
        if day >= monday && day <= today {
            week_pnl += pnl;
            week_n += 1;
        }
        if let Some(v) = days.get_mut(&day) {
            *v += pnl;
        }
    }
    Realized {
        today: round(today_pnl, 2),
        today_trades: today_n,
        week: round(week_pnl, 2),
        week_trades: week_n,
        sparkline: days
            .into_iter()
            .map(|(d, pnl)| DayPnl {
                date: d.to_string(),
                pnl: round(pnl, 2),
            })
            .collect(),
    }
}

fn unrealized(t: &TradeView, mark: f64, mult: f64) -> Option<f64> {
    let entry = t.open_price?;
    let dir = match t.side {
        Direction::Long => 1.0,
        Direction::Short => -1.0,
    };
    Some(round(dir * (mark - entry) * t.open_quantity * mult, 2))
}

impl PnlTracker {
    pub fn new(
        journal: Arc<Journal>,
        options: Arc<OptionsDesk>,
        market: Arc<Market>,
    ) -> PnlTracker {
        PnlTracker {
            journal,
            options,
            market,
            follow: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The tracker now: realized from the journal, open trades marked at the market.
    pub async fn snapshot(&self) -> Result<PnlTrackerView, JournalError> {
        Ok(self.snapshot_with_marks().await?.0)
    }

    async fn snapshot_with_marks(
        &self,
    ) -> Result<(PnlTrackerView, Vec<(TradeView, Option<OptionMark>)>), JournalError> {
        let tz = self.journal.display_tz();
        let now = self.market.clock().now();
        // One read of the journal: the closed trades for the realized part,
        // the open ones to mark.
        let all = self.journal.trades(&TradeFilter::default()).await?;
        let realized = realized(&all, tz, now);
        let mut marked = Vec::new();
        for t in all.into_iter().filter(|t| t.status == TradeStatus::Open) {
            let (line, opt) = self.mark(&t, now).await;
            marked.push((t, opt, line));
        }
        let lines: Vec<OpenLine> = marked.iter().map(|(_, _, l)| l.clone()).collect();
        let view = PnlTrackerView {
            as_of: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            display_tz: tz.name().to_string(),
            today_realized: realized.today,
            today_trades: realized.today_trades,
            week_realized: realized.week,
            week_trades: realized.week_trades,
            sparkline: realized.sparkline,
            follow_id: 0,
            unrealized: round(lines.iter().filter_map(|l| l.unrealized).sum(), 2),
            unpriced: lines.iter().filter(|l| l.mark.is_none()).count() as u32,
            open: lines,
        };
        Ok((view, marked.into_iter().map(|(t, o, _)| (t, o)).collect()))
    }

    /// One open trade marked at the market now.
    async fn mark(&self, t: &TradeView, now: DateTime<Utc>) -> (OpenLine, Option<OptionMark>) {
        let mut line = OpenLine {
            id: t.id,
            symbol: t.symbol.clone(),
            underlying: t.underlying.clone(),
            side: t.side,
            quantity: t.open_quantity,
            entry_price: t.open_price,
            mark: None,
            unrealized: None,
            source: String::new(),
        };
        let Ok(sym) = Symbol::parse(&t.underlying) else {
            line.source = format!("{} is not a ticker the market knows", t.underlying);
            return (line, None);
        };
        match &t.option {
            None => match self.options.last_price(&sym).await {
                Ok(p) => {
                    line.mark = Some(p);
                    line.unrealized = unrealized(t, p, 1.0);
                    line.source = "last trade".into();
                }
                Err(e) => line.source = format!("no price: {e}"),
            },
            Some(o) => {
                let Ok(exp) = NaiveDate::parse_from_str(&o.expiration, "%Y-%m-%d") else {
                    return (line, None);
                };
                let kind = match o.kind {
                    OptionKind::Call => BsmKind::Call,
                    OptionKind::Put => BsmKind::Put,
                };
                let mut om = OptionMark {
                    kind,
                    strike: o.strike,
                    expiration: exp,
                    iv: None,
                };
                if now
                    .with_timezone(&chrono_tz::America::New_York)
                    .date_naive()
                    > exp
                {
                    line.source =
                        format!("expired {exp}: no expiration or assignment in the journal yet");
                    return (line, None);
                }
                match self.options.chain(&t.underlying, Some(exp)).await {
                    Ok(chain) => {
                        let quote = chain
                            .rows
                            .iter()
                            .find(|r| (r.strike - o.strike).abs() < 1e-6)
                            .and_then(|r| match o.kind {
                                OptionKind::Call => r.call.clone(),
                                OptionKind::Put => r.put.clone(),
                            });
                        match quote {
                            Some(q) => {
                                om.iv = q.iv;
                                if let Some((p, what)) = q
                                    .mid
                                    .map(|m| (m, "chain mid"))
                                    .or(q.last.map(|l| (l, "chain last")))
                                {
                                    let p = round(p, 4);
                                    line.mark = Some(p);
                                    line.unrealized = unrealized(t, p, 100.0);
                                    line.source = what.into();
                                } else {
                                    line.source = "no bid/ask or last in the chain".into();
                                }
                            }
                            None => {
                                line.source =
                                    format!("{} is not listed in the {exp} chain", o.strike)
                            }
                        }
                    }
                    Err(e) => line.source = format!("no chain: {e}"),
                }
                return (line, Some(om));
            }
        }
        (line, None)
    }

    /// Sends the tracker to `sink` now and again (at most every second) as
    /// the open trades' underlyings move on the socket. The newest follow
    /// wins: a later one (or [`PnlTracker::unfollow`]) ends this, as does
    /// `sink` returning false.
    pub async fn follow(
        &self,
        mut sink: impl FnMut(PnlTrackerView) -> bool + Send + 'static,
    ) -> Result<PnlTrackerView, JournalError> {
        use crate::market::hub::RecvError;
        use crate::market::wire::MarketData;
        use crate::market::{Channel, Topic};
        let generation = self.follow.fetch_add(1, Ordering::SeqCst) + 1;
        let (mut view, marks) = self.snapshot_with_marks().await?;
        view.follow_id = generation;
        let first = view.clone();
        let topics: Vec<Topic> = marks
            .iter()
            .filter_map(|(t, _)| Symbol::parse(&t.underlying).ok())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|s| Topic::new(Channel::Seconds, s))
            .collect();
        if topics.is_empty() {
            return Ok(first);
        }
        let mut sub = self.market.hub().subscribe_all(topics);
        let current = self.follow.clone();
        let clock = self.market.clock().clone();
        let journal = self.journal.clone();
        tokio::spawn(async move {
            let mut last_sent = std::time::Instant::now();
            let mut last_count = std::time::Instant::now();
            let mut dirty = false;
            while current.load(Ordering::SeqCst) == generation {
                if last_count.elapsed() >= RECOUNT {
                    last_count = std::time::Instant::now();
                    if let Ok(all) = journal.trades(&TradeFilter::default()).await {
                        let r = realized(&all, journal.display_tz(), clock.now());
                        if r.today != view.today_realized
                            || r.week != view.week_realized
                            || r.sparkline != view.sparkline
                        {
                            view.today_realized = r.today;
                            view.today_trades = r.today_trades;
                            view.week_realized = r.week;
                            view.week_trades = r.week_trades;
                            view.sparkline = r.sparkline;
                            dirty = true;
                        }
                    }
                }
                let wait = if dirty {
                    EVERY.saturating_sub(last_sent.elapsed())
                } else {
                    std::time::Duration::from_millis(500)
                };
                match tokio::time::timeout(wait, sub.recv()).await {
                    Ok(Ok(ev)) => {
                        if let MarketData::Aggregate {
                            sym,
                            close,
                            backfill: false,
                            ..
                        } = &*ev
                        {
                            if *close > 0.0 && close.is_finite() {
                                let now = clock.now();
                                dirty |= remark(&mut view, &marks, sym, *close, now);
                            }
                        }
                    }
                    Ok(Err(RecvError::Lagged(_))) | Err(_) => {}
                    Ok(Err(RecvError::Closed)) => break,
                }
                if (dirty && last_sent.elapsed() >= EVERY) || last_sent.elapsed() >= ALIVE {
                    dirty = false;
                    last_sent = std::time::Instant::now();
                    view.as_of = clock
                        .now()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    if current.load(Ordering::SeqCst) != generation || !sink(view.clone()) {
                        break;
                    }
                }
            }
        });
        Ok(first)
    }

    /// Ends the follow `follow_id` if it is still the one running (a later
    /// follow is left alone); `None` ends whichever runs.
    pub fn unfollow(&self, follow_id: Option<u64>) {
        match follow_id {
            Some(id) => {
                let _ =
                    self.follow
                        .compare_exchange(id, id + 1, Ordering::SeqCst, Ordering::SeqCst);
            }
            None => {
                self.follow.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Re-marks the open trades on `underlying` at `price`; whether anything changed.
fn remark(
    view: &mut PnlTrackerView,
    marks: &[(TradeView, Option<OptionMark>)],
    underlying: &str,
    price: f64,
    now: DateTime<Utc>,
) -> bool {
    let mut changed = false;
    for (line, (t, om)) in view.open.iter_mut().zip(marks) {
        if t.underlying != underlying {
            continue;
        }
        let new = match (&t.option, om) {
            (None, _) => Some((price, unrealized(t, price, 1.0), "last trade".to_string())),
            (Some(_), Some(o)) => o.iv.and_then(|iv| {
                let c = Contract {
                    kind: o.kind,
                    spot: price,
                    strike: o.strike,
                    years: years_to_expiry(now, o.expiration),
                    rate: DEFAULT_RATE,
                    dividend: 0.0,
                };
                bsm(&c, iv).ok().map(|g| {
                    let p = round(g.price, 4);
                    (
                        p,
                        unrealized(t, p, 100.0),
                        format!("repriced at {price:.2} (IV {:.1} %)", iv * 100.0),
                    )
                })
            }),
            (Some(_), None) => None,
        };
        if let Some((mark, pnl, source)) = new {
            if line.mark != Some(mark) {
                changed = true;
            }
            line.mark = Some(mark);
            line.unrealized = pnl;
            line.source = source;
        }
    }
    if changed {
        view.unrealized = round(view.open.iter().filter_map(|l| l.unrealized).sum(), 2);
        view.unpriced = view.open.iter().filter(|l| l.mark.is_none()).count() as u32;
    }
    changed
}
