//! Telemetry end to end, in its own process (it installs the global subscriber):
//! the rolling log file, request-id spans, Sentry events delivered to a real
//! HTTP server on loopback, and secrets kept out of all of them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use coach_engine::config::EnvOverrides;
use coach_engine::ipc::UiErrorReport;
use coach_engine::secrets::{Secret, SecretStore};
use coach_engine::telemetry::{init, next_request_id, TelemetryOptions};
use coach_engine::{Engine, EngineOptions};
use coach_sim::{SimConfig, SimHandle};

const MASSIVE_KEY: &str = "mk-TOP-SECRET-0123456789";

/// A Sentry ingest endpoint that keeps every envelope it receives.
async fn fake_sentry() -> (String, Arc<Mutex<Vec<String>>>) {
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let store = got.clone();
    let app = axum::Router::new().route(
        "/api/{project}/envelope/",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://publickey@{addr}/42"), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_sentry_receive_errors_with_request_ids_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    let (dsn, envelopes) = fake_sentry().await;
    let guard = init(TelemetryOptions {
        data_dir: Some(data_dir.clone()),
        sentry_dsn: Some(Secret::new(dsn)),
        stderr: false,
        default_filter: "info".into(),
        program: "coach-test",
    });
    assert!(guard.sentry_enabled, "a DSN turns Sentry on");

    // A Massive set-up whose key is rejected: the failure path is where keys leak, if anywhere.
    let sim = SimHandle::start(SimConfig {
        required_key: Some("another".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let (rest, ws) = (sim.rest_url(), sim.ws_url());
    let env = EnvOverrides::from_lookup(move |k| match k {
        "MASSIVE_API_KEY" => Some(MASSIVE_KEY.into()),
        "MASSIVE_REST_URL" => Some(rest.clone()),
        "MASSIVE_WS_URL" => Some(ws.clone()),
        _ => None,
    });
    let engine = Engine::start(EngineOptions {
        secrets: Arc::new(SecretStore::file(&data_dir, "tests".into())),
        data_dir: data_dir.clone(),
        env,
        settings: Default::default(),
        settings_issues: vec![],
        provider_override: None,
        demo_seed: 1,
        demo_clock: None,
        lazy_market: false,
        log_dir: guard.log_dir.clone(),
    })
    .await
    .unwrap();
    let request_id = next_request_id();
    {
        let span = tracing::info_span!("ipc", request_id);
        let _e = span.enter();
        engine.report_ui_error(UiErrorReport {
            kind: "error".into(),
            message: "chart exploded: RangeError".into(),
            source: Some("main.ts".into()),
            line: Some(12),
            column: Some(3),
            stack: None,
        });
        let _ = engine.doctor().await;
    }
    drop(engine);
    // Dropping the guard flushes the log writer and Sentry's transport.
    let log_dir = guard
        .log_dir
        .clone()
        .expect("a log dir inside the data dir");
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();

    let log = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(
        log.contains("UI error: chart exploded: RangeError"),
        "the UI error is in the log file"
    );
    assert!(
        log.contains(&format!("request_id={request_id}")),
        "log lines carry the request id of their span"
    );
    assert!(
        !log.contains(MASSIVE_KEY),
        "the Massive key never reaches the log"
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let all = envelopes.lock().unwrap().join("\n");
        if all.contains("chart exploded") {
            assert!(
                !all.contains(MASSIVE_KEY),
                "the Massive key never reaches Sentry"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Sentry never received the UI error; got: {all}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
