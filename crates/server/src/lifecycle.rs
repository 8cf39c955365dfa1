//! promess_core::lifecycle on the database. Each transition is one transaction that changes the state only from the
//! expected one (two operators deciding at once: one wins), records it in the request's history and queues its email:
//! no state without its email, no email without its state.
use crate::{
    email::{self, Email, Kind},
    operators, queue,
    store::{
        Store,
        jobs::{self, Kind as JobKind},
        registrations::{self, Decided, Taken, WriteError},
    },
};
use promess_core::{
    lifecycle::{
        CONFIRM_PATH, Event, MAX_CONFIRMATION_EMAILS, RESEND_INTERVAL_SECS, RefusalReason, Statut, TOKEN_BYTES,
        TokenError,
    },
    registration::RegistrationAccepted,
};

pub use crate::store::registrations::{Purged, Summary};

/// A new email link's token (base64url of `TOKEN_BYTES` random bytes) and the hash that is stored.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let token = crate::secret::token(TOKEN_BYTES)?;
    let hash = crate::secret::sha256_hex(token.as_bytes());
    Ok((token, hash))
}

/// The email with the link that confirms the address.
pub fn confirmation_email(civilite: &str, identifiant: &str, public_url: &str, token: &str) -> email::Rendered {
    let link = format!("{}{CONFIRM_PATH}#{token}", public_url.trim_end_matches('/'));
    Email { civilite, identifiant, kind: Kind::ConfirmEmail { link: &link } }.render()
}

/// The email link followed (`POST /api/confirmations`): a card-proven request becomes active, unless an active
/// account holds its number; any other goes to the operator's review. Each with its email.
pub async fn confirm_email(
    store: &Store,
    token: &str,
    now: i64,
) -> Result<Result<RegistrationAccepted, TokenError>, sqlx::Error> {
    let hash = crate::secret::sha256_hex(token.as_bytes());
    // A concurrent activation on the same number makes the first try fail on the constraint: the second sees it.
    let mut number_taken = false;
    loop {
        let mut tx = store.begin_write().await?;
        let Some(r) = registrations::by_token(&mut tx, &hash).await? else {
            return Ok(Err(TokenError::JetonInconnu));
        };
        if r.confirmed || r.statut != Statut::EmailAConfirmer {
            return Ok(Err(TokenError::JetonUtilise));
        }
        if r.expires_at < now {
            return Ok(Err(TokenError::JetonExpire));
        }
        let held = number_taken || registrations::number_held(&mut tx, r.rpps.as_deref(), r.adeli.as_deref()).await?;
        let event = Event::EmailConfirmed { proven: r.proven, number_free: !held };
        let next = Statut::EmailAConfirmer.after(event).expect("an unconfirmed request confirms");
        match registrations::set_confirmed(&mut tx, &r.id, next, now).await {
            Ok(true) => {}
            Ok(false) => return Ok(Err(TokenError::JetonUtilise)), // confirmed meanwhile by a twin click
            Err(WriteError::Taken(Taken::Number)) if !number_taken => {
                number_taken = true;
                continue;
            }
            Err(e) => return Err(e.into_db()),
        }
        let detail = (r.proven && held).then_some("Un compte actif porte déjà ce numéro RPPS/ADELI.");
        registrations::record_event(&mut tx, &r.id, next, None, detail, now).await?;
        if next == Statut::Active {
            // The acceptance email leaves once the mailbox exists (`provisioning`).
            jobs::enqueue(&mut tx, JobKind::Account, &r.id, now).await?;
        } else {
            let email = Email { civilite: &r.civilite, identifiant: &r.identifiant, kind: Kind::InReview }.render();
            jobs::enqueue_email(&mut tx, &r.id, &r.email, &email, now).await?;
        }
        tx.commit().await?;
        tracing::info!(identifiant = %r.identifiant, statut = next.key(), "email confirmed");
        return Ok(Ok(RegistrationAccepted { identifiant: r.identifiant, adresse: r.adresse, statut: next }));
    }
}

/// "Renvoyer l'email": a new link for a request awaiting its email, when the identifier and the email match, within
/// `MAX_CONFIRMATION_EMAILS` and `RESEND_INTERVAL_SECS`. The old link stops working; the expiry stays the request's.
/// Nothing tells the caller whether anything matched. Answers whether an email was queued (for tests and logs).
pub async fn resend(
    store: &Store,
    identifiant: &str,
    to: &str,
    public_url: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = store.begin_write().await?;
    let Some(r) = registrations::resendable(&mut tx, identifiant, to).await? else { return Ok(false) };
    let too_soon = r.last.is_some_and(|l| now < l + RESEND_INTERVAL_SECS);
    if r.sent >= MAX_CONFIRMATION_EMAILS || too_soon || r.expires_at <= now {
        return Ok(false);
    }
    let (token, hash) = new_token().map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    if !registrations::replace_token(&mut tx, &r.id, &hash, r.sent, now).await? {
        return Ok(false); // a concurrent resend won
    }
    let email = confirmation_email(&r.civilite, identifiant, public_url, &token);
    jobs::enqueue_email(&mut tx, &r.id, to, &email, now).await?;
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
    store: &Store,
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
    let mut tx = store.begin_write().await?;
    let Some(person) = registrations::person(&mut *tx, id).await? else { return Ok(Err(DecisionError::NotFound)) };
    let current = person.statut;
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
    let decided = Decided { next, actor, reason, detail, purge_at };
    match registrations::set_decided(&mut tx, id, current, &decided, now).await {
        Ok(true) => {}
        Ok(false) => {
            // Decided meanwhile by another operator.
            drop(tx);
            let now_statut = registrations::statut_of(store, id).await?.unwrap_or(current);
            return Ok(Err(DecisionError::NotInReview(now_statut)));
        }
        Err(WriteError::Taken(Taken::Number)) => return Ok(Err(DecisionError::NumberHeld)),
        Err(e) => return Err(e.into_db()),
    }
    let history = reason.zip(detail).map(|(reason, detail)| format!("{} : {detail}", reason.label()));
    registrations::record_event(&mut tx, id, next, Some(actor), history.as_deref(), now).await?;
    match refusal {
        Some(kind) => {
            let email = Email { civilite: &person.civilite, identifiant: &person.identifiant, kind }.render();
            jobs::enqueue_email(&mut tx, id, &person.email, &email, now).await?;
        }
        None => {
            jobs::enqueue(&mut tx, JobKind::Account, id, now).await?;
        }
    }
    tx.commit().await?;
    tracing::info!(identifiant = %person.identifiant, statut = next.key(), %actor, "request decided");
    Ok(Ok(next))
}

/// How long an Idempotency-Key's answer is kept.
pub const KEY_SECS: i64 = 24 * 3600;

/// Deletes what is due at `now` (past its `purge_at`): unconfirmed requests past their 48 h and refused ones past
/// their retention (their emails and history with them, their identifiers freed), Idempotency-Key answers past a
/// day, spent challenges.
pub async fn purge(store: &Store, now: i64) -> Result<Purged, sqlx::Error> {
    let mut purged = registrations::purge(store, now, now - KEY_SECS).await?;
    purged.jobs = jobs::purge_done(store, now - DONE_JOBS_SECS).await?;
    // A rate limit's window lasts a minute: those begun over an hour ago are long over.
    crate::store::limits::purge(store, now - 3600).await?;
    // Pro Santé Connect's journeys and results last an hour at most; kept an hour past, to tell a replay apart.
    crate::store::psc::purge(store, now - 3600).await?;
    crate::store::factors::purge(store, now - 3600).await?;
    let (idle, opened) = (now - operators::SESSION_IDLE_SECS, now - operators::SESSION_MAX_SECS);
    (purged.sessions, purged.journal) = crate::store::operators::purge(store, idle, opened, now - JOURNAL_SECS).await?;
    Ok(purged)
}

/// How long a done job is kept (what the queue did, for the operator's questions): 30 days.
pub const DONE_JOBS_SECS: i64 = 30 * 86_400;

/// How long the operators' journal is kept (sign-ins, decisions, imports): a year.
pub const JOURNAL_SECS: i64 = 365 * 86_400;

/// The requests in `filter` (all when None) whose name, identifier, RPPS, ADELI or email holds `search`
/// (case-insensitive), oldest first.
pub async fn list(store: &Store, filter: Option<Statut>, search: Option<&str>) -> Result<Vec<Summary>, sqlx::Error> {
    registrations::list(store, filter, search).await
}

/// Purges what is due every `every`, with the system's clock.
pub fn spawn_purger(store: Store, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match purge(&store, queue::now_secs()).await {
                Ok(p) if p.requests > 0 => tracing::info!(requests = p.requests, "expired requests deleted"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "purge"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
