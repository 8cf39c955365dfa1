//! promess-card-agent: listens on 127.0.0.1 only; see the library for the API.
use clap::Parser;
use promess_card_agent::{AgentConfig, app};
use std::{net::SocketAddr, time::Duration};

#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, env = "PROMESS_AGENT_PORT", default_value_t = 8765)]
    port: u16,
    /// Origins allowed to call the agent (comma-separated): the registration app's.
    #[arg(
        long,
        env = "PROMESS_AGENT_ORIGINS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8080,http://localhost:8080"
    )]
    origins: Vec<String>,
    /// Bound on each card operation, in seconds.
    #[arg(long, env = "PROMESS_AGENT_TIMEOUT", default_value_t = 20)]
    timeout: u64,
    /// How long a card session verified by the PIN stays open for the card's signature, in minutes.
    #[arg(long, env = "PROMESS_AGENT_SESSION", default_value_t = AgentConfig::SESSION.as_secs() / 60)]
    session: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, origins = ?args.origins, "promess-card-agent listening");
    let config = AgentConfig {
        origins: args.origins,
        timeout: Duration::from_secs(args.timeout),
        session: Duration::from_secs(args.session * 60),
    };
    axum::serve(listener, app(config))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
