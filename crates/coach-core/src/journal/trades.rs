//! Executions to trades. A trade is one instrument (a stock, or one option
//! contract) in one account from flat to flat; lots are matched first in,
//! first out. Options leave by expiration (at 0), assignment or exercise (at
//! 0, the stock moving at the strike in its own trade). Legs opened by one
//! order are linked as one strategy.
//!
//! Mistakes other journals make that this does not: the ×100 multiplier is
//! applied once (prices are per share, the multiplier is the instrument's);
//! an expired option is closed, not left open; partial exits are kept as
//! fills of the one trade; a closing fill with nothing open (a file that
//! starts after the position was opened) is recorded as an incomplete trade,
//! never as a new position the other way; fees are each execution's own,
//! counted once.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Broker, Effect, ExecKind, Execution, Instrument, OptionKind, Side};

/// Which way a trade was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Long,
    Short,
}

impl Direction {
    fn sign(self) -> f64 {
        match self {
            Direction::Long => 1.0,
            Direction::Short => -1.0,
        }
    }
}

/// Where a trade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TradeStatus {
    Open,
    Closed,
    Expired,
    Assigned,
    Exercised,
}

/// One instrument from flat to flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    /// Stable across rebuilds: the fingerprint of its first execution.
    pub key: String,
    pub broker: Broker,
    pub account: String,
    pub instrument: Instrument,
    pub direction: Direction,
    /// Contracts or shares opened in all (the largest size it reached is `max_quantity`).
    pub quantity: f64,
    pub max_quantity: f64,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub status: TradeStatus,
    /// Average price per share of the opening fills (`None` when the file
    /// holds only the close).
    pub entry_price: Option<f64>,
    /// Average price per share of the closing fills (0 for an expiration).
    pub exit_price: Option<f64>,
    /// Every execution's fees, each once.
    pub fees: f64,
    /// Dollars, net of fees; `None` while open or when the entry is unknown.
    pub realized_pnl: Option<f64>,
    /// Fingerprints of its executions, in order.
    pub executions: Vec<String>,
    /// The strategy its opening order belongs to, when it had other legs.
    pub strategy: Option<String>,
    /// Closed in this history with no opening fill in it.
    pub incomplete: bool,
    /// Contracts or shares still open (0 once closed).
    pub open_quantity: f64,
    /// Average price per share of the lots still open (FIFO: the newest lots).
    pub open_price: Option<f64>,
}

impl Trade {
    /// Seconds from open to close (`None` while open).
    pub fn holding_secs(&self) -> Option<i64> {
        self.closed_at.map(|c| (c - self.opened_at).num_seconds())
    }

    pub fn is_closed(&self) -> bool {
        self.status != TradeStatus::Open
    }
}

/// Legs opened together (one order, or with no order ids the same moment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    pub key: String,
    /// "vertical", "iron condor", "calendar", "covered call", …
    pub name: String,
    pub underlying: String,
    /// The keys of its trades.
    pub trades: Vec<String>,
}

/// What matching found that the user should know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchNote {
    pub fingerprint: String,
    pub message: String,
}

/// Trades, strategies and notes from a set of executions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Book {
    pub trades: Vec<Trade>,
    pub strategies: Vec<Strategy>,
    pub notes: Vec<MatchNote>,
}

/// A trade being built.
struct Building {
    trade: Trade,
    /// Open lots, oldest first: (quantity, price per share).
    lots: VecDeque<(f64, f64)>,
    gross: f64,
    opened_qty: f64,
    opened_value: f64,
    closed_qty: f64,
    closed_value: f64,
}

impl Building {
    fn position(&self) -> f64 {
        self.trade.direction.sign() * self.lots.iter().map(|l| l.0).sum::<f64>()
    }
}

const EPS: f64 = 1e-9;

/// Builds the trades of `execs` (any order). See [`build_as_of`].
pub fn build(execs: &[Execution]) -> Book {
    build_as_of(execs, None)
}

/// The position an execution belongs to: one instrument in one account; a
/// trade entered by hand is its own position (its fingerprint's `manual:<id>`).
fn position_key(e: &Execution) -> (Broker, String, String, String) {
    let own = if e.broker == Broker::Manual {
        e.fingerprint
            .split('#')
            .next()
            .unwrap_or_default()
            .to_string()
    } else {
        String::new()
    };
    (e.broker, e.account.clone(), e.instrument.symbol(), own)
}

type Open = HashMap<(Broker, String, String, String), Building>;

/// How well `e` fits next at its moment, given what is open (lower first).
fn fit_rank(e: &Execution, open: &Open) -> u8 {
    let pos = open
        .get(&position_key(e))
        .map(|b| b.position())
        .unwrap_or(0.0);
    let leaving = !matches!(e.kind, ExecKind::Trade);
    let reduces = pos.abs() > EPS && e.side.sign() * pos < 0.0;
    match (leaving, reduces, pos.abs() > EPS, e.effect) {
        (true, _, _, _) => 5,
        (false, true, _, Effect::Close) => 0,
        (false, true, _, Effect::Unknown) => 1,
        (false, true, _, Effect::Open) => 2,
        (false, false, false, Effect::Open | Effect::Unknown) => 3,
        _ => 4,
    }
}

/// Applies one execution to the open positions and the finished trades.
fn apply(e: &Execution, open: &mut Open, book: &mut Book) {
    let key = position_key(e);
    let mult = e.instrument.multiplier();
    let mut qty = e.quantity.abs();
    if qty < EPS {
        return;
    }
    let mut fees_left = e.fees;
    let leaving = matches!(
        e.kind,
        ExecKind::Expiration | ExecKind::Assignment | ExecKind::Exercise
    );
    // Closing what is open.
    let mut emptied = false;
    if let Some(b) = open.get_mut(&key) {
        let pos = b.position();
        let closes = leaving || e.side.sign() * pos < 0.0;
        if closes {
            let q = qty.min(pos.abs());
            let price = if leaving { 0.0 } else { e.price };
            let fee = fees_left * q / qty;
            fees_left -= fee;
            close_lots(b, q, price, mult);
            b.trade.fees += fee;
            b.trade.executions.push(e.fingerprint.clone());
            b.closed_qty += q;
            b.closed_value += q * price;
            qty -= q;
            emptied = b.lots.is_empty();
        }
    }
    if emptied {
        if let Some(b) = open.remove(&key) {
            let mut done = b.finish(e);
            done.status = match e.kind {
                ExecKind::Expiration => TradeStatus::Expired,
                ExecKind::Assignment => TradeStatus::Assigned,
                ExecKind::Exercise => TradeStatus::Exercised,
                ExecKind::Trade => TradeStatus::Closed,
            };
            book.trades.push(done);
        }
    }
    if qty < EPS {
        return;
    }
    if leaving {
        book.notes.push(MatchNote {
            fingerprint: e.fingerprint.clone(),
            message: format!(
                "{} {} of {} with no open position in the history: ignored",
                kind_word(e.kind),
                fmt_qty(qty),
                e.instrument.symbol()
            ),
        });
        return;
    }
    if e.effect == Effect::Close && !open.contains_key(&key) {
        // A close with nothing open: the opening is before this history.
        book.trades.push(Trade {
            key: e.fingerprint.clone(),
            broker: e.broker,
            account: e.account.clone(),
            instrument: e.instrument.clone(),
            direction: match e.side {
                Side::Sell => Direction::Long,
                Side::Buy => Direction::Short,
            },
            quantity: qty,
            max_quantity: qty,
            opened_at: e.time,
            closed_at: Some(e.time),
            status: TradeStatus::Closed,
            entry_price: None,
            exit_price: Some(e.price),
            fees: fees_left,
            realized_pnl: None,
            executions: vec![e.fingerprint.clone()],
            strategy: None,
            incomplete: true,
            open_quantity: 0.0,
            open_price: None,
        });
        book.notes.push(MatchNote {
                fingerprint: e.fingerprint.clone(),
                message: format!(
                    "closing {} {} of {} with no opening in the history: kept as an incomplete trade, not a new position",
                    side_word(e.side),
                    fmt_qty(qty),
                    e.instrument.symbol()
                ),
            });
        return;
    }
    // Opening (or adding to) a position.
    let b = open.entry(key).or_insert_with(|| Building {
        trade: Trade {
            key: e.fingerprint.clone(),
            broker: e.broker,
            account: e.account.clone(),
            instrument: e.instrument.clone(),
            direction: match e.side {
                Side::Buy => Direction::Long,
                Side::Sell => Direction::Short,
            },
            quantity: 0.0,
            max_quantity: 0.0,
            opened_at: e.time,
            closed_at: None,
            status: TradeStatus::Open,
            entry_price: None,
            exit_price: None,
            fees: 0.0,
            realized_pnl: None,
            executions: Vec::new(),
            strategy: None,
            incomplete: false,
            open_quantity: 0.0,
            open_price: None,
        },
        lots: VecDeque::new(),
        gross: 0.0,
        opened_qty: 0.0,
        opened_value: 0.0,
        closed_qty: 0.0,
        closed_value: 0.0,
    });
    b.lots.push_back((qty, e.price));
    b.opened_qty += qty;
    b.opened_value += qty * e.price;
    b.trade.quantity += qty;
    b.trade.max_quantity = b.trade.max_quantity.max(b.position().abs());
    b.trade.fees += fees_left;
    if b.trade.executions.last() != Some(&e.fingerprint) {
        b.trade.executions.push(e.fingerprint.clone());
    }
}

/// Builds the trades of `execs` (any order; by time, then as fits the
/// position at each moment, then as given). With `today` (New York), an option
/// still open after its expiration day is closed at 0 on that day as expired,
/// with a note: the file had no expiration, assignment or exercise for it.
pub fn build_as_of(execs: &[Execution], today: Option<chrono::NaiveDate>) -> Book {
    let mut order: Vec<(usize, &Execution)> = execs.iter().enumerate().collect();
    order.sort_by_key(|(i, e)| (e.time, *i));
    let mut book = Book::default();
    let mut open: Open = HashMap::new();
    // At one moment (a file with dates only puts a whole day there), the
    // next fill is the one that fits the position as it stands: a fill that
    // reduces an open position first (a closing one before one that does not
    // say, before an opening one), then openings when flat, removals last.
    let mut i = 0;
    while i < order.len() {
        let t = order[i].1.time;
        let mut j = i;
        while j < order.len() && order[j].1.time == t {
            j += 1;
        }
        let mut run: Vec<&Execution> = order[i..j].iter().map(|x| x.1).collect();
        while !run.is_empty() {
            let pick = (0..run.len())
                .min_by_key(|&k| (fit_rank(run[k], &open), k))
                .unwrap_or(0);
            let e = run.remove(pick);
            apply(e, &mut open, &mut book);
        }
        i = j;
    }
    // What is still open (an option past its expiry is closed at 0).
    let mut still: Vec<Building> = open.into_values().collect();
    still.sort_by_key(|b| b.trade.opened_at);
    for mut b in still {
        let expired = match (b.trade.instrument.option(), today) {
            (Some(o), Some(today)) if o.expiration < today => Some(o.expiration),
            _ => None,
        };
        if let Some(day) = expired {
            let q: f64 = b.lots.iter().map(|l| l.0).sum();
            let mult = b.trade.instrument.multiplier();
            close_lots(&mut b, q, 0.0, mult);
            b.closed_qty += q;
            let at = crate::calendar::session(day)
                .ok()
                .flatten()
                .map(|s| s.close)
                .unwrap_or_else(|| day.and_hms_opt(21, 0, 0).unwrap_or_default().and_utc());
            book.notes.push(MatchNote {
                fingerprint: b.trade.key.clone(),
                message: format!(
                    "{} was still open after it expired on {day}: closed at 0 as expired (the file has no expiration, assignment or exercise for it; if it was assigned or exercised, import or enter that)",
                    b.trade.instrument.symbol()
                ),
            });
            let mut t = b.finish_at(at);
            t.status = TradeStatus::Expired;
            book.trades.push(t);
            continue;
        }
        let mut t = b.trade.clone();
        t.entry_price = (b.opened_qty > EPS).then(|| b.opened_value / b.opened_qty);
        t.exit_price = (b.closed_qty > EPS).then(|| b.closed_value / b.closed_qty);
        let open: f64 = b.lots.iter().map(|l| l.0).sum();
        t.open_quantity = open;
        t.open_price = (open > EPS).then(|| b.lots.iter().map(|l| l.0 * l.1).sum::<f64>() / open);
        book.trades.push(t);
    }
    book.trades.sort_by(|a, b| {
        a.opened_at
            .cmp(&b.opened_at)
            .then_with(|| a.key.cmp(&b.key))
    });
    link_strategies(execs, &mut book);
    book
}

fn close_lots(b: &mut Building, mut q: f64, price: f64, mult: f64) {
    let dir = b.trade.direction.sign();
    while q > EPS {
        let Some(front) = b.lots.front_mut() else {
            break;
        };
        let take = q.min(front.0);
        b.gross += dir * (price - front.1) * take * mult;
        front.0 -= take;
        q -= take;
        if front.0 <= EPS {
            b.lots.pop_front();
        }
    }
}

impl Building {
    fn finish(self, last: &Execution) -> Trade {
        self.finish_at(last.time)
    }

    fn finish_at(self, at: DateTime<Utc>) -> Trade {
        let mut t = self.trade;
        t.closed_at = Some(at);
        t.entry_price = (self.opened_qty > EPS).then(|| self.opened_value / self.opened_qty);
        t.exit_price = (self.closed_qty > EPS).then(|| self.closed_value / self.closed_qty);
        t.realized_pnl = Some(cents(self.gross - t.fees));
        t
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn kind_word(k: ExecKind) -> &'static str {
    match k {
        ExecKind::Trade => "a fill",
        ExecKind::Expiration => "expiration",
        ExecKind::Assignment => "assignment",
        ExecKind::Exercise => "exercise",
    }
}

fn side_word(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sale",
    }
}

fn fmt_qty(q: f64) -> String {
    if (q - q.round()).abs() < EPS {
        format!("{}", q.round() as i64)
    } else {
        format!("{q}")
    }
}

/// Links trades opened by one order (by order id; without ids, by the same
/// account, underlying and moment with equal sizes) into strategies.
fn link_strategies(execs: &[Execution], book: &mut Book) {
    let by_fp: HashMap<&str, &Execution> =
        execs.iter().map(|e| (e.fingerprint.as_str(), e)).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, t) in book.trades.iter().enumerate() {
        if t.incomplete {
            continue;
        }
        let Some(first) = t.executions.first().and_then(|f| by_fp.get(f.as_str())) else {
            continue;
        };
        let group = match &first.order_id {
            Some(id) if !id.trim().is_empty() => {
                format!("{}|{}|order:{}", t.broker, t.account, id.trim())
            }
            _ => format!(
                "{}|{}|{}|at:{}|q:{}",
                t.broker,
                t.account,
                t.instrument.underlying(),
                first.time.timestamp(),
                fmt_qty(first.quantity)
            ),
        };
        groups.entry(group).or_default().push(i);
    }
    for members in groups.into_values() {
        let distinct: std::collections::BTreeSet<String> = members
            .iter()
            .map(|&i| book.trades[i].instrument.symbol())
            .collect();
        if members.len() < 2 || distinct.len() < 2 {
            continue;
        }
        let underlyings: std::collections::BTreeSet<&str> = members
            .iter()
            .map(|&i| book.trades[i].instrument.underlying())
            .collect();
        if underlyings.len() != 1 {
            continue;
        }
        let legs: Vec<&Trade> = members.iter().map(|&i| &book.trades[i]).collect();
        let key = format!("strategy:{}", legs[0].key);
        let name = strategy_name(&legs);
        let underlying = legs[0].instrument.underlying().to_string();
        let keys: Vec<String> = legs.iter().map(|t| t.key.clone()).collect();
        for &i in &members {
            book.trades[i].strategy = Some(key.clone());
        }
        book.strategies.push(Strategy {
            key,
            name,
            underlying,
            trades: keys,
        });
    }
}

/// A name for legs opened together.
pub fn strategy_name(legs: &[&Trade]) -> String {
    let opts: Vec<(&super::OptionContract, Direction)> = legs
        .iter()
        .filter_map(|t| t.instrument.option().map(|o| (o, t.direction)))
        .collect();
    let stock: Vec<Direction> = legs
        .iter()
        .filter(|t| t.instrument.option().is_none())
        .map(|t| t.direction)
        .collect();
    let calls = opts
        .iter()
        .filter(|(o, _)| o.kind == OptionKind::Call)
        .count();
    let puts = opts.len() - calls;
    let same_expiry = opts
        .windows(2)
        .all(|w| w[0].0.expiration == w[1].0.expiration);
    let opposite = |a: Direction, b: Direction| a != b;
    match (stock.as_slice(), opts.as_slice()) {
        ([Direction::Long], [(o, Direction::Short)]) if o.kind == OptionKind::Call => {
            "covered call".into()
        }
        ([Direction::Long], [(o, Direction::Long)]) if o.kind == OptionKind::Put => {
            "protective put".into()
        }
        ([], [(a, da), (b, db)]) if a.kind == b.kind => {
            if same_expiry && opposite(*da, *db) {
                "vertical".into()
            } else if a.strike == b.strike && opposite(*da, *db) {
                "calendar".into()
            } else if opposite(*da, *db) {
                "diagonal".into()
            } else {
                format!("{} legs", legs.len())
            }
        }
        ([], [(a, da), (b, db)]) if same_expiry && da == db => {
            let long = if *da == Direction::Long {
                "long"
            } else {
                "short"
            };
            if a.strike == b.strike {
                format!("{long} straddle")
            } else {
                format!("{long} strangle")
            }
        }
        ([], four) if four.len() == 4 && calls == 2 && puts == 2 && same_expiry => {
            let short_strikes: Vec<f64> = four
                .iter()
                .filter(|(_, d)| *d == Direction::Short)
                .map(|(o, _)| o.strike)
                .collect();
            if short_strikes.len() == 2 && short_strikes[0] == short_strikes[1] {
                "iron butterfly".into()
            } else {
                "iron condor".into()
            }
        }
        ([], three) if three.len() == 3 && (calls == 3 || puts == 3) && same_expiry => {
            "butterfly".into()
        }
        _ => format!("{} legs", legs.len()),
    }
}

/// A single trade's strategy name when it stands alone: "long call", "short
/// put", "long stock", ….
pub fn single_name(t: &Trade) -> String {
    let dir = match t.direction {
        Direction::Long => "long",
        Direction::Short => "short",
    };
    match t.instrument.option() {
        Some(o) => format!(
            "{dir} {}",
            match o.kind {
                OptionKind::Call => "call",
                OptionKind::Put => "put",
            }
        ),
        None => format!("{dir} stock"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::OptionContract;
    use chrono::NaiveDate;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn opt(kind: OptionKind, strike: f64, exp: &str) -> Instrument {
        Instrument::Option(OptionContract {
            underlying: "SPY".into(),
            kind,
            strike,
            expiration: NaiveDate::parse_from_str(exp, "%Y-%m-%d").unwrap(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn ex(
        fp: &str,
        at: &str,
        inst: Instrument,
        side: Side,
        qty: f64,
        price: f64,
        fees: f64,
        effect: Effect,
        kind: ExecKind,
        order: Option<&str>,
    ) -> Execution {
        Execution {
            broker: Broker::Tastytrade,
            account: "A".into(),
            time: t(at),
            instrument: inst,
            side,
            quantity: qty,
            price,
            fees,
            effect,
            kind,
            order_id: order.map(String::from),
            exec_id: None,
            line: 0,
            fingerprint: fp.into(),
        }
    }

    use Effect::{Close, Open, Unknown};
    use ExecKind::{Assignment, Expiration, Trade as Fill};
    use Side::{Buy, Sell};

    #[test]
    fn a_stock_trade_with_a_partial_exit_is_one_trade_fifo_net_of_each_fee_once() {
        let spy = || Instrument::stock("SPY");
        let execs = vec![
            ex(
                "1",
                "2024-07-01T14:00:00Z",
                spy(),
                Buy,
                100.0,
                500.0,
                1.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "2",
                "2024-07-01T15:00:00Z",
                spy(),
                Buy,
                100.0,
                502.0,
                1.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "3",
                "2024-07-02T14:00:00Z",
                spy(),
                Sell,
                150.0,
                505.0,
                1.5,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "4",
                "2024-07-03T14:00:00Z",
                spy(),
                Sell,
                50.0,
                499.0,
                0.5,
                Unknown,
                Fill,
                None,
            ),
        ];
        let book = build(&execs);
        assert_eq!(book.trades.len(), 1);
        let tr = &book.trades[0];
        // FIFO: 100 @ 500 → 505 = +500; 50 @ 502 → 505 = +150; 50 @ 502 → 499 = −150.
        // Gross +500; fees 1 + 1 + 1.5 + 0.5 = 4.
        assert_eq!(tr.realized_pnl, Some(496.0));
        assert_eq!(tr.fees, 4.0);
        assert_eq!(tr.status, TradeStatus::Closed);
        assert_eq!(tr.direction, Direction::Long);
        assert_eq!(tr.quantity, 200.0);
        assert_eq!(tr.entry_price, Some(501.0));
        // (150 × 505 + 50 × 499) / 200 = 503.5
        assert_eq!(tr.exit_price, Some(503.5));
        assert_eq!(tr.executions, vec!["1", "2", "3", "4"]);
        // Before the last sale, 50 @ 502 were left open (FIFO).
        let open = build(&execs[..3]);
        assert_eq!(
            (open.trades[0].open_quantity, open.trades[0].open_price),
            (50.0, Some(502.0))
        );
        assert_eq!(tr.closed_at, Some(t("2024-07-03T14:00:00Z")));
    }

    #[test]
    fn the_multiplier_is_applied_once_and_an_expired_short_is_closed_at_zero() {
        let put = || opt(OptionKind::Put, 540.0, "2024-07-19");
        let execs = vec![
            ex(
                "a",
                "2024-07-15T14:00:00Z",
                put(),
                Sell,
                2.0,
                1.25,
                2.28,
                Open,
                Fill,
                Some("9"),
            ),
            ex(
                "b",
                "2024-07-19T20:00:00Z",
                put(),
                Buy,
                2.0,
                0.0,
                0.0,
                Close,
                Expiration,
                None,
            ),
        ];
        let book = build(&execs);
        let tr = &book.trades[0];
        // 2 contracts × 1.25 × 100 = 250 credit, fees 2.28.
        assert_eq!(tr.realized_pnl, Some(247.72));
        assert_eq!(tr.status, TradeStatus::Expired);
        assert_eq!(tr.direction, Direction::Short);
        assert_eq!(tr.exit_price, Some(0.0));
    }

    #[test]
    fn assignment_closes_the_option_and_the_stock_arrives_in_its_own_trade() {
        let put = || opt(OptionKind::Put, 540.0, "2024-07-19");
        let spy = || Instrument::stock("SPY");
        let execs = vec![
            ex(
                "o",
                "2024-07-15T14:00:00Z",
                put(),
                Sell,
                1.0,
                3.0,
                1.0,
                Open,
                Fill,
                None,
            ),
            ex(
                "x",
                "2024-07-19T21:00:00Z",
                put(),
                Buy,
                1.0,
                0.0,
                0.0,
                Close,
                Assignment,
                None,
            ),
            ex(
                "s",
                "2024-07-19T21:00:00Z",
                spy(),
                Buy,
                100.0,
                540.0,
                0.0,
                Open,
                Fill,
                None,
            ),
        ];
        let book = build(&execs);
        let option = book.trades.iter().find(|t| t.key == "o").unwrap();
        assert_eq!(option.status, TradeStatus::Assigned);
        assert_eq!(
            option.realized_pnl,
            Some(299.0),
            "the premium kept, less the fee"
        );
        let stock = book.trades.iter().find(|t| t.key == "s").unwrap();
        assert_eq!(stock.status, TradeStatus::Open);
        assert_eq!(
            (stock.open_quantity, stock.open_price),
            (100.0, Some(540.0))
        );
        assert_eq!(option.open_quantity, 0.0, "closed");
        assert_eq!(stock.entry_price, Some(540.0));
        assert_eq!(stock.realized_pnl, None);
    }

    #[test]
    fn a_close_with_nothing_open_is_an_incomplete_trade_not_a_short() {
        let call = || opt(OptionKind::Call, 550.0, "2024-07-19");
        let execs = vec![ex(
            "c",
            "2024-07-16T14:00:00Z",
            call(),
            Sell,
            1.0,
            4.0,
            0.65,
            Close,
            Fill,
            None,
        )];
        let book = build(&execs);
        assert_eq!(book.trades.len(), 1);
        let tr = &book.trades[0];
        assert!(tr.incomplete);
        assert_eq!(tr.direction, Direction::Long, "sold to close: it was long");
        assert_eq!(tr.status, TradeStatus::Closed);
        assert_eq!(tr.realized_pnl, None, "no entry, no P&L");
        assert_eq!(book.notes.len(), 1);
        assert!(
            book.notes[0].message.contains("no opening"),
            "{:?}",
            book.notes
        );
    }

    #[test]
    fn selling_more_than_is_held_closes_the_long_and_opens_a_short_with_the_fee_split() {
        let spy = || Instrument::stock("SPY");
        let execs = vec![
            ex(
                "1",
                "2024-07-01T14:00:00Z",
                spy(),
                Buy,
                10.0,
                100.0,
                1.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "2",
                "2024-07-01T15:00:00Z",
                spy(),
                Sell,
                30.0,
                110.0,
                3.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "3",
                "2024-07-01T16:00:00Z",
                spy(),
                Buy,
                20.0,
                105.0,
                2.0,
                Unknown,
                Fill,
                None,
            ),
        ];
        let book = build(&execs);
        assert_eq!(book.trades.len(), 2);
        // Long 10: +100 gross − 1 − 1 (a third of the 3.00 fee) = 98.
        assert_eq!(book.trades[0].realized_pnl, Some(98.0));
        // Short 20 @ 110 → 105: +100 − 2 (two thirds of 3.00) − 2 = 96.
        assert_eq!(book.trades[1].direction, Direction::Short);
        assert_eq!(book.trades[1].realized_pnl, Some(96.0));
    }

    #[test]
    fn legs_of_one_order_are_one_strategy_and_named() {
        let c = |k| opt(OptionKind::Call, k, "2024-07-19");
        let p = |k| opt(OptionKind::Put, k, "2024-07-19");
        let at = "2024-07-15T14:00:00Z";
        let execs = vec![
            ex(
                "v1",
                at,
                c(550.0),
                Buy,
                1.0,
                2.0,
                0.65,
                Open,
                Fill,
                Some("77"),
            ),
            ex(
                "v2",
                at,
                c(555.0),
                Sell,
                1.0,
                0.9,
                0.65,
                Open,
                Fill,
                Some("77"),
            ),
            ex(
                "i1",
                at,
                p(530.0),
                Buy,
                1.0,
                0.5,
                0.0,
                Open,
                Fill,
                Some("78"),
            ),
            ex(
                "i2",
                at,
                p(535.0),
                Sell,
                1.0,
                0.8,
                0.0,
                Open,
                Fill,
                Some("78"),
            ),
            ex(
                "i3",
                at,
                c(560.0),
                Sell,
                1.0,
                0.7,
                0.0,
                Open,
                Fill,
                Some("78"),
            ),
            ex(
                "i4",
                at,
                c(565.0),
                Buy,
                1.0,
                0.4,
                0.0,
                Open,
                Fill,
                Some("78"),
            ),
            ex(
                "s1",
                at,
                c(570.0),
                Buy,
                1.0,
                0.2,
                0.0,
                Open,
                Fill,
                Some("79"),
            ),
        ];
        let book = build(&execs);
        let names: Vec<&str> = book.strategies.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["vertical", "iron condor"]);
        let single = book.trades.iter().find(|t| t.key == "s1").unwrap();
        assert_eq!(single.strategy, None, "one leg alone is not a strategy");
        assert_eq!(single_name(single), "long call");
        let v = book.trades.iter().find(|t| t.key == "v2").unwrap();
        assert_eq!(v.strategy.as_deref(), Some("strategy:v1"));
    }

    #[test]
    fn a_days_round_trip_written_newest_first_with_dates_only_opens_before_it_closes() {
        let spy = || Instrument::stock("SPY");
        let day = "2024-07-19T20:00:00Z";
        // As a newest-first file lists them: the sale, then the purchase.
        let execs = vec![
            ex("s", day, spy(), Sell, 10.0, 101.0, 0.0, Close, Fill, None),
            ex("b", day, spy(), Buy, 10.0, 100.0, 0.0, Unknown, Fill, None),
        ];
        let book = build(&execs);
        assert_eq!(book.trades.len(), 1, "{:?}", book.trades);
        assert_eq!(book.trades[0].realized_pnl, Some(10.0));
        assert!(book.notes.is_empty());
    }

    #[test]
    fn trades_entered_by_hand_are_their_own_positions() {
        let nvda = || Instrument::stock("NVDA");
        let mut a = ex(
            "manual:1#1",
            "2024-07-01T14:00:00Z",
            nvda(),
            Buy,
            10.0,
            100.0,
            0.0,
            Open,
            Fill,
            None,
        );
        let mut b = ex(
            "manual:2#1",
            "2024-07-01T15:00:00Z",
            nvda(),
            Buy,
            5.0,
            110.0,
            0.0,
            Open,
            Fill,
            None,
        );
        let mut c = ex(
            "manual:1#2",
            "2024-07-02T15:00:00Z",
            nvda(),
            Sell,
            10.0,
            105.0,
            0.0,
            Close,
            Fill,
            None,
        );
        for e in [&mut a, &mut b, &mut c] {
            e.broker = Broker::Manual;
        }
        let book = build(&[a, b, c]);
        assert_eq!(book.trades.len(), 2);
        let first = book.trades.iter().find(|t| t.key == "manual:1#1").unwrap();
        assert_eq!(
            first.realized_pnl,
            Some(50.0),
            "its own 10 @ 100, not FIFO across trades"
        );
        let second = book.trades.iter().find(|t| t.key == "manual:2#1").unwrap();
        assert_eq!(
            (second.status, second.open_quantity),
            (TradeStatus::Open, 5.0)
        );
    }

    #[test]
    fn an_option_left_open_after_its_expiry_is_closed_at_zero_with_a_note() {
        let put = || opt(OptionKind::Put, 480.0, "2024-07-19");
        let execs = vec![ex(
            "p",
            "2024-07-15T14:00:00Z",
            put(),
            Buy,
            5.0,
            1.95,
            3.25,
            Open,
            Fill,
            None,
        )];
        let before = build_as_of(&execs, NaiveDate::from_ymd_opt(2024, 7, 19));
        assert_eq!(
            before.trades[0].status,
            TradeStatus::Open,
            "open on its expiry day"
        );
        let after = build_as_of(&execs, NaiveDate::from_ymd_opt(2024, 7, 22));
        let t = &after.trades[0];
        assert_eq!(t.status, TradeStatus::Expired);
        // 5 × 1.95 × 100 = 975.00 paid, plus 3.25 in fees.
        assert_eq!(t.realized_pnl, Some(-978.25));
        assert_eq!(
            t.closed_at,
            Some(self::t("2024-07-19T20:00:00Z")),
            "the session's close"
        );
        assert!(after.notes[0]
            .message
            .contains("still open after it expired"));
    }

    #[test]
    fn on_a_dates_only_day_a_reversal_and_a_re_entry_fit_the_position_as_it_stands() {
        let spy = || Instrument::stock("SPY");
        let day = "2024-07-19T20:00:00Z";
        // Long 10 from the day before; that day: a short sale of 10 listed
        // before the plain sale of 10 that closes the long.
        let execs = vec![
            ex(
                "b",
                "2024-07-18T20:00:00Z",
                spy(),
                Buy,
                10.0,
                100.0,
                0.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "short",
                day,
                spy(),
                Sell,
                10.0,
                103.0,
                0.0,
                Open,
                Fill,
                None,
            ),
            ex(
                "sale",
                day,
                spy(),
                Sell,
                10.0,
                102.0,
                0.0,
                Close,
                Fill,
                None,
            ),
        ];
        let book = build(&execs);
        assert!(book.notes.is_empty(), "{:?}", book.notes);
        let long = book.trades.iter().find(|t| t.key == "b").unwrap();
        assert_eq!(
            long.realized_pnl,
            Some(20.0),
            "(102 − 100) × 10: closed by the plain sale"
        );
        let short = book.trades.iter().find(|t| t.key == "short").unwrap();
        assert_eq!(
            (short.direction, short.open_quantity),
            (Direction::Short, 10.0)
        );
        // Sold and bought back the same day: the old trade closes, a new one opens.
        let again = vec![
            ex(
                "b",
                "2024-07-18T20:00:00Z",
                spy(),
                Buy,
                10.0,
                100.0,
                0.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "rebuy",
                day,
                spy(),
                Buy,
                10.0,
                101.0,
                0.0,
                Unknown,
                Fill,
                None,
            ),
            ex(
                "sale",
                day,
                spy(),
                Sell,
                10.0,
                102.0,
                0.0,
                Close,
                Fill,
                None,
            ),
        ];
        let book = build(&again);
        assert_eq!(book.trades.len(), 2);
        assert_eq!(
            book.trades
                .iter()
                .find(|t| t.key == "b")
                .unwrap()
                .realized_pnl,
            Some(20.0)
        );
        let new = book.trades.iter().find(|t| t.key == "rebuy").unwrap();
        assert_eq!(
            (new.status, new.open_price),
            (TradeStatus::Open, Some(101.0))
        );
    }
}
