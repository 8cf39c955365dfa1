//! promess_core::lifecycle on the database. Each transition is one transaction that changes the state only from the
//! expected one (two operators deciding at once: one wins), records it in the request's history and queues its email:
//! no state without its email, no email without its state.
use crate::{
    db::{self, InsertError, Taken},
    email::{self, Email, Kind},
};
use base64::Engine;
use promess_core::{
    lifecycle::{
        CONFIRM_PATH, Event, MAX_CONFIRMATION_EMAILS, RESEND_INTERVAL_SECS, RefusalReason, Statut, TOKEN_BYTES,
        TokenError,
    },
    registration::RegistrationAccepted,
};
use sqlx::AnyPool;

/// A new email link's token (base64url of `TOKEN_BYTES` random bytes) and the hash that is stored.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = db::sha256_hex(token.as_bytes());
    Ok((token, hash))
}

/// The email with the link that confirms the address.
pub fn confirmation_email(civilite: &str, identifiant: &str, public_url: &str, token: &str) -> email::Rendered {
    let link = format!("{}{CONFIRM_PATH}#{token}", public_url.trim_end_matches('/'));
    Email { civilite, identifiant, kind: Kind::ConfirmEmail { link: &link } }.render()
}

fn statut(key: &str) -> Result<Statut, sqlx::Error> {
    Statut::from_key(key).ok_or_else(|| sqlx::Error::Decode(format!("unknown statut {key:?}").into()))
}

fn db_error(e: InsertError) -> sqlx::Error {
    match e {
        InsertError::Db(e) => e,
        other => sqlx::Error::Protocol(format!("{other:?}")),
    }
}

/// Whether an active account holds this RPPS or ADELI.
async fn number_held(
    tx: &mut sqlx::AnyConnection,
    rpps: Option<&str>,
    adeli: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM registrations WHERE statut = 'active' AND (rpps = $1 OR adeli = $2)")
            .bind(rpps)
            .bind(adeli)
            .fetch_one(&mut *tx)
            .await?;
    Ok(n > 0)
}

type Confirmable =
    (String, String, i64, Option<i64>, Option<i64>, Option<String>, Option<String>, String, String, String, String);

/// The email link followed (`POST /api/confirmations`): a card-proven request becomes active, unless an active
/// account holds its number; any other goes to the operator's review. Each with its email.
pub async fn confirm_email(
    db: &AnyPool,
    token: &str,
    now: i64,
) -> Result<Result<RegistrationAccepted, TokenError>, sqlx::Error> {
    let hash = db::sha256_hex(token.as_bytes());
    // A concurrent activation on the same number makes the first try fail on the constraint: the second sees it.
    let mut number_taken = false;
    loop {
        let mut tx = db::begin_write(db).await?;
        let row: Option<Confirmable> = sqlx::query_as(
            "SELECT id, statut, email_token_expires_at, email_confirmed_at, carte_verifiee_le, rpps, adeli, civilite, \
             identifiant, adresse, email FROM registrations WHERE email_token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, current, expires, confirmed, card, rpps, adeli, civilite, identifiant, adresse, to)) = row else {
            return Ok(Err(TokenError::JetonInconnu));
        };
        if confirmed.is_some() || statut(&current)? != Statut::EmailAConfirmer {
            return Ok(Err(TokenError::JetonUtilise));
        }
        if expires < now {
            return Ok(Err(TokenError::JetonExpire));
        }
        let held = number_taken || number_held(&mut tx, rpps.as_deref(), adeli.as_deref()).await?;
        let event = Event::EmailConfirmed { card: card.is_some(), number_free: !held };
        let next = Statut::EmailAConfirmer.after(event).expect("an unconfirmed request confirms");
        let updated = sqlx::query(
            "UPDATE registrations SET statut = $1, email_confirmed_at = $2, purge_at = NULL \
             WHERE id = $3 AND statut = 'email_a_confirmer' AND email_confirmed_at IS NULL",
        )
        .bind(next.key())
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await;
        match updated.map_err(InsertError::from) {
            Ok(done) if done.rows_affected() == 1 => {}
            Ok(_) => return Ok(Err(TokenError::JetonUtilise)), // confirmed meanwhile by a twin click
            Err(InsertError::Taken(Taken::Number)) if !number_taken => {
                number_taken = true;
                continue;
            }
            Err(e) => return Err(db_error(e)),
        }
        let detail = (card.is_some() && held).then_some("Un compte actif porte déjà ce numéro RPPS/ADELI.");
        db::record_event(&mut tx, &id, next, None, detail, now).await?;
        if next == Statut::Active {
            // The acceptance email leaves once the mailbox exists (`provisioning`).
            db::queue_provisioning(&mut tx, &id, now).await?;
        } else {
            let email = Email { civilite: &civilite, identifiant: &identifiant, kind: Kind::InReview }.render();
            db::queue_email(&mut tx, &id, &to, &email, now).await?;
        }
        tx.commit().await?;
        tracing::info!(%identifiant, statut = next.key(), "email confirmed");
        return Ok(Ok(RegistrationAccepted { identifiant, adresse, statut: next }));
    }
}

/// "Renvoyer l'email": a new link for a request awaiting its email, when the identifier and the email match, within
/// `MAX_CONFIRMATION_EMAILS` and `RESEND_INTERVAL_SECS`. The old link stops working; the expiry stays the request's.
/// Nothing tells the caller whether anything matched. Answers whether an email was queued (for tests and logs).
pub async fn resend(
    db: &AnyPool,
    identifiant: &str,
    to: &str,
    public_url: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db::begin_write(db).await?;
    let row: Option<(String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, civilite, confirmation_emails, last_confirmation_email_at, email_token_expires_at \
         FROM registrations WHERE identifiant = $1 AND LOWER(email) = LOWER($2) AND statut = 'email_a_confirmer'",
    )
    .bind(identifiant)
    .bind(to)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, civilite, sent, last, expires)) = row else { return Ok(false) };
    if sent >= MAX_CONFIRMATION_EMAILS || last.is_some_and(|l| now < l + RESEND_INTERVAL_SECS) || expires <= now {
        return Ok(false);
    }
    let (token, hash) = new_token().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let updated = sqlx::query(
        "UPDATE registrations SET email_token_hash = $1, confirmation_emails = $2, last_confirmation_email_at = $3 \
         WHERE id = $4 AND confirmation_emails = $5",
    )
    .bind(&hash)
    .bind(sent + 1)
    .bind(now)
    .bind(&id)
    .bind(sent)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(false); // a concurrent resend won
    }
    db::queue_email(&mut tx, &id, to, &confirmation_email(&civilite, identifiant, public_url, &token), now).await?;
    tx.commit().await?;
    Ok(true)
}

/// An operator's decision on a request in review.
#[derive(Clone, Copy, Debug)]
pub enum Decision<'a> {
    Accept,
    Refuse { reason: RefusalReason, detail: &'a str },
}

/// Why a decision was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionError {
    NotFound,
    /// Not in review (decided meanwhile by another operator, or never confirmed): its state now.
    NotInReview(Statut),
    /// An active account already holds this RPPS/ADELI.
    NumberHeld,
    /// A refusal needs its free text.
    DetailRequired,
}

impl DecisionError {
    pub fn message(&self) -> String {
        match self {
            DecisionError::NotFound => "Cette demande n'existe pas (ou plus).".into(),
            DecisionError::NotInReview(s) => {
                format!("Cette demande n'est pas (ou plus) à vérifier : son état est « {} ».", s.label())
            }
            DecisionError::NumberHeld => {
                "Un compte actif porte déjà ce numéro RPPS/ADELI : la demande ne peut pas être acceptée.".into()
            }
            DecisionError::DetailRequired => "Précisez le motif du refus.".into(),
        }
    }
}

/// How long a refused request is kept.
pub struct Decisions {
    pub refused_retention_secs: i64,
}

/// Accepts (→ active, its account queued for the directory, then the procedure's acceptance email) or refuses (→ refused, an email with the reason, the data
/// deleted after the retention) a request in review, as `actor`.
pub async fn decide(
    db: &AnyPool,
    id: &str,
    decision: Decision<'_>,
    actor: &str,
    settings: &Decisions,
    now: i64,
) -> Result<Result<Statut, DecisionError>, sqlx::Error> {
    if let Decision::Refuse { detail, .. } = decision
        && detail.trim().is_empty()
    {
        return Ok(Err(DecisionError::DetailRequired));
    }
    let mut tx = db::begin_write(db).await?;
    let row: Option<(String, String, String, String)> =
        sqlx::query_as("SELECT statut, civilite, identifiant, email FROM registrations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((current, civilite, identifiant, to)) = row else { return Ok(Err(DecisionError::NotFound)) };
    let current = statut(&current)?;
    // What the decision writes, records and sends: an acceptance, the account to create (whose email leaves once
    // the mailbox exists); a refusal, its email.
    let (event, reason, detail, purge_at, refusal) = match decision {
        Decision::Accept => (Event::Accepted, None, None, None, None),
        Decision::Refuse { reason, detail } => {
            let detail = detail.trim();
            let purge_at = Some(now + settings.refused_retention_secs);
            (Event::Refused, Some(reason), Some(detail), purge_at, Some(Kind::Refused { reason, detail }))
        }
    };
    let Some(next) = current.after(event) else { return Ok(Err(DecisionError::NotInReview(current))) };
    let updated = sqlx::query(
        "UPDATE registrations SET statut = $1, decided_at = $2, decided_by = $3, motif_refus = $4, detail_refus = $5, \
         purge_at = $6 WHERE id = $7 AND statut = $8",
    )
    .bind(next.key())
    .bind(now)
    .bind(actor)
    .bind(reason.map(RefusalReason::key))
    .bind(detail)
    .bind(purge_at)
    .bind(id)
    .bind(current.key())
    .execute(&mut *tx)
    .await
    .map_err(InsertError::from);
    match updated {
        Ok(done) if done.rows_affected() == 1 => {}
        Ok(_) => {
            // Decided meanwhile by another operator.
            let (now_statut,): (String,) =
                sqlx::query_as("SELECT statut FROM registrations WHERE id = $1").bind(id).fetch_one(db).await?;
            return Ok(Err(DecisionError::NotInReview(statut(&now_statut)?)));
        }
        Err(InsertError::Taken(Taken::Number)) => return Ok(Err(DecisionError::NumberHeld)),
        Err(e) => return Err(db_error(e)),
    }
    let history = reason.zip(detail).map(|(reason, detail)| format!("{} : {detail}", reason.label()));
    db::record_event(&mut tx, id, next, Some(actor), history.as_deref(), now).await?;
    match refusal {
        Some(kind) => {
            let email = Email { civilite: &civilite, identifiant: &identifiant, kind }.render();
            db::queue_email(&mut tx, id, &to, &email, now).await?;
        }
        None => db::queue_provisioning(&mut tx, id, now).await?,
    }
    tx.commit().await?;
    tracing::info!(%identifiant, statut = next.key(), %actor, "request decided");
    Ok(Ok(next))
}

/// What a purge deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub requests: u64,
    pub answers: u64,
}

/// How long an Idempotency-Key's answer is kept.
pub const KEY_SECS: i64 = 24 * 3600;

/// Deletes what is due at `now` (past its `purge_at`): unconfirmed requests past their 48 h and refused ones past their retention (their
/// emails and history with them, their identifiers freed), Idempotency-Key answers past a day, spent challenges.
pub async fn purge(db: &AnyPool, now: i64) -> Result<Purged, sqlx::Error> {
    let due: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM registrations WHERE purge_at IS NOT NULL AND purge_at < $1 LIMIT 1000")
            .bind(now)
            .fetch_all(db)
            .await?;
    let mut purged = Purged::default();
    for (id,) in due {
        let mut tx = db::begin_write(db).await?;
        // Still due (not confirmed meanwhile): the check and the deletes are one transaction.
        sqlx::query("DELETE FROM outbox WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM provisioning WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM registration_events WHERE registration_id = $1").bind(&id).execute(&mut *tx).await?;
        let gone = sqlx::query("DELETE FROM registrations WHERE id = $1 AND purge_at IS NOT NULL AND purge_at < $2")
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() == 1 {
            tx.commit().await?;
            purged.requests += 1;
        }
    }
    purged.answers = sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
        .bind(now - KEY_SECS)
        .execute(db)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM card_challenges WHERE expires_at < $1").bind(now - 3600).execute(db).await?;
    Ok(purged)
}

/// A request as a list shows it.
#[derive(Debug)]
pub struct Summary {
    pub id: String,
    pub statut: Statut,
    pub identifiant: String,
    pub prenom: String,
    pub nom: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub email: String,
    pub carte: bool,
    pub created_at: i64,
}

/// The requests in `filter` (all when None) whose name, identifier, RPPS, ADELI or email holds `search`
/// (case-insensitive), oldest first.
pub async fn list(db: &AnyPool, filter: Option<Statut>, search: Option<&str>) -> Result<Vec<Summary>, sqlx::Error> {
    type Row = (String, String, String, String, String, Option<String>, Option<String>, String, Option<i64>, i64);
    let pattern = search.map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, statut, identifiant, prenom, nom, rpps, adeli, email, carte_verifiee_le, created_at \
         FROM registrations WHERE (CAST($1 AS TEXT) IS NULL OR statut = $1) AND (CAST($2 AS TEXT) IS NULL \
         OR LOWER(nom) LIKE $2 OR LOWER(prenom) LIKE $2 OR LOWER(prenom || ' ' || nom) LIKE $2 \
         OR identifiant LIKE $2 OR rpps LIKE $2 OR adeli LIKE $2 OR LOWER(email) LIKE $2) ORDER BY created_at, id",
    )
    .bind(filter.map(Statut::key))
    .bind(pattern)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(id, s, identifiant, prenom, nom, rpps, adeli, email, carte, created_at)| {
            Ok(Summary {
                id,
                statut: statut(&s)?,
                identifiant,
                prenom,
                nom,
                rpps,
                adeli,
                email,
                carte: carte.is_some(),
                created_at,
            })
        })
        .collect()
}

/// Purges what is due every `every`, with the system's clock.
pub fn spawn_purger(db: AnyPool, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match purge(&db, crate::outbox::now_secs()).await {
                Ok(p) if p.requests > 0 => tracing::info!(requests = p.requests, "expired requests deleted"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purge"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
