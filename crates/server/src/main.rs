use clap::Parser;
use promess_core::OperatorConfig;
use promess_server::{AppState, app, config::Config, db};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = Config::parse();
    let db = db::connect(&config.database_url).await?;
    let operator =
        Arc::new(OperatorConfig { domain: config.domain.clone(), mssante_domain: config.mssante_domain.clone() });
    let state = AppState { db, operator, dist: config.dist.clone() };
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    tracing::info!("ProMess Inscription on http://{}/", config.listen);
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
