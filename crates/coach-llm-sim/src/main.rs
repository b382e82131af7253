//! `coach-llm-sim`: the scripted OpenAI-compatible server as a program, for the
//! end-to-end tests (the app is pointed at it with OPENAI_BASE_URL).
//!
//! ```text
//! coach-llm-sim [--port N] [--auto-delay-ms MS] [--script FILE.json]
//! ```
//! The script is a JSON array of replies, used in order; then every request
//! gets an automatic reply. A reply is one of
//! `{"text": "...", "pieces": 5}`, `{"tool_calls": [{"id","name","arguments"}], "pieces": 4}`,
//! `{"status": 429, "message": "..."}`, `{"sse_file": "path.sse"}`, `{"auto": true}` (its
//! `first_delay_ms` is the wait before the automatic answer's first fragment),
//! `{"json_content": "..."}` (a non-streamed `chat.completion` whose message
//! content is that text, e.g. a vision answer's JSON) or `{"json_body": {...}}` (a
//! whole non-streamed answer as given), each with optional `"first_delay_ms"`,
//! `"delay_ms"` and `"drop_after"`. A request without `"stream": true` gets JSON
//! (a scripted stream put together); a JSON reply to a streaming request is streamed.
//! Prints `listening <base url>` once ready.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use coach_llm_sim::{LlmSim, Reply};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut port = 0u16;
    let mut script = Vec::new();
    let mut auto_delay = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().context("--port needs a number")?.parse()?,
            "--auto-delay-ms" => {
                auto_delay = Some(Duration::from_millis(
                    args.next()
                        .context("--auto-delay-ms needs a number")?
                        .parse()?,
                ))
            }
            "--script" => {
                let f = args.next().context("--script needs a file")?;
                let v: Value = serde_json::from_str(&std::fs::read_to_string(&f)?)
                    .with_context(|| format!("{f} is not JSON"))?;
                for r in v.as_array().context("the script must be a JSON array")? {
                    script.push(Reply::from_json(r).map_err(|e| anyhow!(e))?);
                }
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    let sim = LlmSim::start(script, port).await?;
    if let Some(d) = auto_delay {
        sim.set_auto_delay(d);
    }
    println!("listening {}", sim.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
