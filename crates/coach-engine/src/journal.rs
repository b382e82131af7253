//! The trade journal component: broker files imported into executions (one
//! transaction per file, nothing twice), trades rebuilt from them
//! (coach_core::journal), notes, tags, setups and risk per trade, manual
//! trades, and the figures (stats, breakdowns, equity curve, calendar,
//! hour × weekday, patterns) over any filter.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use coach_core::journal::import::{self, ImportOptions};
use coach_core::journal::stats::{self, EquityPoint, GroupBy, HourCell, Pattern, Sample, Stats};
use coach_core::journal::trades::{self, Book, Direction, TradeStatus};
use coach_core::journal::{
    Broker, Effect, ExecKind, Execution, Instrument, OptionContract, OptionKind, RowError, Side,
    SkippedRow,
};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clock::Clock;
use crate::error_code::{Coded, ErrorCode};
use crate::store::{JournalTables, StoreError};

/// Why the journal could not do something.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{0}")]
    Invalid(String),
    #[error("no trade {0} in the journal")]
    NotFound(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for JournalError {
    fn code(&self) -> ErrorCode {
        match self {
            JournalError::Invalid(_) => ErrorCode::InvalidInput,
            JournalError::NotFound(_) => ErrorCode::NotFound,
            JournalError::Store(_) => ErrorCode::Database,
        }
    }
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> JournalError {
        JournalError::Store(StoreError::from(e))
    }
}

/// How to import a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    /// `None` or "auto": recognised from the file.
    pub broker: Option<String>,
    /// The account to file it under (default: the file's).
    pub account: Option<String>,
    /// The zone of times without one (default: the `journal_import_tz` setting).
    pub tz: Option<String>,
    /// Import the readable rows even when some trade rows cannot be read
    /// (those are listed); otherwise any bad row stops the whole file.
    pub skip_bad_rows: bool,
}

/// How far an import is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    /// "reading" or "saving".
    pub stage: String,
    pub done: u32,
    pub total: u32,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportSummary {
    pub broker: String,
    /// Data rows read.
    pub rows: u32,
    /// Executions added.
    pub imported: u32,
    /// Executions already in the journal (a re-import or an overlapping file).
    pub duplicates: u32,
    /// Rows that are not trades (deposits, interest, …).
    pub skipped: Vec<SkippedRow>,
    /// Trade rows that could not be read; with any, nothing was imported
    /// unless `skip_bad_rows` was asked.
    pub errors: Vec<RowError>,
    /// Trades that gained an execution.
    pub trades_touched: u32,
    /// True when nothing was written because of `errors`.
    pub stopped: bool,
    pub warnings: Vec<String>,
}

/// An option trade's contract, as the journal lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeOption {
    pub kind: OptionKind,
    pub strike: f64,
    /// YYYY-MM-DD.
    pub expiration: String,
}

/// One of a trade's executions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeFill {
    #[ts(type = "number")]
    pub id: i64,
    /// RFC 3339, UTC.
    pub time: String,
    pub side: Side,
    pub quantity: f64,
    pub price: f64,
    pub fees: f64,
    pub kind: ExecKind,
}

/// A trade as the journal shows it (the `coach journal trades` contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeView {
    #[ts(type = "number")]
    pub id: i64,
    pub broker: Broker,
    pub account: String,
    /// The ticker for stock, the unpadded OCC symbol for an option.
    pub symbol: String,
    pub underlying: String,
    /// "stock" or "option".
    pub asset: String,
    pub option: Option<TradeOption>,
    pub side: Direction,
    pub quantity: f64,
    /// Still open (0 once closed).
    pub open_quantity: f64,
    /// Average price per share of the lots still open.
    pub open_price: Option<f64>,
    /// RFC 3339, UTC.
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub status: TradeStatus,
    /// Per share.
    pub entry_price: Option<f64>,
    pub exit_price: Option<f64>,
    pub fees: f64,
    /// Dollars net of fees; null while open or when the opening is not in the journal.
    pub realized_pnl: Option<f64>,
    pub executions: Vec<TradeFill>,
    /// The id of the first leg of the strategy it was opened in, if any.
    #[ts(type = "number | null")]
    pub strategy_id: Option<i64>,
    /// "vertical", "long call", "long stock", …
    pub strategy: String,
    /// Closed with no opening in the journal.
    pub incomplete: bool,
    /// Trades linked to this one through shared fills (a sale that closed one
    /// and opened the next, and so on): deleting one deletes them all.
    #[ts(type = "Array<number>")]
    pub linked: Vec<i64>,
    pub notes: String,
    pub tags: Vec<String>,
    pub setup: Option<String>,
    /// Dollars risked, for R-multiples.
    pub risk: Option<f64>,
    /// P&L ÷ risk.
    pub r_multiple: Option<f64>,
}

/// Which trades.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeFilter {
    /// YYYY-MM-DD (in the display zone): a closed trade by the day it closed, an open one by the day it opened.
    pub from: Option<String>,
    pub to: Option<String>,
    pub underlying: Option<String>,
    pub account: Option<String>,
    /// "open" or "closed" (closed includes expired, assigned, exercised).
    pub status: Option<String>,
    /// A strategy name ("vertical", "long call", …).
    pub strategy: Option<String>,
    /// "stock" or "option".
    pub asset: Option<String>,
}

/// The figures over a filter, with an optional breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StatsView {
    #[serde(flatten)]
    pub stats: Stats,
    pub groups: BTreeMap<String, Stats>,
}

/// One day of the P&L calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DayPnl {
    /// YYYY-MM-DD in the display zone.
    pub date: String,
    pub pnl: f64,
}

/// Everything the journal dashboard draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Dashboard {
    pub stats: Stats,
    pub equity: Vec<EquityPoint>,
    pub daily: Vec<DayPnl>,
    pub hour_weekday: Vec<HourCell>,
    /// By setup tag, best net P&L first.
    pub setups: Vec<(String, Stats)>,
    pub by_strategy: Vec<(String, Stats)>,
    pub patterns: Vec<Pattern>,
    /// Open trades (unrealised P&L is the P&L tracker's, from the socket).
    #[ts(type = "number")]
    pub open_trades: u32,
    /// The zone days and hours are in.
    pub display_tz: String,
}

/// A trade entered by hand (also the shape of `coach journal add`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ManualTrade {
    /// Ticker of the stock or of the option's underlying.
    pub symbol: String,
    /// Absent for stock.
    pub option: Option<TradeOption>,
    pub side: Direction,
    pub quantity: f64,
    pub entry_price: f64,
    /// RFC 3339.
    pub opened_at: String,
    pub exit_price: Option<f64>,
    pub closed_at: Option<String>,
    #[serde(default)]
    pub fees: f64,
    pub account: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub setup: Option<String>,
    pub risk: Option<f64>,
}

/// Notes, tags, setup and risk of one trade.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TradeNotes {
    pub notes: String,
    pub tags: Vec<String>,
    pub setup: Option<String>,
    pub risk: Option<f64>,
}

/// The journal component.
pub struct Journal {
    db: JournalTables,
    clock: std::sync::Arc<dyn Clock>,
    import_tz: Tz,
    display_tz: Tz,
}

/// Executions as stored: row id and execution.
type Stored = Vec<(i64, Execution)>;

impl Journal {
    pub fn new(
        db: JournalTables,
        clock: std::sync::Arc<dyn Clock>,
        import_tz: Tz,
        display_tz: Tz,
    ) -> Journal {
        Journal {
            db,
            clock,
            import_tz,
            display_tz,
        }
    }

    pub fn display_tz(&self) -> Tz {
        self.display_tz
    }

    /// Reads `text` (a file named `file_name`) and adds its executions in one
    /// transaction. Any unreadable trade row stops the import unless
    /// `skip_bad_rows`; a re-import adds nothing.
    pub async fn import(
        &self,
        text: &str,
        file_name: &str,
        req: &ImportRequest,
    ) -> Result<ImportSummary, JournalError> {
        self.import_with_progress(text, file_name, req, |_| {})
            .await
    }

    /// [`Journal::import`], telling `progress` how far it is (reading the
    /// file, then saving its executions in steps).
    pub async fn import_with_progress(
        &self,
        text: &str,
        file_name: &str,
        req: &ImportRequest,
        progress: impl Fn(ImportProgress) + Send + Sync + 'static,
    ) -> Result<ImportSummary, JournalError> {
        let broker = match req.broker.as_deref().map(str::trim) {
            None | Some("") | Some("auto") => import::detect(text).ok_or_else(|| {
                JournalError::Invalid(format!(
                    "{file_name}: not recognised as an export of any supported broker (tastytrade, thinkorswim, ibkr, robinhood, schwab, fidelity, webull); choose the broker"
                ))
            })?,
            Some(b) => b.parse::<Broker>().map_err(JournalError::Invalid)?,
        };
        if broker == Broker::Manual {
            return Err(JournalError::Invalid(
                "manual trades are added one by one, not imported".into(),
            ));
        }
        let tz = match req.tz.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => self.import_tz,
            Some(z) => z.parse::<Tz>().map_err(|_| {
                JournalError::Invalid(format!(
                    "{z:?} is not a time zone: use a name such as America/New_York"
                ))
            })?,
        };
        let opts = ImportOptions {
            account: req.account.clone().filter(|a| !a.trim().is_empty()),
            tz,
        };
        let progress = std::sync::Arc::new(progress);
        progress(ImportProgress {
            stage: "reading".into(),
            done: 0,
            total: 1,
        });
        let parsed = import::parse(broker, text, &opts);
        progress(ImportProgress {
            stage: "reading".into(),
            done: 1,
            total: 1,
        });
        let mut summary = ImportSummary {
            broker: broker.to_string(),
            rows: parsed.rows as u32,
            imported: 0,
            duplicates: 0,
            skipped: parsed.skipped.clone(),
            errors: parsed.errors.clone(),
            trades_touched: 0,
            stopped: false,
            warnings: parsed.warnings.clone(),
        };
        if !parsed.errors.is_empty() && !req.skip_bad_rows {
            summary.stopped = true;
            return Ok(summary);
        }
        let now_ms = self.clock.now().timestamp_millis();
        let file = file_name.to_string();
        let execs = parsed.executions;
        let counts = (
            summary.rows,
            summary.skipped.len() as u32,
            summary.errors.len() as u32,
        );
        let report = progress.clone();
        let (imported, duplicates, new_fps) = self
            .db
            .call(move |db| {
                db.insert_import(broker, &file, &execs, counts, now_ms, &|done, total| {
                    report(ImportProgress {
                        stage: "saving".into(),
                        done,
                        total,
                    })
                })
            })
            .await?;
        summary.imported = imported;
        summary.duplicates = duplicates;
        if !new_fps.is_empty() {
            let (book, _) = self.book().await?;
            summary.trades_touched = book
                .trades
                .iter()
                .filter(|t| t.executions.iter().any(|f| new_fps.contains(f)))
                .count() as u32;
            summary.warnings.extend(
                book.notes
                    .iter()
                    .filter(|n| new_fps.contains(&n.fingerprint))
                    .map(|n| n.message.clone()),
            );
        }
        Ok(summary)
    }

    /// Every trade, rebuilt from the stored executions.
    async fn book(&self) -> Result<(Book, Stored), JournalError> {
        let stored = self.db.call(|db| db.executions()).await?;
        let execs: Vec<Execution> = stored.iter().map(|(_, e)| e.clone()).collect();
        let today = self
            .clock
            .now()
            .with_timezone(&chrono_tz::America::New_York)
            .date_naive();
        Ok((trades::build_as_of(&execs, Some(today)), stored))
    }

    /// Every trade, rebuilt from the stored executions once, newest opening
    /// first, notes and links joined.
    async fn all_trades(&self) -> Result<Vec<TradeView>, JournalError> {
        let (book, stored) = self.book().await?;
        let notes = self.db.call(|db| db.all_notes()).await?;
        let mut out = with_links(views(&book, &stored, &notes));
        out.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        Ok(out)
    }

    /// The trades that pass `filter`, newest opening first.
    pub async fn trades(&self, filter: &TradeFilter) -> Result<Vec<TradeView>, JournalError> {
        let all = self.all_trades().await?;
        self.select(&all, filter)
    }

    /// The trades of `all` that pass `filter`; a filter that does not read
    /// is an error naming it. A closed trade counts on the day it closed (its
    /// P&L was realized then, as the calendar and equity curve show it); an
    /// open one on the day it opened.
    fn select(&self, all: &[TradeView], f: &TradeFilter) -> Result<Vec<TradeView>, JournalError> {
        let (from, to) = date_range(f)?;
        let mut out = Vec::new();
        for v in all {
            let on = v.closed_at.as_deref().unwrap_or(&v.opened_at);
            let day = DateTime::parse_from_rfc3339(on)
                .map(|t| t.with_timezone(&self.display_tz).date_naive())
                .unwrap_or_default();
            if from.is_none_or(|d| day >= d) && to.is_none_or(|d| day <= d) && passes(v, f)? {
                out.push(v.clone());
            }
        }
        Ok(out)
    }
}

/// The filter's first and last day, when given.
fn date_range(f: &TradeFilter) -> Result<(Option<NaiveDate>, Option<NaiveDate>), JournalError> {
    let day = |s: Option<&String>| -> Result<Option<NaiveDate>, JournalError> {
        s.map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| JournalError::Invalid(format!("{d:?} is not a date (YYYY-MM-DD)")))
            })
            .transpose()
    };
    Ok((day(f.from.as_ref())?, day(f.to.as_ref())?))
}

/// Whether `v` passes everything in `f` but its dates.
fn passes(v: &TradeView, f: &TradeFilter) -> Result<bool, JournalError> {
    let same = |want: &Option<String>, have: &str| {
        want.as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .is_none_or(|w| w.eq_ignore_ascii_case(have))
    };
    if !same(&f.underlying, &v.underlying)
        || !same(&f.account, &v.account)
        || !same(&f.strategy, &v.strategy)
        || !same(&f.asset, &v.asset)
    {
        return Ok(false);
    }
    match f.status.as_deref().map(str::trim) {
        None | Some("") | Some("all") => Ok(true),
        Some("open") => Ok(v.status == TradeStatus::Open),
        Some("closed") => Ok(v.status != TradeStatus::Open),
        Some(other) => Err(JournalError::Invalid(format!(
            "status {other:?}: use open or closed"
        ))),
    }
}

impl Journal {
    /// The figures over the trades that pass `filter`, with a breakdown.
    pub async fn stats(
        &self,
        filter: &TradeFilter,
        by: Option<GroupBy>,
    ) -> Result<StatsView, JournalError> {
        let all = self.all_trades().await?;
        self.stats_of(&all, filter, by)
    }

    fn stats_of(
        &self,
        all: &[TradeView],
        filter: &TradeFilter,
        by: Option<GroupBy>,
    ) -> Result<StatsView, JournalError> {
        let samples = self.samples_of(all, filter)?;
        let refs: Vec<&Sample> = samples.iter().collect();
        Ok(StatsView {
            stats: stats::stats(&refs),
            groups: by
                .map(|b| stats::group(&refs, b, self.display_tz))
                .unwrap_or_default(),
        })
    }

    /// What the dashboard draws over the trades that pass `filter`.
    pub async fn dashboard(&self, filter: &TradeFilter) -> Result<Dashboard, JournalError> {
        let all = self.all_trades().await?;
        self.dashboard_of(&all, filter)
    }

    /// The figures with a breakdown, the dashboard and the trades of `filter`,
    /// from one rebuild of the journal (what the coach's tool answers with).
    pub async fn history(
        &self,
        filter: &TradeFilter,
        by: Option<GroupBy>,
    ) -> Result<(StatsView, Dashboard, Vec<TradeView>), JournalError> {
        let all = self.all_trades().await?;
        Ok((
            self.stats_of(&all, filter, by)?,
            self.dashboard_of(&all, filter)?,
            self.select(&all, filter)?,
        ))
    }

    fn dashboard_of(
        &self,
        all: &[TradeView],
        filter: &TradeFilter,
    ) -> Result<Dashboard, JournalError> {
        let trades = self.select(all, filter)?;
        let samples = self.samples_of(all, filter)?;
        let refs: Vec<&Sample> = samples.iter().collect();
        let tz = self.display_tz;
        let mut setups: Vec<(String, Stats)> = stats::group(&refs, GroupBy::Tag, tz)
            .into_iter()
            .filter(|(k, _)| k != "(untagged)")
            .collect();
        setups.sort_by(|a, b| b.1.net_pnl.total_cmp(&a.1.net_pnl));
        let mut by_strategy: Vec<(String, Stats)> = stats::group(&refs, GroupBy::Strategy, tz)
            .into_iter()
            .collect();
        by_strategy.sort_by(|a, b| b.1.net_pnl.total_cmp(&a.1.net_pnl));
        Ok(Dashboard {
            stats: stats::stats(&refs),
            equity: stats::equity_curve(&refs),
            daily: stats::daily_pnl(&refs, tz)
                .into_iter()
                .map(|(d, pnl)| DayPnl {
                    date: d.to_string(),
                    pnl,
                })
                .collect(),
            hour_weekday: stats::hour_weekday(&refs, tz),
            setups,
            by_strategy,
            patterns: stats::patterns(&refs, tz, 10),
            open_trades: trades
                .iter()
                .filter(|t| t.status == TradeStatus::Open)
                .count() as u32,
            display_tz: tz.name().to_string(),
        })
    }

    /// The closed trades the figures count for `filter`. The legs of one
    /// strategy (a vertical, a condor, a covered call) are one trade once
    /// every leg is closed with a known P&L: closed when its last leg closed,
    /// its P&L the legs' sum. While a leg is still open, or a leg falls
    /// outside the filter, each closed leg counts on its own. The date range
    /// applies to that close.
    fn samples_of(
        &self,
        all: &[TradeView],
        filter: &TradeFilter,
    ) -> Result<Vec<Sample>, JournalError> {
        let mut picked = Vec::new();
        for t in all {
            if passes(t, filter)? {
                picked.push(t.clone());
            }
        }
        let picked_ids: std::collections::HashSet<i64> = picked.iter().map(|t| t.id).collect();
        let mut whole_groups: BTreeMap<i64, bool> = BTreeMap::new();
        for t in all {
            if let Some(g) = t.strategy_id {
                let ok = whole_groups.entry(g).or_insert(true);
                *ok &= t.realized_pnl.is_some() && picked_ids.contains(&t.id);
            }
        }
        let mut out: Vec<Sample> = Vec::new();
        let mut groups: BTreeMap<i64, Vec<Sample>> = BTreeMap::new();
        for (t, s) in picked.iter().zip(leg_samples(&picked)) {
            let Some(s) = s else { continue };
            match t.strategy_id {
                Some(g) if whole_groups.get(&g).copied().unwrap_or(false) => {
                    groups.entry(g).or_default().push(s)
                }
                _ => out.push(s),
            }
        }
        for parts in groups.into_values() {
            let first = &parts[0];
            let mut whole = first.clone();
            whole.pnl = (parts.iter().map(|p| p.pnl).sum::<f64>() * 100.0).round() / 100.0;
            whole.fees = parts.iter().map(|p| p.fees).sum();
            whole.opened_at = parts
                .iter()
                .map(|p| p.opened_at)
                .min()
                .unwrap_or(first.opened_at);
            whole.closed_at = parts
                .iter()
                .map(|p| p.closed_at)
                .max()
                .unwrap_or(first.closed_at);
            whole.risk = parts.iter().find_map(|p| p.risk);
            let mut tags: Vec<String> = Vec::new();
            for p in &parts {
                for tag in &p.tags {
                    if !tags.contains(tag) {
                        tags.push(tag.clone());
                    }
                }
            }
            whole.tags = tags;
            out.push(whole);
        }
        let (from, to) = date_range(filter)?;
        let tz = self.display_tz;
        out.retain(|s| {
            let d = s.closed_at.with_timezone(&tz).date_naive();
            from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t)
        });
        Ok(out)
    }

    /// Sets a trade's notes, tags, setup and risk.
    pub async fn set_notes(&self, id: i64, notes: TradeNotes) -> Result<TradeView, JournalError> {
        let trade = self.trade(id).await?;
        let fills: Vec<i64> = trade
            .executions
            .iter()
            .map(|f| f.id)
            .filter(|f| *f != id)
            .collect();
        if notes.risk.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            return Err(JournalError::Invalid(
                "risk must be a positive number of dollars".into(),
            ));
        }
        let clean = TradeNotes {
            notes: notes.notes.trim().to_string(),
            tags: clean_tags(&notes.tags),
            setup: notes
                .setup
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            risk: notes.risk,
        };
        let now_ms = self.clock.now().timestamp_millis();
        self.db
            .call(move |db| db.set_notes(id, &fills, &clean, now_ms))
            .await?;
        self.trade(id).await
    }

    /// Adds a trade entered by hand; its id.
    pub async fn add_manual(&self, input: &ManualTrade) -> Result<i64, JournalError> {
        let execs = manual_executions(input, &format!("manual:{}", uuid_like(&*self.clock)))?;
        let now_ms = self.clock.now().timestamp_millis();
        let notes = TradeNotes {
            notes: input.notes.trim().to_string(),
            tags: clean_tags(&input.tags),
            setup: input.setup.clone().filter(|s| !s.trim().is_empty()),
            risk: input.risk,
        };
        let id = self
            .db
            .call(move |db| db.insert_manual(&execs, &notes, now_ms))
            .await?;
        Ok(id)
    }

    /// Replaces a manual trade's details (same validation as adding).
    pub async fn edit_manual(
        &self,
        id: i64,
        input: &ManualTrade,
    ) -> Result<TradeView, JournalError> {
        // The id must be a trade's (its first fill), not any fill's.
        self.trade(id).await?;
        let prefix = self
            .db
            .call(move |db| db.manual_prefix(id))
            .await?
            .ok_or_else(|| {
                JournalError::Invalid(format!(
                    "trade {id} is not a manual trade: imported trades keep their broker's numbers (notes, tags, setup and risk can be edited)"
                ))
            })?;
        let execs = manual_executions(input, &prefix)?;
        let now_ms = self.clock.now().timestamp_millis();
        let notes = TradeNotes {
            notes: input.notes.trim().to_string(),
            tags: clean_tags(&input.tags),
            setup: input.setup.clone().filter(|s| !s.trim().is_empty()),
            risk: input.risk,
        };
        self.db
            .call(move |db| db.replace_manual(id, &prefix, &execs, &notes, now_ms))
            .await?;
        self.trade(id).await
    }

    /// Deletes a trade, and any trade sharing a fill with it (a sale that
    /// closed one and opened the other): a manual one entirely, an imported
    /// one's executions (a re-import of its file brings it back). The ids
    /// deleted.
    pub async fn delete(&self, id: i64) -> Result<Vec<i64>, JournalError> {
        let all = self.all_trades().await?;
        let trade = all
            .iter()
            .find(|t| t.id == id)
            .ok_or(JournalError::NotFound(id))?;
        // The trade and the chain of trades linked to it through shared fills.
        let mut ids: Vec<i64> = std::iter::once(id)
            .chain(trade.linked.iter().copied())
            .collect();
        ids.sort_unstable();
        let fills: Vec<i64> = all
            .iter()
            .filter(|t| ids.contains(&t.id))
            .flat_map(|t| t.executions.iter().map(|f| f.id))
            .collect();
        let trades = ids.clone();
        self.db
            .call(move |db| db.delete_trades(&trades, &fills))
            .await?;
        Ok(ids)
    }

    /// One trade by id.
    pub async fn trade(&self, id: i64) -> Result<TradeView, JournalError> {
        self.all_trades()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(JournalError::NotFound(id))
    }
}

/// Every trade as a view (ids from the stored rows, notes joined).
fn views(book: &Book, stored: &Stored, notes: &HashMap<i64, TradeNotes>) -> Vec<TradeView> {
    let ids: HashMap<(&str, &str, &str), i64> = stored
        .iter()
        .map(|(id, e)| {
            (
                (
                    e.broker.as_str(),
                    e.account.as_str(),
                    e.fingerprint.as_str(),
                ),
                *id,
            )
        })
        .collect();
    let by_fp: HashMap<(&str, &str, &str), &Execution> = stored
        .iter()
        .map(|(_, e)| {
            (
                (
                    e.broker.as_str(),
                    e.account.as_str(),
                    e.fingerprint.as_str(),
                ),
                e,
            )
        })
        .collect();
    let strategy_first: HashMap<&str, (&str, String)> = book
        .strategies
        .iter()
        .filter_map(|s| {
            s.trades
                .first()
                .map(|k| (s.key.as_str(), (k.as_str(), s.name.clone())))
        })
        .collect();
    let trade_ids: std::collections::HashSet<i64> = book
        .trades
        .iter()
        .filter_map(|t| {
            ids.get(&(t.broker.as_str(), t.account.as_str(), t.key.as_str()))
                .copied()
        })
        .collect();
    book.trades
        .iter()
        .filter_map(|t| {
            let id = *ids.get(&(t.broker.as_str(), t.account.as_str(), t.key.as_str()))?;
            // Notes are kept under the trade's first fill; an older file that
            // brought an earlier opening makes another fill the first, so notes
            // kept under any of its fills still belong to it.
            let n = notes
                .get(&id)
                .or_else(|| {
                    t.executions.iter().find_map(|fp| {
                        ids.get(&(t.broker.as_str(), t.account.as_str(), fp.as_str()))
                            // Not another trade's own notes (a fill two trades share).
                            .filter(|fill| !trade_ids.contains(*fill))
                            .and_then(|fill| notes.get(fill))
                    })
                })
                .cloned()
                .unwrap_or_default();
            let (strategy_id, strategy) =
                match t.strategy.as_deref().and_then(|k| strategy_first.get(k)) {
                    Some((first, name)) => (
                        ids.get(&(t.broker.as_str(), t.account.as_str(), *first))
                            .copied(),
                        name.clone(),
                    ),
                    None => (None, trades::single_name(t)),
                };
            let fills = t
                .executions
                .iter()
                .filter_map(|fp| {
                    let key = (t.broker.as_str(), t.account.as_str(), fp.as_str());
                    let e = by_fp.get(&key)?;
                    Some(TradeFill {
                        id: *ids.get(&key)?,
                        time: rfc3339(e.time),
                        side: e.side,
                        quantity: e.quantity,
                        price: e.price,
                        fees: e.fees,
                        kind: e.kind,
                    })
                })
                .collect();
            let r_multiple = match (t.realized_pnl, n.risk) {
                (Some(p), Some(r)) if r > 0.0 => Some((p / r * 100.0).round() / 100.0),
                _ => None,
            };
            Some(TradeView {
                id,
                broker: t.broker,
                account: t.account.clone(),
                symbol: t.instrument.symbol(),
                underlying: t.instrument.underlying().to_string(),
                asset: match t.instrument {
                    Instrument::Stock { .. } => "stock".into(),
                    Instrument::Option(_) => "option".into(),
                },
                option: t.instrument.option().map(|o| TradeOption {
                    kind: o.kind,
                    strike: o.strike,
                    expiration: o.expiration.to_string(),
                }),
                side: t.direction,
                quantity: t.quantity,
                open_quantity: t.open_quantity,
                open_price: t.open_price.map(|p| round(p, 4)),
                opened_at: rfc3339(t.opened_at),
                closed_at: t.closed_at.map(rfc3339),
                status: t.status,
                entry_price: t.entry_price.map(|p| round(p, 4)),
                exit_price: t.exit_price.map(|p| round(p, 4)),
                fees: round(t.fees, 2),
                realized_pnl: t.realized_pnl,
                executions: fills,
                strategy_id,
                strategy,
                incomplete: t.incomplete,
                linked: Vec::new(),
                notes: n.notes,
                tags: n.tags,
                setup: n.setup,
                risk: n.risk,
                r_multiple,
            })
        })
        .collect::<Vec<TradeView>>()
}

/// Each trade's own sample (`None` while open or without a known P&L).
fn leg_samples(trades: &[TradeView]) -> Vec<Option<Sample>> {
    trades
        .iter()
        .map(|t| {
            let pnl = t.realized_pnl?;
            let opened = DateTime::parse_from_rfc3339(&t.opened_at)
                .ok()?
                .with_timezone(&Utc);
            let closed = DateTime::parse_from_rfc3339(t.closed_at.as_deref()?)
                .ok()?
                .with_timezone(&Utc);
            let dte = t.option.as_ref().and_then(|o| {
                let exp = NaiveDate::parse_from_str(&o.expiration, "%Y-%m-%d").ok()?;
                let day = opened
                    .with_timezone(&chrono_tz::America::New_York)
                    .date_naive();
                Some((exp - day).num_days())
            });
            let mut tags = t.tags.clone();
            if let Some(setup) = &t.setup {
                if !tags.contains(setup) {
                    tags.push(setup.clone());
                }
            }
            Some(Sample {
                pnl,
                fees: t.fees,
                opened_at: opened,
                closed_at: closed,
                underlying: t.underlying.clone(),
                strategy: t.strategy.clone(),
                tags,
                risk: t.risk,
                dte_at_open: dte,
            })
        })
        .collect()
}

fn clean_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if !t.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_string());
        }
    }
    out
}

/// A unique-enough id for a manual trade: the clock's nanoseconds and a counter.
fn uuid_like(clock: &dyn Clock) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{:x}-{:x}-{n}",
        clock.now().timestamp_nanos_opt().unwrap_or_default(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

/// A manual trade's executions (an opening, and a closing when it has an
/// exit), checked field by field.
fn manual_executions(m: &ManualTrade, prefix: &str) -> Result<Vec<Execution>, JournalError> {
    let bad = |msg: String| Err(JournalError::Invalid(msg));
    let symbol = coach_core::Symbol::parse(&m.symbol)
        .map_err(|e| JournalError::Invalid(format!("symbol: {e}")))?;
    if !(m.quantity.is_finite() && m.quantity > 0.0) {
        return bad(format!(
            "quantity must be a positive number, not {}",
            m.quantity
        ));
    }
    if !(m.entry_price.is_finite() && m.entry_price >= 0.0) {
        return bad(format!(
            "entry_price must be a price of 0 or more, not {}",
            m.entry_price
        ));
    }
    if !(m.fees.is_finite() && m.fees >= 0.0) {
        return bad(format!("fees must be 0 or more, not {}", m.fees));
    }
    let time = |field: &str, s: &str| -> Result<DateTime<Utc>, JournalError> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                JournalError::Invalid(format!(
                    "{field}: {s:?} is not an RFC 3339 time such as 2024-07-19T14:30:00Z"
                ))
            })
    };
    let opened = time("opened_at", &m.opened_at)?;
    let instrument = match &m.option {
        None => Instrument::stock(symbol.as_str()),
        Some(o) => {
            if !(o.strike.is_finite() && o.strike > 0.0) {
                return bad(format!(
                    "option.strike must be a positive price, not {}",
                    o.strike
                ));
            }
            let expiration =
                NaiveDate::parse_from_str(o.expiration.trim(), "%Y-%m-%d").map_err(|_| {
                    JournalError::Invalid(format!(
                        "option.expiration: {:?} is not a date (YYYY-MM-DD)",
                        o.expiration
                    ))
                })?;
            Instrument::Option(OptionContract {
                underlying: symbol.to_string(),
                kind: o.kind,
                strike: o.strike,
                expiration,
            })
        }
    };
    let account = m
        .account
        .clone()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "manual".into());
    let (open_side, close_side) = match m.side {
        Direction::Long => (Side::Buy, Side::Sell),
        Direction::Short => (Side::Sell, Side::Buy),
    };
    let closing = match (
        m.exit_price,
        m.closed_at.as_deref().filter(|s| !s.trim().is_empty()),
    ) {
        (None, None) => None,
        (Some(px), Some(at)) => {
            if !(px.is_finite() && px >= 0.0) {
                return bad(format!("exit_price must be a price of 0 or more, not {px}"));
            }
            let closed = time("closed_at", at)?;
            if closed < opened {
                return bad("closed_at is before opened_at".into());
            }
            Some((px, closed))
        }
        (Some(_), None) => return bad("exit_price needs closed_at".into()),
        (None, Some(_)) => return bad("closed_at needs exit_price".into()),
    };
    let exec = |side, price, time, fees, effect, n: u8| Execution {
        broker: Broker::Manual,
        account: account.clone(),
        time,
        instrument: instrument.clone(),
        side,
        quantity: m.quantity,
        price,
        fees,
        effect,
        kind: ExecKind::Trade,
        order_id: None,
        exec_id: None,
        line: 0,
        fingerprint: format!("{prefix}#{n}"),
    };
    // Fees are split between the opening and the closing (once in all).
    let (open_fee, close_fee) = match closing {
        Some(_) => (m.fees / 2.0, m.fees - m.fees / 2.0),
        None => (m.fees, 0.0),
    };
    let mut out = vec![exec(
        open_side,
        m.entry_price,
        opened,
        open_fee,
        Effect::Open,
        1,
    )];
    if let Some((px, closed)) = closing {
        out.push(exec(close_side, px, closed, close_fee, Effect::Close, 2));
    }
    Ok(out)
}

/// RFC 3339 in UTC with a `Z`, to the second.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Fills in each trade's `linked`: the trades reachable through shared fills.
fn with_links(mut views: Vec<TradeView>) -> Vec<TradeView> {
    let mut by_fill: HashMap<i64, Vec<i64>> = HashMap::new();
    for t in &views {
        for f in &t.executions {
            by_fill.entry(f.id).or_default().push(t.id);
        }
    }
    let direct: HashMap<i64, Vec<i64>> = views
        .iter()
        .map(|t| {
            let mut d: Vec<i64> = t
                .executions
                .iter()
                .flat_map(|f| by_fill.get(&f.id).into_iter().flatten())
                .copied()
                .filter(|id| *id != t.id)
                .collect();
            d.sort_unstable();
            d.dedup();
            (t.id, d)
        })
        .collect();
    // Every trade reachable through shared fills (a stock flipped long and
    // short again and again is one chain).
    for t in &mut views {
        let mut seen = vec![t.id];
        let mut i = 0;
        while i < seen.len() {
            for l in direct.get(&seen[i]).into_iter().flatten() {
                if !seen.contains(l) {
                    seen.push(*l);
                }
            }
            i += 1;
        }
        seen.retain(|id| *id != t.id);
        seen.sort_unstable();
        t.linked = seen;
    }
    views
}

fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

impl JournalTables {
    /// Adds one file's executions in one transaction: (added, already there,
    /// the fingerprints added).
    pub fn insert_import(
        &self,
        broker: Broker,
        file_name: &str,
        execs: &[Execution],
        (rows, skipped, errors): (u32, u32, u32),
        now_ms: i64,
        progress: &dyn Fn(u32, u32),
    ) -> Result<(u32, u32, HashSet<String>), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO journal_imports (broker, file_name, imported_ms, rows, imported, duplicates, skipped, errors)
             VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6)",
            params![broker.as_str(), file_name, now_ms, rows, skipped, errors],
        )?;
        let import_id = tx.last_insert_rowid();
        let (mut added, mut dup) = (0u32, 0u32);
        let mut fps = HashSet::new();
        let total = execs.len() as u32;
        for (i, e) in execs.iter().enumerate() {
            if i % 1000 == 0 {
                progress(i as u32, total);
            }
            if insert_execution(&tx, e, Some(import_id))? == 1 {
                added += 1;
                fps.insert(e.fingerprint.clone());
            } else {
                dup += 1;
            }
        }
        tx.execute(
            "UPDATE journal_imports SET imported = ?2, duplicates = ?3 WHERE id = ?1",
            params![import_id, added, dup],
        )?;
        tx.commit()?;
        progress(total, total);
        Ok((added, dup, fps))
    }

    /// Every stored execution with its row id, oldest first.
    pub fn executions(&self) -> Result<Stored, StoreError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare("SELECT id, execution FROM journal_executions ORDER BY time_ms, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            match serde_json::from_str::<Execution>(&json) {
                Ok(e) => out.push((id, e)),
                Err(err) => {
                    tracing::warn!(id, error = %err, "a stored execution does not read; left out")
                }
            }
        }
        Ok(out)
    }

    /// Notes, tags, setup and risk of every trade that has any.
    pub fn all_notes(&self) -> Result<HashMap<i64, TradeNotes>, StoreError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare("SELECT trade_id, notes, tags, setup, risk FROM journal_trade_notes")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                TradeNotes {
                    notes: r.get(1)?,
                    tags: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                    setup: r.get(3)?,
                    risk: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets a trade's notes under its id; notes kept under its other fills
    /// (from when one of them was its first) are replaced.
    pub fn set_notes(
        &self,
        trade_id: i64,
        other_fills: &[i64],
        n: &TradeNotes,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        for f in other_fills {
            tx.execute(
                "DELETE FROM journal_trade_notes WHERE trade_id = ?1",
                params![f],
            )?;
        }
        upsert_notes(&tx, trade_id, n, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// A manual trade's fingerprint prefix (`manual:<id>`), `None` when
    /// `trade_id` is not a manual trade.
    pub fn manual_prefix(&self, trade_id: i64) -> Result<Option<String>, StoreError> {
        let fp: Option<String> = self
            .read()
            .query_row(
                "SELECT fingerprint FROM journal_executions WHERE id = ?1 AND broker = 'manual'",
                params![trade_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
        Ok(fp.and_then(|f| f.split('#').next().map(str::to_string)))
    }

    /// Adds a manual trade's executions and notes in one transaction; the trade's id.
    pub fn insert_manual(
        &self,
        execs: &[Execution],
        notes: &TradeNotes,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        let mut first = None;
        for e in execs {
            insert_execution(&tx, e, None)?;
            first.get_or_insert(tx.last_insert_rowid());
        }
        let id = first.unwrap_or_default();
        upsert_notes(&tx, id, notes, now_ms)?;
        tx.commit()?;
        Ok(id)
    }

    /// Replaces a manual trade's executions, keeping its id (the first row is
    /// updated in place, the rest replaced).
    pub fn replace_manual(
        &self,
        id: i64,
        prefix: &str,
        execs: &[Execution],
        notes: &TradeNotes,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM journal_executions WHERE broker = 'manual' AND id <> ?1
             AND substr(fingerprint, 1, length(?2) + 1) = ?2 || '#'",
            params![id, prefix],
        )?;
        for (i, e) in execs.iter().enumerate() {
            if i == 0 {
                tx.execute(
                    "UPDATE journal_executions SET account = ?2, fingerprint = ?3, time_ms = ?4, execution = ?5 WHERE id = ?1",
                    params![id, e.account, e.fingerprint, e.time.timestamp_millis(), to_json(e)?],
                )?;
            } else {
                insert_execution(&tx, e, None)?;
            }
        }
        upsert_notes(&tx, id, notes, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Removes trades' executions and notes in one transaction.
    pub fn delete_trades(
        &self,
        trade_ids: &[i64],
        execution_ids: &[i64],
    ) -> Result<(), StoreError> {
        let mut conn = self.write();
        let tx = conn.transaction()?;
        for e in execution_ids {
            tx.execute("DELETE FROM journal_executions WHERE id = ?1", params![e])?;
        }
        // Notes under a trade's id, or under one of its fills (kept from when
        // that fill was the trade's first).
        for id in trade_ids.iter().chain(execution_ids) {
            tx.execute(
                "DELETE FROM journal_trade_notes WHERE trade_id = ?1",
                params![id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn to_json(e: &Execution) -> Result<String, StoreError> {
    serde_json::to_string(e)
        .map_err(|err| StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(err))))
}

fn insert_execution(
    tx: &rusqlite::Transaction<'_>,
    e: &Execution,
    import_id: Option<i64>,
) -> Result<usize, StoreError> {
    Ok(tx.execute(
        "INSERT OR IGNORE INTO journal_executions (broker, account, fingerprint, time_ms, execution, import_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            e.broker.as_str(),
            e.account,
            e.fingerprint,
            e.time.timestamp_millis(),
            to_json(e)?,
            import_id
        ],
    )?)
}

fn upsert_notes(
    tx: &rusqlite::Transaction<'_>,
    trade_id: i64,
    n: &TradeNotes,
    now_ms: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO journal_trade_notes (trade_id, notes, tags, setup, risk, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (trade_id) DO UPDATE SET notes = ?2, tags = ?3, setup = ?4, risk = ?5, updated_ms = ?6",
        params![
            trade_id,
            n.notes,
            serde_json::to_string(&n.tags).unwrap_or_else(|_| "[]".into()),
            n.setup,
            n.risk,
            now_ms
        ],
    )?;
    Ok(())
}
