use clap::Parser;
use promess_core::OperatorConfig;
use promess_server::{
    AppState, app,
    card_proof::CardTrust,
    config::{Command, Config},
    db,
};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = Config::parse();
    let db = db::connect(&config.database_url).await?;
    if let Some(Command::Outbox) = config.command {
        for p in promess_server::outbox::pending(&db).await? {
            let state = if p.dead_at.is_some() { "DEAD" } else { "waiting" };
            let error = p.last_error.unwrap_or_default();
            println!("{state}\t{}\t{}\t{} attempts\t{}\t{error}", p.id, p.recipient, p.attempts, p.subject);
        }
        return Ok(());
    }
    let operator =
        Arc::new(OperatorConfig { domain: config.domain.clone(), mssante_domain: config.mssante_domain.clone() });
    let mailer = promess_server::outbox::Mailer::from_url(&config.mail)?;
    let from = config.mail_from.parse()?;
    promess_server::outbox::spawn_worker(db.clone(), mailer, from, std::time::Duration::from_secs(2));
    let webmail = config.webmail.clone().into();
    // Bound first: with port 0 the system picks a free one, and the origins and the log say which.
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let listen = listener.local_addr()?;
    let origins = if config.origins.is_empty() {
        // The server's own pages, and `trunk serve` on 8081, which proxies /api here.
        let mut origins = vec![format!("http://{listen}"), format!("http://localhost:{}", listen.port())];
        origins.extend(["http://127.0.0.1:8081".to_owned(), "http://localhost:8081".to_owned()]);
        origins
    } else {
        config.origins.clone()
    };
    let card_trust = match &config.card_trust {
        Some(path) => Some(Arc::new(CardTrust::load(path, config.card_crl.clone())?)),
        None => {
            tracing::warn!("PROMESS_CARD_TRUST is not set: registrations with the CPS card are refused");
            None
        }
    };
    let state = AppState {
        operator,
        webmail,
        card_trust,
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        ..AppState::new(db, config.dist.clone(), origins, config.rate_limit)
    };
    tracing::info!("ProMess Inscription on http://{listen}/");
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(promess_server::shutdown_signal())
        .await?;
    Ok(())
}
