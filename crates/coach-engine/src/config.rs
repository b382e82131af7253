//! Settings (what the user chose, validated), environment overrides, and the
//! configuration the engine runs with once secrets are resolved.
//!
//! Settings live in `settings.json` in the data directory: the engine reads it
//! for the app and `coach` alike and writes it atomically (ADR 0008). Both
//! hand the raw JSON object to [`Settings::from_map`], so there is one
//! validator. A bad value is reported and replaced by its default; an unknown
//! key is ignored with a warning; nothing here can crash the app.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use lettre::message::Mailbox;

use crate::secrets::Secret;

pub const DEFAULT_MASSIVE_REST_URL: &str = "https://api.massive.com";
pub const DEFAULT_MASSIVE_WS_REALTIME_URL: &str = "wss://socket.massive.com";
pub const DEFAULT_MASSIVE_WS_DELAYED_URL: &str = "wss://delayed.massive.com";
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// Which market data source to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProviderChoice {
    /// Massive when a Massive key is configured, otherwise the demo market.
    #[default]
    Auto,
    Demo,
    Massive,
}

/// Which Massive feed the account has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum MassiveFeed {
    #[default]
    Realtime,
    Delayed,
}

/// Whether the chat uses a language model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum AiChoice {
    /// A model when an OpenAI key or base URL is configured, otherwise offline.
    #[default]
    Auto,
    Offline,
}

/// The user's settings, every field valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub market_provider: ProviderChoice,
    pub massive_feed: MassiveFeed,
    /// Overrides Massive's REST host (e.g. a proxy); `None` uses the default.
    pub massive_rest_url: Option<String>,
    pub massive_ws_url: Option<String>,
    pub ai_mode: AiChoice,
    /// Any OpenAI-compatible endpoint (Ollama, llama.cpp server, vLLM).
    pub openai_base_url: Option<String>,
    pub model: String,
    /// No data for this long while the market is open marks the feed stale.
    pub stale_after_secs: u32,
    /// Seconds between REST reconciliation passes over live bars; 0 turns them off.
    pub reconcile_every_secs: u32,
    /// Feature flag AI_COACH_CHART_LIVE_UPDATES: patch the chart from the
    /// socket (on), or refresh it over REST every 15 s (off, the rollback path).
    pub chart_live_updates: bool,
    /// Tool results and cards stream as each tool finishes (off: they arrive
    /// with the end of the answer). Env AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS wins.
    pub stream_progressive_functions: bool,
    /// How long the chat waits for the model's first byte, and between chunks.
    pub chat_timeout_secs: u32,
    /// The zone of journal files whose times carry none (IANA name).
    pub journal_import_tz: String,
    /// The zone the journal shows times, days and hours in (IANA name).
    pub journal_display_tz: String,
    /// Fired alerts also show as OS notifications.
    pub alert_os_notifications: bool,
    /// Fired alerts are POSTed here as JSON (Discord, Telegram, a bot of one's own).
    pub alert_webhook_url: Option<String>,
    /// Fired alerts are emailed through this SMTP account (its password is
    /// the `smtp_password` secret).
    pub alert_email: Option<EmailTarget>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text (a local relay, tests).
    None,
    /// Plain text upgraded with STARTTLS (usually port 587); refused if the server cannot.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where alert emails go. The password is kept with the secrets, not here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EmailTarget {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Log in with this name (and the stored password); `None` sends without logging in.
    pub username: Option<String>,
    /// The sender, `alerts@example.com` or `AI Coach <alerts@example.com>`.
    pub from: String,
    pub to: Vec<String>,
}

impl EmailTarget {
    /// Checks host, port != 0, from and every to are addresses; error names
    /// the field ("smtp_host: …").
    pub fn validate(&self) -> Result<(), String> {
        check_host(&self.host).map_err(|e| format!("smtp_host: {e}"))?;
        if self.port == 0 {
            return Err(
                "smtp_port: give the server's port (587 for STARTTLS, 465 for TLS, 25 without)"
                    .into(),
            );
        }
        parse_mailbox(&self.from).map_err(|e| format!("smtp_from: {e}"))?;
        if self.to.is_empty() {
            return Err("smtp_to: give at least one address to send alerts to".into());
        }
        for to in &self.to {
            parse_mailbox(to).map_err(|e| format!("smtp_to: {e}"))?;
        }
        Ok(())
    }
}

/// A host name (`smtp.example.com`) or an IP address, not a URL.
pub(crate) fn check_host(host: &str) -> Result<(), String> {
    if host.trim().is_empty() {
        return Err("give the SMTP server's host name, such as smtp.example.com".into());
    }
    if host.contains("://") {
        return Err(format!(
            "{host:?} is a URL; give only the host name, such as smtp.example.com"
        ));
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if host.len() > 253 || !host.trim_end_matches('.').split('.').all(label_ok) {
        return Err(format!("{host:?} is not a host name"));
    }
    Ok(())
}

pub(crate) fn parse_mailbox(address: &str) -> Result<Mailbox, String> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("{address:?} is not an email address ({e})"))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            market_provider: ProviderChoice::Auto,
            massive_feed: MassiveFeed::Realtime,
            massive_rest_url: None,
            massive_ws_url: None,
            ai_mode: AiChoice::Auto,
            openai_base_url: None,
            model: DEFAULT_MODEL.to_string(),
            stale_after_secs: 30,
            reconcile_every_secs: 300,
            chart_live_updates: true,
            stream_progressive_functions: true,
            chat_timeout_secs: 60,
            journal_import_tz: "America/New_York".to_string(),
            journal_display_tz: "America/New_York".to_string(),
            alert_os_notifications: true,
            alert_webhook_url: None,
            alert_email: None,
        }
    }
}

/// A setting that could not be used as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsIssue {
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for SettingsIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

pub const SETTING_KEYS: [&str; 17] = [
    "market_provider",
    "massive_feed",
    "massive_rest_url",
    "massive_ws_url",
    "ai_mode",
    "openai_base_url",
    "model",
    "stale_after_secs",
    "reconcile_every_secs",
    "chart_live_updates",
    "stream_progressive_functions",
    "chat_timeout_secs",
    "journal_import_tz",
    "journal_display_tz",
    "alert_os_notifications",
    "alert_webhook_url",
    "alert_email",
];

impl Settings {
    /// Builds settings from a stored JSON object. Never fails: each bad value
    /// becomes an issue and keeps its default; unknown keys are reported and ignored.
    pub fn from_map(map: &Map<String, Value>) -> (Settings, Vec<SettingsIssue>) {
        let mut settings = Settings::default();
        let mut issues = Vec::new();
        for (key, value) in map {
            if let Err(message) = settings.apply(key, value) {
                issues.push(SettingsIssue {
                    key: key.clone(),
                    message,
                });
            }
        }
        (settings, issues)
    }

    /// Applies a patch all-or-nothing: the first bad value rejects the whole patch,
    /// so a save never half-happens.
    pub fn patched(&self, patch: &Map<String, Value>) -> Result<Settings, Vec<SettingsIssue>> {
        let mut next = self.clone();
        let issues: Vec<SettingsIssue> = patch
            .iter()
            .filter_map(|(key, value)| {
                next.apply(key, value).err().map(|message| SettingsIssue {
                    key: key.clone(),
                    message,
                })
            })
            .collect();
        if issues.is_empty() {
            Ok(next)
        } else {
            Err(issues)
        }
    }

    /// The settings as the JSON object that is stored.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    fn apply(&mut self, key: &str, value: &Value) -> Result<(), String> {
        match key {
            "market_provider" => self.market_provider = enum_value(value, "auto, demo or massive")?,
            "massive_feed" => self.massive_feed = enum_value(value, "realtime or delayed")?,
            "ai_mode" => self.ai_mode = enum_value(value, "auto or offline")?,
            "massive_rest_url" => self.massive_rest_url = url_value(value, &["http", "https"])?,
            "massive_ws_url" => self.massive_ws_url = url_value(value, &["ws", "wss"])?,
            "openai_base_url" => self.openai_base_url = url_value(value, &["http", "https"])?,
            "model" => {
                let model = value
                    .as_str()
                    .map(str::trim)
                    .filter(|m| !m.is_empty() && m.len() <= 200)
                    .ok_or("must be a model name such as gpt-4o-mini or llama3.1")?;
                self.model = model.to_string();
            }
            "stale_after_secs" => {
                let secs = value
                    .as_u64()
                    .filter(|s| (5..=3600).contains(s))
                    .ok_or("must be a whole number of seconds from 5 to 3600")?;
                self.stale_after_secs = secs as u32;
            }
            "reconcile_every_secs" => {
                let secs = value
                    .as_u64()
                    .filter(|s| *s == 0 || (10..=86_400).contains(s))
                    .ok_or("must be 0 (off) or a whole number of seconds from 10 to 86400")?;
                self.reconcile_every_secs = secs as u32;
            }
            "chart_live_updates" => {
                self.chart_live_updates = value.as_bool().ok_or("must be true or false")?;
            }
            "stream_progressive_functions" => {
                self.stream_progressive_functions =
                    value.as_bool().ok_or("must be true or false")?;
            }
            "chat_timeout_secs" => {
                let secs = value
                    .as_u64()
                    .filter(|s| (5..=600).contains(s))
                    .ok_or("must be a whole number of seconds from 5 to 600")?;
                self.chat_timeout_secs = secs as u32;
            }
            "journal_import_tz" => self.journal_import_tz = zone_value(value)?,
            "journal_display_tz" => self.journal_display_tz = zone_value(value)?,
            "alert_os_notifications" => {
                self.alert_os_notifications = value.as_bool().ok_or("must be true or false")?;
            }
            "alert_webhook_url" => self.alert_webhook_url = url_value(value, &["http", "https"])?,
            "alert_email" => {
                self.alert_email = match value {
                    Value::Null => None,
                    v => {
                        let t: EmailTarget = serde_json::from_value(v.clone()).map_err(|e| {
                            format!("must be null or {{host, port, security, username, from, to}} ({e})")
                        })?;
                        t.validate()?;
                        Some(t)
                    }
                }
            }
            _ => return Err("unknown setting, ignored".to_string()),
        }
        Ok(())
    }
}

/// An IANA time-zone name such as America/New_York or Europe/London.
fn zone_value(value: &Value) -> Result<String, String> {
    let name = value
        .as_str()
        .map(str::trim)
        .ok_or("must be a time-zone name such as America/New_York")?;
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| {
            format!(
                "{name:?} is not a time zone: use a name such as America/New_York or Europe/London"
            )
        })
}

impl Settings {
    /// The journal's import zone (always valid: checked when set).
    pub fn import_tz(&self) -> chrono_tz::Tz {
        self.journal_import_tz
            .parse()
            .unwrap_or(chrono_tz::America::New_York)
    }

    /// The journal's display zone.
    pub fn display_tz(&self) -> chrono_tz::Tz {
        self.journal_display_tz
            .parse()
            .unwrap_or(chrono_tz::America::New_York)
    }
}

fn enum_value<T: serde::de::DeserializeOwned>(value: &Value, choices: &str) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|_| format!("must be {choices}, not {value}"))
}

/// `null` or `""` clears an override; anything else must be an absolute URL
/// with one of the allowed schemes.
fn url_value(value: &Value, schemes: &[&str]) -> Result<Option<String>, String> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim(),
        other => return Err(format!("must be a URL string, not {other}")),
    };
    let parsed = url::Url::parse(text).map_err(|e| format!("{text:?} is not a valid URL ({e})"))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(format!(
            "{text:?} must start with {}",
            schemes
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    Ok(Some(text.trim_end_matches('/').to_string()))
}

/// Environment variables that override settings and stored secrets.
#[derive(Debug, Clone, Default)]
pub struct EnvOverrides {
    pub massive_api_key: Option<Secret>,
    pub massive_rest_url: Option<String>,
    pub massive_ws_url: Option<String>,
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: Option<String>,
    pub model: Option<String>,
    pub sentry_dsn: Option<Secret>,
    pub data_dir: Option<std::path::PathBuf>,
    /// COACH_DEMO_START (RFC 3339): the demo market replays from this instant
    /// (QA and screenshots get the same market every run).
    pub demo_start: Option<String>,
    /// COACH_DEMO_SPEED: simulated seconds per real second for that replay.
    pub demo_speed: Option<String>,
    /// AI_COACH_CHART_LIVE_UPDATES (1/true/on or 0/false/off): wins over the setting.
    pub chart_live_updates: Option<bool>,
    /// AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS
    pub stream_progressive_functions: Option<bool>,
    /// COACH_CHAT_TIMEOUT_SECS
    pub chat_timeout_secs: Option<u32>,
    /// COACH_SMTP_PASSWORD: the alert email account's password.
    pub smtp_password: Option<Secret>,
    /// COACH_ALERT_RETRY_BASE_MS: the first retry of a failed alert delivery
    /// waits this long (then ×4 each time); 5 s when unset.
    pub alert_retry_base_ms: Option<u64>,
}

impl EnvOverrides {
    pub fn from_env() -> EnvOverrides {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads through `lookup` so tests never touch the process environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> EnvOverrides {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        EnvOverrides {
            massive_api_key: get("MASSIVE_API_KEY").map(Secret::new),
            massive_rest_url: get("MASSIVE_REST_URL"),
            massive_ws_url: get("MASSIVE_WS_URL"),
            openai_api_key: get("OPENAI_API_KEY").map(Secret::new),
            openai_base_url: get("OPENAI_BASE_URL"),
            model: get("COACH_MODEL"),
            sentry_dsn: get("SENTRY_DSN").map(Secret::new),
            data_dir: get("COACH_DATA_DIR").map(std::path::PathBuf::from),
            demo_start: get("COACH_DEMO_START"),
            demo_speed: get("COACH_DEMO_SPEED"),
            chart_live_updates: get("AI_COACH_CHART_LIVE_UPDATES").and_then(|v| flag(&v)),
            stream_progressive_functions: get("AI_COACH_STREAM_PROGRESSIVE_FUNCTIONS")
                .and_then(|v| flag(&v)),
            chat_timeout_secs: get("COACH_CHAT_TIMEOUT_SECS")
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|s| (1..=600).contains(s)),
            smtp_password: get("COACH_SMTP_PASSWORD").map(Secret::new),
            alert_retry_base_ms: get("COACH_ALERT_RETRY_BASE_MS")
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|ms| (1..=3_600_000).contains(ms)),
        }
    }
}

/// A feature flag's value from the environment; anything else is ignored (and logged).
fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        other => {
            tracing::warn!(value = other, "a feature flag must be on or off; ignored");
            None
        }
    }
}

/// What the status bar says about market data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MarketMode {
    Demo,
    MassiveRealtime,
    MassiveDelayed,
}

impl MarketMode {
    pub fn label(self) -> &'static str {
        match self {
            MarketMode::Demo => "Demo market",
            MarketMode::MassiveRealtime => "Massive real-time",
            MarketMode::MassiveDelayed => "Massive delayed",
        }
    }
}

/// Resolved market configuration. For the demo market the URLs are filled in
/// once the in-process simulator has a port.
#[derive(Debug, Clone)]
pub struct MarketConfig {
    pub mode: MarketMode,
    pub rest_url: String,
    pub ws_url: String,
    pub api_key: Option<Secret>,
    pub stale_after_secs: u32,
}

/// Resolved chat configuration.
#[derive(Debug, Clone)]
pub enum AiConfig {
    Offline {
        reason: String,
    },
    Model {
        base_url: String,
        model: String,
        api_key: Option<Secret>,
    },
}

impl AiConfig {
    pub fn label(&self) -> String {
        match self {
            AiConfig::Offline { .. } => "Offline coach".to_string(),
            AiConfig::Model { model, .. } => model.clone(),
        }
    }
}

/// Secrets as found (env first, then the keychain or its fallback).
#[derive(Debug, Clone, Default)]
pub struct ResolvedSecrets {
    pub massive_api_key: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub sentry_dsn: Option<Secret>,
    pub smtp_password: Option<Secret>,
}

pub fn resolve_market(
    settings: &Settings,
    env: &EnvOverrides,
    secrets: &ResolvedSecrets,
    provider_override: Option<ProviderChoice>,
) -> MarketConfig {
    let key = env
        .massive_api_key
        .clone()
        .or_else(|| secrets.massive_api_key.clone());
    let choice = provider_override.unwrap_or(settings.market_provider);
    let use_massive = match choice {
        ProviderChoice::Demo => false,
        ProviderChoice::Massive => true,
        ProviderChoice::Auto => key.is_some(),
    };
    if !use_massive {
        return MarketConfig {
            mode: MarketMode::Demo,
            rest_url: String::new(),
            ws_url: String::new(),
            api_key: None,
            stale_after_secs: settings.stale_after_secs,
        };
    }
    let (mode, default_ws) = match settings.massive_feed {
        MassiveFeed::Realtime => (MarketMode::MassiveRealtime, DEFAULT_MASSIVE_WS_REALTIME_URL),
        MassiveFeed::Delayed => (MarketMode::MassiveDelayed, DEFAULT_MASSIVE_WS_DELAYED_URL),
    };
    MarketConfig {
        mode,
        rest_url: env
            .massive_rest_url
            .clone()
            .or_else(|| settings.massive_rest_url.clone())
            .unwrap_or_else(|| DEFAULT_MASSIVE_REST_URL.to_string()),
        ws_url: env
            .massive_ws_url
            .clone()
            .or_else(|| settings.massive_ws_url.clone())
            .unwrap_or_else(|| default_ws.to_string()),
        api_key: key,
        stale_after_secs: settings.stale_after_secs,
    }
}

pub fn resolve_ai(settings: &Settings, env: &EnvOverrides, secrets: &ResolvedSecrets) -> AiConfig {
    let key = env
        .openai_api_key
        .clone()
        .or_else(|| secrets.openai_api_key.clone());
    let base_url = env
        .openai_base_url
        .clone()
        .or_else(|| settings.openai_base_url.clone());
    if settings.ai_mode == AiChoice::Offline {
        return AiConfig::Offline {
            reason: "offline coach chosen in settings".into(),
        };
    }
    if key.is_none() && base_url.is_none() {
        return AiConfig::Offline {
            reason: "no OpenAI key or OpenAI-compatible base URL is configured".into(),
        };
    }
    AiConfig::Model {
        base_url: base_url.unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_string()),
        model: env.model.clone().unwrap_or_else(|| settings.model.clone()),
        api_key: key,
    }
}

/// A client for an OpenAI-compatible server (the chat's and the screenshot
/// reader's): its base URL, the key when there is one, a 10 s connect
/// timeout and the app's user agent. Each caller bounds its own requests.
pub fn openai_client(
    base_url: &str,
    api_key: Option<&str>,
) -> async_openai::Client<async_openai::config::OpenAIConfig> {
    let mut cfg =
        async_openai::config::OpenAIConfig::new().with_api_base(base_url.trim_end_matches('/'));
    if let Some(k) = api_key {
        cfg = cfg.with_api_key(k);
    }
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("ai-coach/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    async_openai::Client::with_config(cfg).with_http_client(http)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bad_values_are_reported_and_keep_their_defaults() {
        let (s, issues) = Settings::from_map(&map(json!({
            "massive_feed": "delayed",
            "stale_after_secs": -4,
            "massive_ws_url": "http://not-a-socket",
            "colour": "blue"
        })));
        assert_eq!(
            s.massive_feed,
            MassiveFeed::Delayed,
            "the valid value is applied"
        );
        assert_eq!(s.stale_after_secs, 30, "the bad value keeps the default");
        assert_eq!(s.massive_ws_url, None);
        let keys: Vec<&str> = issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["stale_after_secs", "massive_ws_url", "colour"],
            "one issue per bad key, in the order the file has them"
        );
        assert!(
            issues[2].message.contains("unknown setting"),
            "{}",
            issues[0]
        );
        assert!(
            issues[1].message.contains("ws://"),
            "the message says what is expected: {}",
            issues[1]
        );
    }

    #[test]
    fn a_patch_with_one_bad_value_changes_nothing() {
        let s = Settings::default();
        let err = s
            .patched(&map(json!({"model": "llama3.1", "stale_after_secs": 1})))
            .unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].key, "stale_after_secs");
        let ok = s
            .patched(&map(
                json!({"model": " llama3.1 ", "openai_base_url": "http://127.0.0.1:11434/v1/"}),
            ))
            .unwrap();
        assert_eq!(ok.model, "llama3.1", "names are trimmed");
        assert_eq!(
            ok.openai_base_url.as_deref(),
            Some("http://127.0.0.1:11434/v1"),
            "a trailing slash is dropped"
        );
    }

    #[test]
    fn settings_round_trip_through_the_stored_map() {
        let s = Settings {
            massive_feed: MassiveFeed::Delayed,
            model: "m".into(),
            ..Settings::default()
        };
        let (back, issues) = Settings::from_map(&s.to_map());
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(back, s);
    }

    #[test]
    fn with_no_keys_everything_is_demo_and_offline() {
        let env = EnvOverrides::from_lookup(|_| None);
        let m = resolve_market(
            &Settings::default(),
            &env,
            &ResolvedSecrets::default(),
            None,
        );
        assert_eq!(m.mode, MarketMode::Demo);
        let ai = resolve_ai(&Settings::default(), &env, &ResolvedSecrets::default());
        assert_eq!(ai.label(), "Offline coach");
    }

    #[test]
    fn env_keys_switch_to_the_real_services_and_env_urls_win() {
        let env = EnvOverrides::from_lookup(|k| match k {
            "MASSIVE_API_KEY" => Some("k".into()),
            "MASSIVE_WS_URL" => Some("ws://127.0.0.1:9".into()),
            "OPENAI_BASE_URL" => Some("http://127.0.0.1:11434/v1".into()),
            "COACH_MODEL" => Some("llama3.1".into()),
            _ => None,
        });
        let settings = Settings {
            massive_feed: MassiveFeed::Delayed,
            massive_ws_url: Some("wss://settings.example".into()),
            ..Settings::default()
        };
        let m = resolve_market(&settings, &env, &ResolvedSecrets::default(), None);
        assert_eq!(m.mode, MarketMode::MassiveDelayed);
        assert_eq!(
            m.ws_url, "ws://127.0.0.1:9",
            "the env var beats the setting"
        );
        assert_eq!(m.rest_url, DEFAULT_MASSIVE_REST_URL);
        let ai = resolve_ai(&settings, &env, &ResolvedSecrets::default());
        assert_eq!(
            ai.label(),
            "llama3.1",
            "a base URL alone (e.g. Ollama) enables the model"
        );
        let forced = resolve_market(
            &settings,
            &env,
            &ResolvedSecrets::default(),
            Some(ProviderChoice::Demo),
        );
        assert_eq!(
            forced.mode,
            MarketMode::Demo,
            "--provider demo wins over a configured key"
        );
    }

    #[test]
    fn empty_env_values_count_as_unset() {
        let env = EnvOverrides::from_lookup(|k| (k == "MASSIVE_API_KEY").then(|| "  ".to_string()));
        assert!(env.massive_api_key.is_none());
    }

    #[test]
    fn the_chart_live_updates_flag_reads_on_and_off_words_and_ignores_others() {
        let read = |v: &'static str| {
            EnvOverrides::from_lookup(move |k| {
                (k == "AI_COACH_CHART_LIVE_UPDATES").then(|| v.to_string())
            })
            .chart_live_updates
        };
        assert_eq!(read("0"), Some(false));
        assert_eq!(read("OFF"), Some(false));
        assert_eq!(read("true"), Some(true));
        assert_eq!(
            read("maybe"),
            None,
            "an unreadable value leaves the setting in charge"
        );
        let (s, issues) = Settings::from_map(&map(json!({"chart_live_updates": "no"})));
        assert!(
            s.chart_live_updates,
            "a bad stored value keeps the default (on)"
        );
        assert_eq!(issues[0].key, "chart_live_updates");
        let (s, _) = Settings::from_map(&map(json!({"chart_live_updates": false})));
        assert!(!s.chart_live_updates);
    }
}
