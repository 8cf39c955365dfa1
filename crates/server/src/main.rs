use clap::Parser;
use promess_core::OperatorConfig;
use promess_core::lifecycle::{RefusalReason, Statut};
use promess_server::{
    AppState, Settings, annuaire, app,
    card_proof::CardTrust,
    config::{Annuaire, Command, Config, Demandes, LogFormat, Operateurs, Relancer},
    console::date_time,
    lifecycle, operators, outbox, provisioning,
    queue::{self, Kind, now_secs},
    store::{PoolSettings, Store, jobs},
};

/// Runs, and says what went wrong in plain words (not as a debug dump) with a failure status.
fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promess-server : {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match config.log_format {
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
        LogFormat::Text => {
            use std::io::IsTerminal;
            let colours = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            logs.with_ansi(colours).init()
        }
    }
    let pool = PoolSettings { max_connections: config.db_pool.max(1), ..PoolSettings::default() };
    let db = Store::connect_with(&config.database_url, pool).await?;
    match &config.command {
        Some(Command::Outbox { action }) => return jobs_command(&db, &[Kind::Email], action, "email(s)").await,
        Some(Command::Comptes { action }) => {
            return jobs_command(&db, &Kind::DIRECTORY, action, "changement(s) d'annuaire").await;
        }
        Some(Command::Sauvegarde { fichier }) => {
            db.backup(fichier).await?;
            println!("base copiée dans {}", fichier.display());
            return Ok(());
        }
        _ => {}
    }
    if let Some(Command::Operateurs(command)) = &config.command {
        return operateurs(&db, command).await;
    }
    if let Some(Command::Annuaire(command)) = &config.command {
        return annuaire_command(&db, command).await;
    }
    if let Some(Command::Demandes(command)) = &config.command {
        return demandes(&db, &config, command).await;
    }
    let operator = OperatorConfig { domain: config.domain.clone(), mssante_domain: config.mssante_domain.clone() };
    let mailer = outbox::Mailer::configure(&config.mail, config.mail_ca.as_deref())?;
    let every = std::time::Duration::from_secs(2);
    queue::spawn_worker(db.clone(), outbox::SendEmail { mailer, from: config.mail_from.parse()? }, every);
    lifecycle::spawn_purger(db.clone(), std::time::Duration::from_secs(60));
    let provisioner = provisioning::Provisioner {
        directory: config.directory()?,
        base_dn: config.base_dn(),
        webmail: config.webmail.clone().into(),
    };
    queue::spawn_worker(db.clone(), provisioning::PasswordWriter(provisioner.clone()), every);
    queue::spawn_worker(db.clone(), provisioning::Remover(provisioner.clone()), every);
    queue::spawn_worker(db.clone(), provisioner, every);
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
        Some(path) => Some(CardTrust::load(path, config.card_crl.clone())?),
        None => {
            tracing::warn!("PROMESS_CARD_TRUST is not set: registrations with the CPS card are refused");
            None
        }
    };
    let settings = Settings {
        operator,
        dist: config.dist.clone(),
        origins,
        trusted_proxies: config.trusted_proxies.clone(),
        rate_limit: config.rate_limit,
        refused_retention_secs: config.refused_retention_days * 86_400,
        card_trust,
        psc: config.psc()?,
    };
    if settings.psc.is_none() {
        tracing::info!("Pro Santé Connect is not configured (PROMESS_PSC_ISSUER…): the wizard does not offer it");
    }
    let state = AppState::new(settings, db);
    let reset_links = promess_server::account::life::ResetLinks { public_url: state.settings.public_url().to_owned() };
    queue::spawn_worker(state.store.clone(), reset_links, every);
    if let Some(address) = config.metrics_listen {
        let handle = promess_server::metrics::install()?;
        let metrics = tokio::net::TcpListener::bind(address).await?;
        tracing::info!("metrics on http://{}/metrics", metrics.local_addr()?);
        let router = promess_server::metrics::router(state.clone(), handle);
        tokio::spawn(async move { axum::serve(metrics, router).await });
    }
    tracing::info!("ProMess Inscription on http://{listen}/");
    let limits = promess_server::serve::Limits::default();
    promess_server::serve::serve(listener, app(state), limits, promess_server::shutdown_signal()).await?;
    Ok(())
}

/// `promess-server outbox|comptes [relancer]`: a kind of job's pending and dead, or its dead retried.
async fn jobs_command(
    db: &Store,
    kinds: &[Kind],
    action: &Option<Relancer>,
    what: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(Relancer::Relancer) = action {
        let mut n = 0;
        for kind in kinds {
            n += jobs::retry_dead(db, *kind, now_secs()).await?;
        }
        println!("{n} {what} relancé(s)");
        return Ok(());
    }
    for kind in kinds {
        for p in jobs::pending(db, *kind).await? {
            let state = if p.dead_at.is_some() { "DEAD" } else { "waiting" };
            let error = p.last_error.unwrap_or_default();
            println!("{state}\t{}\t{}\t{}\t{} attempts\t{error}", kind.key(), p.id, p.what, p.attempts);
        }
    }
    Ok(())
}

/// Who runs a terminal command, as recorded: `--par`, or the system user.
fn terminal_actor(par: &Option<String>) -> String {
    par.clone().unwrap_or_else(|| format!("terminal:{}", std::env::var("USER").unwrap_or_else(|_| "?".into())))
}

/// A secret typed twice: on the terminal without echo, or two lines of standard input (scripts, tests).
fn secret_twice(prompt: &str) -> Result<(String, String), Box<dyn std::error::Error>> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{prompt} : "))?;
        let again = rpassword::prompt_password(format!("{prompt} (à nouveau) : "))?;
        return Ok((first, again));
    }
    let mut lines = std::io::stdin().lock().lines();
    let mut next = || lines.next().transpose().map(Option::unwrap_or_default);
    Ok((next()?, next()?))
}

/// `promess-server operateurs …`.
async fn operateurs(db: &Store, command: &Operateurs) -> Result<(), Box<dyn std::error::Error>> {
    let now = now_secs();
    match command {
        Operateurs::Ajouter { login } => {
            let (password, again) = secret_twice("Mot de passe de l'opérateur")?;
            let enrolment = operators::add(db, login, &password, &again, now).await?.map_err(|e| e.message())?;
            let qr = qrcode::QrCode::new(enrolment.uri.as_bytes())?
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build();
            println!("Opérateur {login} créé. Enregistrez son second facteur dans une application d'authentification");
            println!("(FreeOTP, Aegis, Google Authenticator…) en scannant ce code, ou avec cette adresse :\n");
            println!("{qr}\n{}\n", enrolment.uri);
            println!("Connexion : /operateur, avec l'identifiant, le mot de passe et le code à 6 chiffres.");
        }
        Operateurs::Desactiver { login } => {
            if !operators::disable(db, login, now).await? {
                return Err(format!("aucun opérateur actif « {login} »").into());
            }
            println!("{login} : désactivé, ses sessions fermées");
        }
        Operateurs::Lister => {
            for o in operators::list(db).await? {
                let (login, created) = (o.login, o.cree_le);
                let state = match (o.desactive_le, o.verrouille_jusqu_a.filter(|l| *l > now)) {
                    (Some(d), _) => format!("désactivé le {}", date_time(d)),
                    (None, Some(l)) => format!("verrouillé jusqu'au {}", date_time(l)),
                    (None, None) => "actif".into(),
                };
                println!("{login}\tcréé le {}\t{state}", date_time(created));
            }
        }
    }
    Ok(())
}

/// `promess-server annuaire …`.
async fn annuaire_command(db: &Store, command: &Annuaire) -> Result<(), Box<dyn std::error::Error>> {
    let imported = match command {
        Annuaire::Importer { file, par } => {
            let started = std::time::Instant::now();
            let now = now_secs();
            let actor = terminal_actor(par);
            let imported = annuaire::import(db, file, &actor, now).await.map_err(|e| e.message())?;
            let detail =
                format!("{} : {} lignes, {} professionnels", imported.fichier, imported.lignes, imported.entrees);
            operators::audit(db.pool(), &actor, "import_annuaire", &detail, now).await?;
            println!("importé en {:.1} s", started.elapsed().as_secs_f64());
            Some(imported)
        }
        Annuaire::Etat => annuaire::current(db).await?,
    };
    match imported {
        Some(i) => println!(
            "{} (extraction du {}) : {} lignes, {} professionnels dont {} ADELI",
            i.fichier,
            i.date_extraction.as_deref().unwrap_or("date inconnue"),
            i.lignes,
            i.entrees,
            i.entrees_adeli
        ),
        None => println!("aucune extraction importée"),
    }
    Ok(())
}

/// `promess-server demandes …`: the requests from the terminal, through the same transitions as the API.
async fn demandes(db: &Store, config: &Config, command: &Demandes) -> Result<(), Box<dyn std::error::Error>> {
    let actor = terminal_actor;
    let settings = lifecycle::Decisions { refused_retention_secs: config.refused_retention_days * 86_400 };
    let now = now_secs();
    let (id, decided, who) = match command {
        Demandes::Lister { statut } => {
            let filter = match statut {
                Some(s) => Some(Statut::from_key(s).ok_or_else(|| format!("état inconnu : {s}"))?),
                None => None,
            };
            for r in lifecycle::list(db, filter, None).await? {
                let number = r.rpps.or(r.adeli).unwrap_or_default();
                let carte = r.preuve.label();
                println!(
                    "{}\t{}\t{}\t{} {}\t{number}\t{}\t{carte}",
                    r.id,
                    r.statut.key(),
                    r.identifiant,
                    r.prenom,
                    r.nom,
                    r.email
                );
            }
            return Ok(());
        }
        Demandes::Accepter { id, par } => {
            let who = actor(par);
            (id, lifecycle::decide(db, id, lifecycle::Decision::Accept, &who, &settings, now).await?, who)
        }
        Demandes::Refuser { id, motif, detail, par } => {
            let reason = RefusalReason::from_key(motif).ok_or_else(|| format!("motif inconnu : {motif}"))?;
            let decision = lifecycle::Decision::Refuse { reason, detail };
            let who = actor(par);
            (id, lifecycle::decide(db, id, decision, &who, &settings, now).await?, who)
        }
    };
    match decided {
        Ok(statut) => {
            operators::audit(db.pool(), &who, "decision", &format!("demande {id} : {}", statut.label()), now).await?;
            println!("{id} : {}", statut.label());
            Ok(())
        }
        Err(e) => Err(e.message().into()),
    }
}
