//! `coach journal`: import broker files, list trades, figures, manual trades.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use clap::Subcommand;
use coach_core::journal::stats::GroupBy;
use coach_engine::journal::{ImportRequest, ImportSummary, ManualTrade, TradeFilter, TradeView};
use coach_engine::{Engine, EngineOptions};

#[derive(Subcommand)]
pub enum JournalCommand {
    /// Import a broker's export. Prints {"broker","rows","imported","duplicates",
    /// "skipped":[{"line","reason"}],"errors":[{"line","message"}],"trades_touched"};
    /// exits 1 when errors stopped the import (nothing was imported).
    Import {
        file: std::path::PathBuf,
        /// auto, tastytrade, thinkorswim, ibkr, robinhood, schwab, fidelity or webull.
        #[arg(long, default_value = "auto")]
        broker: String,
        /// File the executions under this account (default: the file's).
        #[arg(long)]
        account: Option<String>,
        /// The zone of times written without one (default: the journal_import_tz setting).
        #[arg(long)]
        tz: Option<String>,
        /// Import the readable rows even when some trade rows cannot be read (they are listed).
        #[arg(long)]
        skip_bad_rows: bool,
        #[arg(long)]
        json: bool,
    },
    /// Trades, newest first.
    Trades {
        /// First day (YYYY-MM-DD, display zone): closed trades by the day they closed, open ones by the day they opened.
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        underlying: Option<String>,
        /// open or closed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Win rate, profit factor, expectancy, drawdown… with an optional breakdown.
    Stats {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        underlying: Option<String>,
        /// underlying, weekday, hour, strategy, tag or holding.
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a trade by hand: a JSON object on stdin
    /// {"symbol","option":{"kind","strike","expiration"}|null,"side":"long"|"short","quantity",
    /// "entry_price","opened_at","exit_price","closed_at","fees","account","notes","tags","setup","risk"}.
    /// Prints the new trade.
    Add,
    /// Replace a manual trade (the same JSON on stdin) or set any trade's notes,
    /// tags, setup and risk (JSON {"notes","tags","setup","risk"} with --notes).
    Edit {
        id: i64,
        /// Stdin holds notes/tags/setup/risk, not a whole trade.
        #[arg(long)]
        notes: bool,
    },
    /// Delete a trade, with any trade sharing a fill with it (an imported one
    /// comes back if its file is imported again).
    Delete { id: i64 },
    /// Today's and this week's realized P&L, the last ten days, and the open
    /// trades marked at the market (stock at its last price, options at the chain's mid).
    Pnl {
        #[arg(long)]
        json: bool,
    },
}

/// Runs a journal command; `Ok(false)` when the import was stopped by errors.
pub async fn run(opts: EngineOptions, cmd: JournalCommand) -> anyhow::Result<bool> {
    let engine = Engine::start(opts).await?;
    let journal = engine.journal();
    let mut out = std::io::stdout().lock();
    match cmd {
        JournalCommand::Import {
            file,
            broker,
            account,
            tz,
            skip_bad_rows,
            json,
        } => {
            let text = read_file(&file)?;
            let progress = std::io::stderr().is_terminal();
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let req = ImportRequest {
                broker: Some(broker),
                account,
                tz,
                skip_bad_rows,
            };
            let summary = journal
                .import_with_progress(&text, &name, &req, move |p| {
                    if progress {
                        eprint!("\r{}: {} of {}   ", p.stage, p.done, p.total);
                        if p.done == p.total {
                            eprintln!();
                        }
                    }
                })
                .await?;
            if json {
                let v = serde_json::json!({
                    "broker": summary.broker,
                    "rows": summary.rows,
                    "imported": summary.imported,
                    "duplicates": summary.duplicates,
                    "skipped": summary.skipped,
                    "errors": summary.errors,
                    "trades_touched": summary.trades_touched,
                    "warnings": summary.warnings,
                });
                writeln!(out, "{v}")?;
            } else {
                print_summary(&mut out, &summary)?;
            }
            Ok(!summary.stopped)
        }
        JournalCommand::Trades {
            from,
            to,
            underlying,
            status,
            json,
        } => {
            let filter = TradeFilter {
                from,
                to,
                underlying,
                status,
                ..TradeFilter::default()
            };
            let trades = journal.trades(&filter).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&trades)?)?;
            } else {
                for t in &trades {
                    writeln!(out, "{}", trade_line(t))?;
                }
                if trades.is_empty() {
                    writeln!(out, "no trades")?;
                }
            }
            Ok(true)
        }
        JournalCommand::Stats {
            from,
            to,
            underlying,
            by,
            json,
        } => {
            let by = by
                .as_deref()
                .map(|b| {
                    b.parse::<GroupBy>()
                        .map_err(|e| anyhow::anyhow!("--by: {e}"))
                })
                .transpose()?;
            let filter = TradeFilter {
                from,
                to,
                underlying,
                ..TradeFilter::default()
            };
            let view = journal.stats(&filter, by).await?;
            if json {
                let s = &view.stats;
                let v = serde_json::json!({
                    "trades": s.trades, "wins": s.wins, "losses": s.losses, "breakeven": s.breakeven,
                    "win_rate": s.win_rate, "win_rate_excluding_breakeven": s.win_rate_excluding_breakeven,
                    "profit_factor": s.profit_factor, "expectancy": s.expectancy,
                    "avg_win": s.avg_win, "avg_loss": s.avg_loss,
                    "largest_win": s.largest_win, "largest_loss": s.largest_loss,
                    "net_pnl": s.net_pnl, "fees": s.fees, "max_drawdown": s.max_drawdown,
                    "avg_r": s.avg_r, "groups": view.groups,
                });
                writeln!(out, "{v}")?;
            } else {
                let s = &view.stats;
                writeln!(
                    out,
                    "{} trades · net {:.2} · win rate {} · profit factor {} · expectancy {} · max drawdown {:.2} · fees {:.2}",
                    s.trades,
                    s.net_pnl,
                    s.win_rate.map_or("—".into(), |w| format!("{:.1} %", w * 100.0)),
                    s.profit_factor.map_or("—".into(), |p| format!("{p:.2}")),
                    s.expectancy.map_or("—".into(), |e| format!("{e:.2}")),
                    s.max_drawdown,
                    s.fees
                )?;
                for (k, g) in &view.groups {
                    writeln!(out, "  {k}: {} trades, net {:.2}", g.trades, g.net_pnl)?;
                }
            }
            Ok(true)
        }
        JournalCommand::Add => {
            let input: ManualTrade = read_stdin_json()?;
            let id = journal.add_manual(&input).await?;
            writeln!(out, "{}", serde_json::to_string(&journal.trade(id).await?)?)?;
            Ok(true)
        }
        JournalCommand::Edit { id, notes } => {
            let trade = if notes {
                journal.set_notes(id, read_stdin_json()?).await?
            } else {
                journal.edit_manual(id, &read_stdin_json()?).await?
            };
            writeln!(out, "{}", serde_json::to_string(&trade)?)?;
            Ok(true)
        }
        JournalCommand::Delete { id } => {
            let gone = journal.delete(id).await?;
            if gone.len() > 1 {
                eprintln!(
                    "deleted trades {} (they share a fill)",
                    gone.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(true)
        }
        JournalCommand::Pnl { json } => {
            let v = engine.pnl_tracker().snapshot().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            } else {
                writeln!(
                    out,
                    "today {:+.2} ({} closed) · this week {:+.2} ({} closed) · open {:+.2}",
                    v.today_realized, v.today_trades, v.week_realized, v.week_trades, v.unrealized
                )?;
                for o in &v.open {
                    writeln!(
                        out,
                        "  #{} {} {:?} {} mark {} unrealized {} ({})",
                        o.id,
                        o.symbol,
                        o.side,
                        o.quantity,
                        o.mark.map_or("—".into(), |m| format!("{m:.2}")),
                        o.unrealized.map_or("—".into(), |u| format!("{u:+.2}")),
                        o.source
                    )?;
                }
            }
            Ok(true)
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("could not read {}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (byte {}): export the file as CSV or XML",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn read_stdin_json<T: serde::de::DeserializeOwned>() -> anyhow::Result<T> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("stdin is not the expected JSON: {e}"))
}

fn print_summary(out: &mut impl Write, s: &ImportSummary) -> anyhow::Result<()> {
    if s.stopped {
        writeln!(
            out,
            "{}: nothing imported — {} row(s) could not be read (run again with --skip-bad-rows to import the rest):",
            s.broker,
            s.errors.len()
        )?;
    } else {
        writeln!(
            out,
            "{}: {} rows, {} executions imported, {} already in the journal, {} trades touched",
            s.broker, s.rows, s.imported, s.duplicates, s.trades_touched
        )?;
    }
    for e in &s.errors {
        writeln!(out, "  line {}: {}", e.line, e.message)?;
    }
    if !s.skipped.is_empty() {
        writeln!(out, "  {} row(s) skipped (not trades):", s.skipped.len())?;
        for k in &s.skipped {
            writeln!(out, "    line {}: {}", k.line, k.reason)?;
        }
    }
    for w in &s.warnings {
        writeln!(out, "  note: {w}")?;
    }
    Ok(())
}

fn trade_line(t: &TradeView) -> String {
    format!(
        "#{:<5} {:<22} {:<6} {:>6} {:<9} opened {} {} pnl {}",
        t.id,
        t.symbol,
        format!("{:?}", t.side).to_lowercase(),
        t.quantity,
        format!("{:?}", t.status).to_lowercase(),
        &t.opened_at[..10.min(t.opened_at.len())],
        t.strategy,
        t.realized_pnl.map_or("—".into(), |p| format!("{p:.2}"))
    )
}
