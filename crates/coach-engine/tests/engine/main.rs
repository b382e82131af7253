//! The Engine through its public surface and its event stream, against real
//! servers on loopback: coach-sim for Massive, a scripted OpenAI-compatible
//! server for the model. No mocks inside the engine.

use std::time::Duration;

use coach_engine::config::ProviderChoice;
use coach_engine::error_code::{Coded, ErrorCode};
use coach_engine::market::{ConnectionState, ConnectionStatus};
use coach_engine::secrets::SecretName;
use coach_engine::{Engine, EngineOptions};
use coach_sim::{SimConfig, SimHandle};
use coach_testkit::EngineKit;
use serde_json::{json, Map, Value};
use tokio::sync::watch;

mod alert_delivery;
mod alerts;
mod chart;
mod chat;
mod journal;
mod market;
mod options;
mod screenshot_checks;
mod screenshot_fixtures;
mod screenshots;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn options(
        &self,
        vars: Vec<(String, String)>,
        settings: Value,
        provider: Option<ProviderChoice>,
    ) -> EngineOptions {
        let mut kit = EngineKit::new(self.dir.path()).seed(7).settings(settings);
        for (k, v) in vars {
            kit = kit.env(&k, v);
        }
        if let Some(p) = provider {
            kit = kit.provider(p);
        }
        kit.options()
    }
}

/// Environment variables as the engine would read them.
fn env_from(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Waits for the connection to reach `want`, collecting every state seen on the way.
async fn wait_for_state(
    rx: &mut watch::Receiver<ConnectionStatus>,
    want: ConnectionState,
) -> Vec<ConnectionState> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let s = rx.borrow_and_update().state;
            if seen.last() != Some(&s) {
                seen.push(s);
            }
            if s == want {
                return;
            }
            rx.changed().await.expect("the link keeps publishing");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {want:?} within 10 s; saw {seen:?}"));
    seen
}

#[tokio::test]
async fn with_no_keys_the_engine_runs_on_the_demo_market_and_goes_live() {
    let env = Env::new();
    let engine = Engine::start(env.options(env_from(&[]), json!({}), None))
        .await
        .unwrap();
    let status = engine.status();
    assert_eq!(status.market_label, "Demo market");
    assert_eq!(status.ai_label, "Offline coach");
    assert!(status.ai_offline);
    assert_eq!(
        status.schema_version,
        coach_engine::store::supported_schema_version()
    );
    assert!(
        engine.demo_market().is_some(),
        "the demo market runs in-process"
    );
    let mut rx = engine.market().watch_connection();
    let seen = wait_for_state(&mut rx, ConnectionState::Live).await;
    assert_eq!(
        seen.first(),
        Some(&ConnectionState::Connecting),
        "it starts by connecting: {seen:?}"
    );
}

#[tokio::test]
async fn a_dropped_socket_is_reported_then_recovered() {
    let env = Env::new();
    let engine = Engine::start(env.options(env_from(&[]), json!({}), None))
        .await
        .unwrap();
    let mut rx = engine.market().watch_connection();
    wait_for_state(&mut rx, ConnectionState::Live).await;
    engine.demo_market().unwrap().drop_connections();
    let seen = wait_for_state(&mut rx, ConnectionState::Reconnecting).await;
    assert!(seen.contains(&ConnectionState::Reconnecting));
    let detail = rx.borrow().detail.clone().unwrap_or_default();
    assert!(
        detail.contains("retrying in"),
        "the state says when the next attempt is: {detail}"
    );
    wait_for_state(&mut rx, ConnectionState::Live).await;
    assert_eq!(
        rx.borrow().attempt,
        0,
        "a successful reconnect resets the attempt count"
    );
}

/// An engine on Massive (delayed) whose key the provider rejects: the
/// provider, the data dir and the engine.
async fn engine_with_a_rejected_key() -> (SimHandle, Env, Engine) {
    let sim = SimHandle::start(SimConfig {
        required_key: Some("good-key".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let env = Env::new();
    let overrides = env_from(&[
        ("MASSIVE_API_KEY", "bad-key".into()),
        ("MASSIVE_REST_URL", sim.rest_url()),
        ("MASSIVE_WS_URL", sim.ws_url()),
    ]);
    let engine = Engine::start(env.options(overrides, json!({"massive_feed": "delayed"}), None))
        .await
        .unwrap();
    (sim, env, engine)
}

#[tokio::test]
async fn a_rejected_massive_key_fails_with_a_clear_reason_and_does_not_retry() {
    let (_sim, _env, engine) = engine_with_a_rejected_key().await;
    assert_eq!(engine.status().market_label, "Massive delayed");
    let mut rx = engine.market().watch_connection();
    wait_for_state(&mut rx, ConnectionState::Failed).await;
    let detail = rx.borrow().detail.clone().unwrap();
    assert!(detail.contains("rejected the API key"), "{detail}");
    let more = tokio::time::timeout(Duration::from_secs(2), rx.changed()).await;
    assert!(
        matches!(more, Ok(Err(_))),
        "after an auth failure the link stops instead of hammering Massive with a bad key"
    );
    assert!(
        !detail.contains("bad-key"),
        "the key itself never appears: {detail}"
    );
    let report = engine.doctor().await;
    let rest = report
        .endpoints
        .iter()
        .find(|e| e.name == "Market REST")
        .unwrap();
    assert!(
        !rest.ok && rest.detail.contains("rejected the API key"),
        "{rest:?}"
    );
    let serialized = serde_json::to_string(&report).unwrap();
    assert!(
        !serialized.contains("bad-key"),
        "the doctor report never carries a key"
    );
    let massive = report
        .secrets
        .iter()
        .find(|s| s.name == SecretName::MassiveApiKey)
        .unwrap();
    assert!(massive.set);
    assert_eq!(massive.source.as_deref(), Some("env"));
}

#[tokio::test]
async fn a_good_massive_key_goes_delayed_on_the_delayed_feed() {
    let sim = SimHandle::start(SimConfig {
        required_key: Some("good-key".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let env = Env::new();
    let overrides = env_from(&[
        ("MASSIVE_REST_URL", sim.rest_url()),
        ("MASSIVE_WS_URL", sim.ws_url()),
    ]);
    let opts = env.options(
        overrides,
        json!({"massive_feed": "delayed"}),
        Some(ProviderChoice::Massive),
    );
    // The key comes from the store this time, not the environment.
    opts.secrets
        .set(SecretName::MassiveApiKey, "good-key")
        .unwrap();
    let engine = Engine::start(opts).await.unwrap();
    let mut rx = engine.market().watch_connection();
    wait_for_state(&mut rx, ConnectionState::Delayed).await;
    let report = engine.doctor().await;
    assert!(
        report.endpoints.iter().all(|e| e.ok),
        "{:?}",
        report.endpoints
    );
    assert_eq!(report.secrets[0].source.as_deref(), Some("file"));
}

/// A scripted OpenAI-compatible server: `GET /v1/models` only.
async fn fake_model_server() -> String {
    let app = axum::Router::new().route(
        "/v1/models",
        axum::routing::get(|| async {
            axum::Json(json!({"object": "list", "data": [
                {"id": "llama3.1", "object": "model", "created": 1_700_000_000, "owned_by": "local"},
                {"id": "qwen2.5", "object": "model", "created": 1_700_000_000, "owned_by": "local"}
            ]}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

#[tokio::test]
async fn an_openai_compatible_base_url_turns_the_model_on_and_doctor_reaches_it() {
    let base = fake_model_server().await;
    let env = Env::new();
    let overrides = env_from(&[
        ("OPENAI_BASE_URL", base.clone()),
        ("COACH_MODEL", "llama3.1".into()),
    ]);
    let engine = Engine::start(env.options(overrides, json!({}), None))
        .await
        .unwrap();
    let status = engine.status();
    assert!(!status.ai_offline);
    assert_eq!(
        status.ai_label, "llama3.1",
        "the status bar shows the model name"
    );
    let report = engine.doctor().await;
    let model = report
        .endpoints
        .iter()
        .find(|e| e.name == "Language model")
        .expect("the model endpoint is checked");
    assert!(model.ok, "{model:?}");
    assert_eq!(model.detail, "2 models available");
}

#[tokio::test]
async fn settings_are_validated_and_unknown_keys_reported() {
    let env = Env::new();
    let engine = Engine::start(env.options(
        env_from(&[]),
        json!({"theme": "neon", "stale_after_secs": 12}),
        None,
    ))
    .await
    .unwrap();
    assert_eq!(engine.settings().stale_after_secs, 12);
    let issues = engine.status().settings_issues;
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].key, "theme");
    let mut patch = Map::new();
    patch.insert("stale_after_secs".into(), json!(0));
    let err = engine.validate_settings_patch(&patch).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("stale_after_secs"), "{err}");
}

#[tokio::test]
async fn metrics_go_to_the_database_and_bad_ones_are_refused() {
    let env = Env::new();
    let engine = Engine::start(env.options(env_from(&[]), json!({}), None))
        .await
        .unwrap();
    use coach_engine::ipc::MetricInput;
    engine
        .record_metric(MetricInput {
            name: "ui.first_paint".into(),
            value: 120.5,
            unit: "ms".into(),
        })
        .await
        .unwrap();
    let got = engine.recent_metrics("ui.first_paint", 5).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].value, 120.5);
    let bad = engine
        .record_metric(MetricInput {
            name: "x".into(),
            value: f64::NAN,
            unit: "ms".into(),
        })
        .await;
    assert!(bad.is_err(), "NaN is not a measurement");
    let m = |v: f64| MetricInput {
        name: "chart.tick_to_chart_ms".into(),
        value: v,
        unit: "ms".into(),
    };
    engine
        .record_metrics(vec![m(1.5), m(2.5), m(3.5)])
        .await
        .unwrap();
    assert_eq!(
        engine
            .recent_metrics("chart.tick_to_chart_ms", 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(engine
        .record_metrics(vec![m(4.5), m(f64::INFINITY)])
        .await
        .is_err());
    assert_eq!(
        engine
            .recent_metrics("chart.tick_to_chart_ms", 10)
            .await
            .unwrap()
            .len(),
        3,
        "a batch with a bad measurement saves none of it"
    );
}

#[tokio::test]
async fn a_corrupt_database_stops_the_start_with_a_database_error() {
    let env = Env::new();
    let opts = env.options(env_from(&[]), json!({}), None);
    std::fs::write(opts.data_dir.join("coach.db"), vec![0x42; 4096]).unwrap();
    let err = Engine::start(opts)
        .await
        .err()
        .expect("a corrupt database must not open");
    assert_eq!(err.code(), ErrorCode::Database);
    assert!(
        err.to_string().contains("moved aside"),
        "the message offers the way out: {err}"
    );
}

#[test]
fn settings_are_saved_atomically_and_keep_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(coach_engine::SETTINGS_FILE),
        r#"{"from_a_newer_version": 7, "stale_after_secs": 10}"#,
    )
    .unwrap();
    let (map, issues) = coach_engine::read_settings_file(dir.path());
    assert!(
        issues.is_empty(),
        "a good file reads without issues: {issues:?}"
    );
    let (mut settings, _) = coach_engine::config::Settings::from_map(&map);
    settings.stale_after_secs = 12;
    coach_engine::write_settings_file(dir.path(), &settings).unwrap();
    let (map, issues) = coach_engine::read_settings_file(dir.path());
    assert!(issues.is_empty());
    assert_eq!(
        map["stale_after_secs"],
        json!(12),
        "the saved value is read back"
    );
    assert_eq!(
        map["from_a_newer_version"],
        json!(7),
        "a key this version does not know survives a save"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [coach_engine::SETTINGS_FILE],
        "the temporary file was renamed over the settings, nothing is left beside it"
    );
}

#[test]
fn a_damaged_settings_file_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(coach_engine::SETTINGS_FILE);
    // What an in-place write killed half-way leaves behind.
    let truncated = br#"{"stale_after_secs": 12, "market_prov"#;
    std::fs::write(&path, truncated).unwrap();
    let (map, issues) = coach_engine::read_settings_file(dir.path());
    assert!(
        map.is_empty() && issues.len() == 1,
        "coach reports it: {issues:?}"
    );
    assert!(
        path.exists(),
        "coach only reports; it does not move the app's file"
    );
    let err = coach_engine::write_settings_file(
        dir.path(),
        &coach_engine::config::Settings::from_map(&serde_json::Map::new()).0,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("nothing was saved"),
        "a save never writes over a file it could not read: {err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        truncated,
        "the file is untouched"
    );
    let (map, issues) = coach_engine::load_settings_file(dir.path());
    assert!(map.is_empty(), "defaults are used");
    assert_eq!(issues.len(), 1);
    let message = &issues[0].message;
    assert!(
        message.contains("not valid JSON"),
        "the issue says what is wrong: {message}"
    );
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(
        kept.len(),
        1,
        "the damaged file was moved aside, not deleted"
    );
    assert!(
        message.contains(&kept[0].display().to_string()),
        "the issue names where the file was kept: {message}"
    );
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        truncated,
        "the kept file is the damaged file, byte for byte"
    );
    assert!(!path.exists(), "a later save starts a fresh file");
}

#[test]
fn a_settings_file_that_cannot_be_read_is_reported_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    // A folder where the file should be: it cannot be read, and it is not damaged.
    let path = dir.path().join(coach_engine::SETTINGS_FILE);
    std::fs::create_dir(&path).unwrap();
    let (map, issues) = coach_engine::load_settings_file(dir.path());
    assert!(map.is_empty(), "defaults are used");
    assert_eq!(issues.len(), 1, "and it is reported: {issues:?}");
    assert!(
        issues[0].message.contains("could not be read"),
        "{issues:?}"
    );
    assert!(
        path.is_dir(),
        "it stays where it is: only a damaged file moves aside"
    );
}
