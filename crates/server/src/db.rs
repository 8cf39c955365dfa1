//! Storage: SQLite or PostgreSQL through sqlx's Any driver, with versioned migrations run at start.
use promess_core::{ErrorCode, identifiers::Identifiant, lifecycle::Statut, registration::CardUse};
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, any::AnyPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects (creating a SQLite file's folder when needed) and brings the schema up to date.
pub async fn connect(url: &str) -> Result<AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    if let Some(path) = url.strip_prefix("sqlite://").map(|p| p.split('?').next().unwrap_or(p))
        && let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let pool = AnyPoolOptions::new().max_connections(8).connect(url).await?;
    if url.starts_with("sqlite:") {
        // Concurrent writers wait for each other instead of failing at once.
        sqlx::query("PRAGMA busy_timeout = 5000").execute(&pool).await?;
        sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
    }
    // Two processes started at once on one SQLite file may both find a migration missing; the one that loses the
    // race fails on what the other created, and runs again, finding it applied. (PostgreSQL's migrations take a
    // lock.)
    let mut attempt = 0;
    loop {
        match MIGRATOR.run(&pool).await {
            Ok(()) => return Ok(pool),
            Err(e) if attempt < 5 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "migration raced another process; running it again");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A transaction that writes. SQLite takes its write lock at the start (`BEGIN IMMEDIATE`), so that two of them wait
/// for each other instead of one failing when both upgrade a read lock; PostgreSQL's row locks and the conditional
/// updates do the rest.
pub async fn begin_write(db: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if db.connect_options().database_url.scheme() == "sqlite" {
        db.begin_with("BEGIN IMMEDIATE").await
    } else {
        db.begin().await
    }
}

/// The first identifier of the series prenom.nom, prenom.nom2, prenom.nom3… that nobody has.
pub async fn free_identifier(db: &AnyPool, base: &Identifiant) -> Result<Identifiant, sqlx::Error> {
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT identifiant FROM registrations WHERE identifiant = $1 OR identifiant LIKE $2")
            .bind(base.as_str())
            .bind(format!("{}%", base.as_str()))
            .fetch_all(db)
            .await?;
    Ok((1..).map(|n| base.nth(n)).find(|c| !taken.iter().any(|t| t == c.as_str())).expect("an endless series"))
}

/// A random identifier: 16 bytes, hexadecimal.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new request's row (promess_core::lifecycle: it awaits its email's proof).
pub struct NewRegistration<'a> {
    pub id: &'a str,
    pub identifiant: &'a str,
    pub adresse: &'a str,
    pub rpps: Option<&'a str>,
    pub adeli: Option<&'a str>,
    pub civilite: &'a str,
    pub nom: &'a str,
    pub prenom: &'a str,
    pub email_to: &'a str,
    pub donnees: &'a str,
    pub password_hash: &'a str,
    /// The MSSanté directory options: on the red list, and the phone number to publish.
    pub liste_rouge: bool,
    pub telephone_annuaire: Option<&'a str>,
    /// The hash of the email link's token, and when the request expires unconfirmed.
    pub token_hash: &'a str,
    pub expires_at: i64,
    /// The email with the link, queued in the same transaction.
    pub email: &'a crate::email::Rendered,
    /// With the card: the verified proof, and its challenge, spent in the same transaction.
    pub carte: Option<(&'a CardUse, &'a str)>,
    /// Unix seconds.
    pub now: i64,
}

/// Which uniqueness rule a write broke.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    IdempotencyKey,
    Identifier,
    /// An active account holds this RPPS or ADELI.
    Number,
}

#[derive(Debug)]
pub enum InsertError {
    Taken(Taken),
    /// The card's challenge was spent or expired meanwhile.
    Challenge(ErrorCode),
    Db(sqlx::Error),
}

/// A unique violation is classified once, here: SQLite names the column ("registrations.rpps"), PostgreSQL the
/// constraint or index. Another rule (a random id met twice…) stays an error, never mistaken for a taken identifier.
impl From<sqlx::Error> for InsertError {
    fn from(e: sqlx::Error) -> InsertError {
        let sqlx::Error::Database(db) = &e else { return InsertError::Db(e) };
        if !db.is_unique_violation() {
            return InsertError::Db(e);
        }
        let what = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
        [
            ("idempotency", Taken::IdempotencyKey),
            ("rpps", Taken::Number),
            ("adeli", Taken::Number),
            ("identifiant", Taken::Identifier),
            ("adresse", Taken::Identifier),
        ]
        .into_iter()
        .find(|(name, _)| what.contains(name))
        .map_or(InsertError::Db(e), |(_, taken)| InsertError::Taken(taken))
    }
}

/// The answer to record for an Idempotency-Key, bound to the request's body.
pub struct Answer<'a> {
    pub key: &'a str,
    pub status: u16,
    pub body: &'a str,
    pub body_hash: &'a str,
    /// An older record of the same key has expired: it is replaced.
    pub expired_before: i64,
}

/// What was answered to an Idempotency-Key.
pub struct StoredAnswer {
    pub status: i64,
    pub body: String,
    pub body_hash: Option<String>,
}

/// Queues an email to a registration's professional, in the caller's transaction.
pub async fn queue_email(
    tx: &mut sqlx::AnyConnection,
    registration_id: &str,
    recipient: &str,
    email: &crate::email::Rendered,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (id, registration_id, recipient, subject, text_body, html_body, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?)
    .bind(registration_id)
    .bind(recipient)
    .bind(&email.subject)
    .bind(&email.text)
    .bind(&email.html)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues the account of a registration just activated for the mail system's directory, in the caller's
/// transaction (see `provisioning`): its acceptance email leaves once the account is there.
pub async fn queue_provisioning(
    tx: &mut sqlx::AnyConnection,
    registration_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO provisioning (id, registration_id, next_attempt_at, created_at) VALUES ($1, $2, $3, $3)")
        .bind(new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?)
        .bind(registration_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// A queue of the worker kind (the outbox, provisioning): a row taken when due, with retries.
#[derive(Clone, Copy)]
pub enum Queue {
    Outbox,
    Provisioning,
}

impl Queue {
    /// Its table, and the column that says a row is done.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Queue::Outbox => ("outbox", "sent_at"),
            Queue::Provisioning => ("provisioning", "done_at"),
        }
    }

    /// Takes the row `id`, due at `due_at`, until `until`: another worker (a second server process on the same
    /// database) leaves it alone meanwhile. False when another worker took it first.
    pub async fn claim(self, db: &AnyPool, id: &str, due_at: i64, until: i64) -> Result<bool, sqlx::Error> {
        let (table, done) = self.table();
        let claimed = sqlx::query(&format!(
            "UPDATE {table} SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND {done} IS NULL"
        ))
        .bind(until)
        .bind(id)
        .bind(due_at)
        .execute(db)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// What a row is, and the command that lists the dead ones, for the logs.
    fn what(self) -> (&'static str, &'static str) {
        match self {
            Queue::Outbox => ("email", "promess-server outbox"),
            Queue::Provisioning => ("account", "promess-server comptes"),
        }
    }

    /// Records a failed attempt (the `attempts`-th) taken at `taken_at`: retried after its backoff, or given up when
    /// `dead` (kept for the operator), and logged either way.
    pub async fn failed(
        self,
        db: &AnyPool,
        id: &str,
        attempts: i64,
        taken_at: i64,
        error: &str,
        dead: bool,
    ) -> Result<(), sqlx::Error> {
        let ((table, _), (what, command)) = (self.table(), self.what());
        if dead {
            tracing::error!(%id, %error, attempts, "{what} given up: see `{command}`");
        } else {
            tracing::warn!(%id, %error, attempts, "{what} not done, will retry");
        }
        sqlx::query(&format!(
            "UPDATE {table} SET attempts = $1, next_attempt_at = $2, last_error = $3, dead_at = $4 WHERE id = $5"
        ))
        .bind(attempts)
        .bind(taken_at + crate::outbox::backoff(attempts))
        .bind(error)
        .bind(dead.then_some(taken_at))
        .bind(id)
        .execute(db)
        .await?;
        Ok(())
    }

    /// The background worker: a `round` every `every`, each as its own task, so that a panic in one is logged and
    /// the worker carries on.
    pub fn spawn_worker<F, Fut>(self, every: std::time::Duration, round: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<usize, sqlx::Error>> + Send + 'static,
    {
        let (table, _) = self.table();
        tokio::spawn(async move {
            loop {
                match tokio::spawn(round()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "{table}"),
                    Err(panic) => tracing::error!(error = %panic, "{table} worker panicked; carrying on"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// Records that a registration reached `statut` (its history), in the caller's transaction.
pub async fn record_event(
    tx: &mut sqlx::AnyConnection,
    registration_id: &str,
    statut: Statut,
    actor: Option<&str>,
    detail: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registration_events (id, registration_id, at, statut, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id().map_err(|e| sqlx::Error::Protocol(e.to_string()))?)
    .bind(registration_id)
    .bind(now)
    .bind(statut.key())
    .bind(actor)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts a request, its email, its history's first line and, when the request carried an Idempotency-Key, its
/// answer, in one transaction.
pub async fn insert(db: &AnyPool, r: &NewRegistration<'_>, answer: Option<Answer<'_>>) -> Result<(), InsertError> {
    let mut tx = begin_write(db).await?;
    if let Some((_, nonce)) = r.carte {
        // Spent once: a concurrent use of the same challenge finds it spent and rolls back.
        let spent = sqlx::query(
            "UPDATE card_challenges SET spent_at = $1 WHERE nonce_hash = $2 AND spent_at IS NULL AND expires_at >= $1",
        )
        .bind(r.now)
        .bind(nonce_hash(nonce))
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            return Err(InsertError::Challenge(ErrorCode::CardNonceUsed));
        }
    }
    let card = r.carte.map(|(c, _)| c);
    sqlx::query(
        "INSERT INTO registrations (id, identifiant, adresse, statut, rpps, adeli, civilite, nom, prenom, email, \
         donnees, password_hash, created_at, carte_emetteur, carte_numero_serie, carte_empreinte, carte_algorithme, \
         carte_verifiee_le, email_token_hash, email_token_expires_at, last_confirmation_email_at, purge_at, \
         liste_rouge, telephone_annuaire) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $13, $20, \
         $21, $22)",
    )
    .bind(r.id)
    .bind(r.identifiant)
    .bind(r.adresse)
    .bind(Statut::EmailAConfirmer.key())
    .bind(r.rpps)
    .bind(r.adeli)
    .bind(r.civilite)
    .bind(r.nom)
    .bind(r.prenom)
    .bind(r.email_to)
    .bind(r.donnees)
    .bind(r.password_hash)
    .bind(r.now)
    .bind(card.map(|c| c.emetteur.as_str()))
    .bind(card.map(|c| c.numero_serie.as_str()))
    .bind(card.map(|c| c.certificat.as_str()))
    .bind(card.map(|c| c.algorithme.as_str()))
    .bind(card.map(|c| c.verifie_le))
    .bind(r.token_hash)
    .bind(r.expires_at)
    .bind(i64::from(r.liste_rouge))
    .bind(r.telephone_annuaire)
    .execute(&mut *tx)
    .await?;
    queue_email(&mut tx, r.id, r.email_to, r.email, r.now).await?;
    record_event(&mut tx, r.id, Statut::EmailAConfirmer, None, None, r.now).await?;
    if let Some(a) = answer {
        sqlx::query("DELETE FROM idempotency WHERE key = $1 AND created_at < $2")
            .bind(a.key)
            .bind(a.expired_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO idempotency (key, status, body, created_at, body_hash) VALUES ($1, $2, $3, $4, $5)")
            .bind(a.key)
            .bind(i64::from(a.status))
            .bind(a.body)
            .bind(r.now)
            .bind(a.body_hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The answer given to an Idempotency-Key since `since` (Unix seconds), if any.
pub async fn answer_of(db: &AnyPool, key: &str, since: i64) -> Result<Option<StoredAnswer>, sqlx::Error> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT status, body, body_hash FROM idempotency WHERE key = $1 AND created_at >= $2")
            .bind(key)
            .bind(since)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(status, body, body_hash)| StoredAnswer { status, body, body_hash }))
}

/// The stored form of a challenge's nonce: its SHA-256, hexadecimal.
pub fn nonce_hash(nonce: &str) -> String {
    sha256_hex(nonce.as_bytes())
}

/// SHA-256, hexadecimal: how secrets and request bodies are kept.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Records a new challenge valid until `expires_at`, and purges those expired for over an hour.
pub async fn new_challenge(db: &AnyPool, nonce: &str, expires_at: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM card_challenges WHERE expires_at < $1").bind(now - 3600).execute(db).await?;
    sqlx::query("INSERT INTO card_challenges (nonce_hash, expires_at) VALUES ($1, $2)")
        .bind(nonce_hash(nonce))
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether a challenge can be used now: known, unexpired, unused.
pub async fn challenge_state(db: &AnyPool, nonce: &str, now: i64) -> Result<Result<(), ErrorCode>, sqlx::Error> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT expires_at, spent_at FROM card_challenges WHERE nonce_hash = $1")
            .bind(nonce_hash(nonce))
            .fetch_optional(db)
            .await?;
    Ok(match row {
        None => Err(ErrorCode::CardNonceUnknown),
        Some((_, Some(_))) => Err(ErrorCode::CardNonceUsed),
        Some((expires, None)) if expires < now => Err(ErrorCode::CardNonceExpired),
        Some(_) => Ok(()),
    })
}
