//! The engine as tests and benchmarks start it: a data directory of their
//! own, keys in a plain file (never the developer's keychain), and either the
//! demo market (optionally on a clock the test moves) or a scripted model
//! server. Real parts throughout: a real SQLite file, the simulator and the
//! model fake are real servers on loopback.

pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use coach_engine::config::{EnvOverrides, ProviderChoice};
use coach_engine::secrets::SecretStore;
use coach_engine::{Engine, EngineOptions};
use coach_llm_sim::LlmSim;
use coach_sim::{ManualClock, SimClock};
use serde_json::{Map, Value};

/// How to start one engine; every choice has the usual default.
#[derive(Clone)]
pub struct EngineKit {
    data_dir: PathBuf,
    env: Vec<(String, String)>,
    settings: Map<String, Value>,
    demo_clock: Option<SimClock>,
    seed: u64,
    lazy_market: bool,
    provider: Option<ProviderChoice>,
}

impl EngineKit {
    /// An engine whose data lives in `<dir>/data` (created), on the demo
    /// market at its usual clock, seed 1, connecting at once, offline coach.
    pub fn new(dir: &Path) -> EngineKit {
        let data_dir = dir.join("data");
        std::fs::create_dir_all(&data_dir)
            .unwrap_or_else(|e| panic!("test data dir {}: {e}", data_dir.display()));
        EngineKit {
            data_dir,
            env: Vec::new(),
            settings: Map::new(),
            demo_clock: None,
            seed: 1,
            lazy_market: false,
            provider: None,
        }
    }

    /// The demo market runs on `clock`, which the test moves.
    pub fn demo_at(mut self, clock: &ManualClock) -> EngineKit {
        self.demo_clock = Some(SimClock::Manual(clock.clone()));
        self
    }

    /// The demo market's price paths.
    pub fn seed(mut self, seed: u64) -> EngineKit {
        self.seed = seed;
        self
    }

    /// Connect the market socket only when something subscribes.
    pub fn lazy_market(mut self, lazy: bool) -> EngineKit {
        self.lazy_market = lazy;
        self
    }

    /// `--provider` as the command line gives it.
    pub fn provider(mut self, provider: ProviderChoice) -> EngineKit {
        self.provider = Some(provider);
        self
    }

    /// An environment variable as the engine would read it (nothing else of
    /// the real environment is seen).
    pub fn env(mut self, key: &str, value: impl Into<String>) -> EngineKit {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// The stored settings object (a JSON object).
    pub fn settings(mut self, settings: Value) -> EngineKit {
        self.settings = settings.as_object().cloned().unwrap_or_default();
        self
    }

    /// The coach talks to `model` (an OpenAI-compatible scripted server).
    pub fn scripted_model(self, model: &LlmSim) -> EngineKit {
        self.env("OPENAI_BASE_URL", model.base_url())
            .env("OPENAI_API_KEY", "sk-test")
            .env("COACH_MODEL", "sim-model")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The options [`EngineKit::start`] starts with (for tests of start-up itself).
    pub fn options(&self) -> EngineOptions {
        let env = self.env.clone();
        EngineOptions {
            secrets: Arc::new(SecretStore::file(&self.data_dir, "tests".into())),
            data_dir: self.data_dir.clone(),
            env: EnvOverrides::from_lookup(move |k| {
                env.iter()
                    .rev()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
            }),
            settings: self.settings.clone(),
            settings_issues: vec![],
            provider_override: self.provider,
            demo_seed: self.seed,
            demo_clock: self.demo_clock.clone(),
            lazy_market: self.lazy_market,
            log_dir: None,
        }
    }

    /// Starts the engine; a failure to start fails the test with its reason.
    pub async fn start(&self) -> Engine {
        Engine::start(self.options())
            .await
            .unwrap_or_else(|e| panic!("the engine did not start: {e}"))
    }
}
