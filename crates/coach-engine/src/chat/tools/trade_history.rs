//! The `get_trade_history` tool: the journal's figures and trades over a
//! period, an underlying, an asset class or a strategy — the same numbers as
//! `coach journal stats` — with a journal card.

use chrono::{Datelike, Duration, NaiveDate};
use coach_core::journal::stats::GroupBy;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chat::cards::{GroupLine, JournalCard, TradeLine};
use crate::journal::TradeFilter;

use super::*;

pub(super) struct GetTradeHistory;

/// Arguments as the model sends them; validated by the handler, which names what is wrong.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Args {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    underlying: Option<String>,
    asset: Option<String>,
    strategy: Option<String>,
    by: Option<String>,
}

/// Trades listed in the answer (most recent first); the figures cover all.
const RECENT: usize = 10;

impl Tool for GetTradeHistory {
    const NAME: &'static str = "get_trade_history";
    const DESCRIPTION: &'static str = "The trader's own journal (imported from their broker or entered by hand): net P&L, win rate, profit factor, expectancy, average and largest win/loss, max drawdown and fees over closed trades, with an optional breakdown, the most recent trades and pattern notes computed from the trades (each naming its sample size). Filter by a period (today, this_week, last_week, this_month, last_month, this_year, all) or from/to dates, an underlying, stock or option trades, or a strategy (vertical, long call, …).";
    type Args = Args;

    fn parameters() -> Value {
        json!({"type": "object", "properties": {
            "period": {"type": "string", "enum": ["today", "this_week", "last_week", "this_month", "last_month", "this_year", "all"]},
            "from": {"type": "string", "description": "YYYY-MM-DD (instead of period)"},
            "to": {"type": "string", "description": "YYYY-MM-DD"},
            "underlying": {"type": "string", "description": "Ticker, e.g. SPY"},
            "asset": {"type": "string", "enum": ["stock", "option"]},
            "strategy": {"type": "string", "description": "e.g. vertical, long call, iron condor"},
            "by": {"type": "string", "enum": ["underlying", "weekday", "hour", "strategy", "tag", "holding"]}
        }})
    }

    fn run<'a>(
        kit: &'a Toolbox,
        call_id: &'a str,
        args: Args,
    ) -> BoxFuture<'a, Result<ToolOutput, String>> {
        Box::pin(trade_history(kit, call_id, args))
    }
}

/// The first and last day of a named period, around `today`.
pub fn period_days(
    period: &str,
    today: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, String> {
    let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
    let month_start = today.with_day(1).unwrap_or(today);
    Ok(Some(match period.trim() {
        "all" | "" => return Ok(None),
        "today" => (today, today),
        "this_week" => (monday, today),
        "last_week" => (monday - Duration::days(7), monday - Duration::days(1)),
        "this_month" => (month_start, today),
        "last_month" => {
            let end = month_start - Duration::days(1);
            (end.with_day(1).unwrap_or(end), end)
        }
        "this_year" => (
            NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
            today,
        ),
        other => {
            return Err(format!(
                "period {other:?}: use today, this_week, last_week, this_month, last_month, this_year or all"
            ))
        }
    }))
}

async fn trade_history(kit: &Toolbox, call_id: &str, args: Args) -> Result<ToolOutput, String> {
    let journal = &kit.journal;
    let today = kit
        .clock()
        .now()
        .with_timezone(&journal.display_tz())
        .date_naive();
    let (from, to) = match (&args.from, &args.to, &args.period) {
        (None, None, Some(p)) => match period_days(p, today)? {
            Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
            None => (None, None),
        },
        (from, to, _) => (from.clone(), to.clone()),
    };
    let underlying = match args
        .underlying
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(u) => Some(symbol_arg(Some(u))?.to_string()),
        None => None,
    };
    let asset = match args.asset.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a @ ("stock" | "option")) => Some(a.to_string()),
        Some(other) => return Err(format!("asset {other:?}: use stock or option")),
    };
    let by = args
        .by
        .as_deref()
        .filter(|b| !b.trim().is_empty())
        .map(str::parse::<GroupBy>)
        .transpose()?;
    let filter = TradeFilter {
        from: from.clone(),
        to: to.clone(),
        underlying: underlying.clone(),
        account: None,
        status: None,
        strategy: args.strategy.clone().filter(|s| !s.trim().is_empty()),
        asset: asset.clone(),
    };
    let (view, dash, trades) = journal
        .history(&filter, by)
        .await
        .map_err(|e| e.to_string())?;
    let s = &view.stats;
    let money = |v: Option<f64>| v.map(|x| round(x, 2));
    let body = JournalCard {
        period: match (&from, &to) {
            (Some(a), Some(b)) => format!("{a} to {b}"),
            (Some(a), None) => format!("from {a}"),
            (None, Some(b)) => format!("up to {b}"),
            (None, None) => "all time".into(),
        },
        from,
        to,
        underlying,
        asset,
        strategy: filter.strategy.clone(),
        trades: s.trades,
        wins: s.wins,
        losses: s.losses,
        breakeven: s.breakeven,
        win_rate_pct: s.win_rate.map(|w| round(w * 100.0, 1)),
        profit_factor: s.profit_factor,
        expectancy: money(s.expectancy),
        net_pnl: s.net_pnl,
        fees: s.fees,
        max_drawdown: s.max_drawdown,
        avg_win: money(s.avg_win),
        avg_loss: money(s.avg_loss),
        largest_win: money(s.largest_win),
        largest_loss: money(s.largest_loss),
        open_trades: dash.open_trades,
        by: args.by.clone().filter(|b| !b.trim().is_empty()),
        groups: view
            .groups
            .iter()
            .map(|(name, g)| GroupLine {
                name: name.clone(),
                trades: g.trades,
                win_rate_pct: g.win_rate.map(|w| round(w * 100.0, 1)),
                net_pnl: g.net_pnl,
            })
            .collect(),
        recent: trades
            .iter()
            .take(RECENT)
            .map(|t| TradeLine {
                id: t.id,
                symbol: t.symbol.clone(),
                strategy: t.strategy.clone(),
                side: format!("{:?}", t.side).to_lowercase(),
                status: format!("{:?}", t.status).to_lowercase(),
                opened_at: t.opened_at.clone(),
                closed_at: t.closed_at.clone(),
                realized_pnl: t.realized_pnl,
            })
            .collect(),
        patterns: dash.patterns.iter().map(|p| p.text.clone()).collect(),
        display_tz: journal.display_tz().name().to_string(),
    };
    Ok(answer(
        CardBody::Journal(body),
        "Your journal".into(),
        None,
        None,
        call_id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_periods_are_calendar_ranges_around_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2024-08-14"); // a Wednesday
        assert_eq!(
            period_days("last_month", today).unwrap(),
            Some((d("2024-07-01"), d("2024-07-31")))
        );
        assert_eq!(
            period_days("this_week", today).unwrap(),
            Some((d("2024-08-12"), d("2024-08-14")))
        );
        assert_eq!(
            period_days("last_week", today).unwrap(),
            Some((d("2024-08-05"), d("2024-08-11")))
        );
        assert_eq!(
            period_days("last_month", d("2024-03-10")).unwrap(),
            Some((d("2024-02-01"), d("2024-02-29")))
        );
        assert_eq!(
            period_days("this_year", today).unwrap(),
            Some((d("2024-01-01"), today))
        );
        assert_eq!(period_days("all", today).unwrap(), None);
        assert!(period_days("fortnight", today)
            .unwrap_err()
            .contains("fortnight"));
    }
}
