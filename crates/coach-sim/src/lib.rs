//! coach-sim: a market simulator that speaks Massive's REST and WebSocket
//! protocol on a loopback port.
//!
//! It is two things at once: the built-in demo market that the app and `coach`
//! start in-process when no Massive key is configured, and the fake that tests
//! point the real Massive adapter at (with fault injection). Because it is a
//! real server on loopback, the adapter under test is exactly the code that
//! talks to Massive in production.

mod clock;
pub mod model;
pub mod options;
mod rest;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{watch, Mutex};

pub use clock::{ManualClock, SimClock};
pub use model::{MarketModel, SymbolSpec, SYMBOLS};

/// How the simulator is started.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// Seed for every random choice, so a run can be replayed.
    pub seed: u64,
    /// When set, REST calls and WebSocket `auth` must present this key
    /// (tests use it to exercise auth failure); the demo market accepts any.
    pub required_key: Option<String>,
    pub clock: SimClock,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 1,
            required_key: None,
            clock: SimClock::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("the demo market could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
}

/// Faults a test (or `coach sim`) can inject into a running simulator.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Every `auth` fails, as with a wrong key.
    pub fail_auth: bool,
    /// REST answers 429 this many more times.
    pub rest_429_remaining: u32,
    /// Sockets send nothing until this (simulated) time.
    pub stall_until_ms: Option<i64>,
}

/// One-shot faults delivered to every open socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SocketFault {
    /// Close abruptly, as a network failure looks.
    Drop,
    /// Send one frame that is not JSON.
    MalformedFrame,
    /// Send Massive's `slow_consumer` status and close.
    SlowConsumer,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub model: model::MarketModel,
    /// `http://127.0.0.1:PORT`, for absolute `next_url`s.
    pub base_url: String,
    pub faults: Mutex<Faults>,
    pub socket_faults: tokio::sync::broadcast::Sender<SocketFault>,
    /// Bumped on each new connection; Massive allows one connection per
    /// asset class, so a newer one pushes the older off with `max_connections`.
    pub connection_epoch: watch::Sender<u64>,
    /// While true, aggregate requests wait before they are answered.
    pub hold_aggregates: watch::Sender<bool>,
    /// Aggregate requests waiting on that hold now.
    pub held_requests: watch::Sender<usize>,
}

/// A running simulator; dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SimHandle {
    /// Starts the simulator on 127.0.0.1. Must be called inside a tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let port = config.port;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| SimError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SimError::Bind { port, source })?;
        let model = model::MarketModel::new(config.seed);
        let shared = Arc::new(Shared {
            config,
            model,
            base_url: format!("http://{addr}"),
            faults: Mutex::new(Faults::default()),
            socket_faults: tokio::sync::broadcast::channel(16).0,
            connection_epoch: watch::channel(0).0,
            hold_aggregates: watch::channel(false).0,
            held_requests: watch::channel(0).0,
        });
        let app = rest::router(shared.clone()).merge(ws::router(shared.clone()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "demo market server stopped with an error");
            }
        });
        tracing::info!(%addr, "demo market listening");
        Ok(SimHandle {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for REST, as `MASSIVE_REST_URL` would be.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Base URL for the WebSocket, as `MASSIVE_WS_URL` would be
    /// (the asset class path such as `/stocks` is appended by the client).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Fault injection: close every open WebSocket connection now.
    pub fn drop_connections(&self) {
        let _ = self.shared.socket_faults.send(SocketFault::Drop);
    }

    /// Fault injection: every open socket sends one frame that is not JSON.
    pub fn send_malformed_frame(&self) {
        let _ = self.shared.socket_faults.send(SocketFault::MalformedFrame);
    }

    /// Fault injection: Massive's slow-consumer disconnect.
    pub fn slow_consumer_disconnect(&self) {
        let _ = self.shared.socket_faults.send(SocketFault::SlowConsumer);
    }

    /// Fault injection: sockets stay open but send nothing for `by` of simulated time.
    pub async fn stall(&self, by: chrono::Duration) {
        let until = self.shared.config.clock.now() + by;
        self.shared.faults.lock().await.stall_until_ms = Some(until.timestamp_millis());
    }

    /// The simulator's current time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.config.clock.now()
    }

    pub fn clock(&self) -> &SimClock {
        &self.shared.config.clock
    }

    /// The price model (for tests that compare the stream with history).
    pub fn model(&self) -> &model::MarketModel {
        &self.shared.model
    }

    /// Fault injection: make `auth` fail (or succeed again).
    pub async fn set_fail_auth(&self, fail: bool) {
        self.shared.faults.lock().await.fail_auth = fail;
    }

    /// Fault injection: while `hold` is true, REST aggregate requests (history,
    /// backfill) wait unanswered; setting it false answers them.
    pub fn hold_aggregates(&self, hold: bool) {
        self.shared.hold_aggregates.send_replace(hold);
    }

    /// How many aggregate requests are waiting on [`SimHandle::hold_aggregates`].
    pub fn held_requests(&self) -> watch::Receiver<usize> {
        self.shared.held_requests.subscribe()
    }

    /// Fault injection: answer the next `n` REST calls with 429 Too Many Requests.
    pub async fn fail_rest_with_429(&self, n: u32) {
        self.shared.faults.lock().await.rest_429_remaining = n;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.drop_connections();
    }
}

impl Shared {
    pub(crate) fn key_ok(&self, presented: Option<&str>) -> bool {
        match &self.config.required_key {
            None => true,
            Some(k) => presented == Some(k.as_str()),
        }
    }
}
