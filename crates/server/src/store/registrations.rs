//! Requests (`registrations`), their history (`registration_events`) and the answers given to Idempotency-Keys
//! (`idempotency`). The states and their transitions are promess_core::lifecycle's; `crate::lifecycle` decides,
//! this module reads and writes. A state changes only from the expected one (a conditional UPDATE), so that two
//! deciders at once find one of them won.
use super::{Store, jobs, new_id};
use promess_core::{
    ErrorCode, Field,
    identifiers::Identifiant,
    lifecycle::{RefusalReason, Statut},
    registration::{CardUse, PscUse},
};
use sqlx::{AnyConnection, AnyExecutor};

/// A stored state.
fn statut(key: &str) -> Result<Statut, sqlx::Error> {
    Statut::from_key(key).ok_or_else(|| sqlx::Error::Decode(format!("unknown statut {key:?}").into()))
}

/// Which uniqueness rule a write broke.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    IdempotencyKey,
    Identifier,
    /// An active account holds this RPPS or ADELI.
    Number,
}

/// Why a request's write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("a uniqueness rule was broken: {0:?}")]
    Taken(Taken),
    /// The card's challenge, Pro Santé Connect's handle or the second factor's set-up was spent or expired
    /// meanwhile: the field it is shown on, and why.
    #[error("the proof cannot be used: {1:?}")]
    Proof(Field, ErrorCode),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl WriteError {
    /// A unique violation is classified once, here: SQLite names the column ("registrations.rpps"), PostgreSQL the
    /// constraint or index. Another rule (a random id met twice…) stays an error, never mistaken for a taken
    /// identifier.
    fn classify(e: sqlx::Error) -> WriteError {
        let sqlx::Error::Database(db) = &e else { return WriteError::Db(e) };
        if !db.is_unique_violation() {
            return WriteError::Db(e);
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
        .map_or(WriteError::Db(e), |(_, taken)| WriteError::Taken(taken))
    }

    /// A write error that is not a rule of the request's: the database's own.
    pub fn into_db(self) -> sqlx::Error {
        match self {
            WriteError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        }
    }
}

/// The first identifier of the series prenom.nom, prenom.nom2, prenom.nom3… that nobody has.
pub async fn free_identifier(store: &Store, base: &Identifiant) -> Result<Identifiant, sqlx::Error> {
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT identifiant FROM registrations WHERE identifiant = $1 OR identifiant LIKE $2")
            .bind(base.as_str())
            .bind(format!("{}%", base.as_str()))
            .fetch_all(store.pool())
            .await?;
    Ok((1..).map(|n| base.nth(n)).find(|c| !taken.iter().any(|t| t == c.as_str())).expect("an endless series"))
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
    /// With Pro Santé Connect: the verified proof, and the page's handle, spent in the same transaction.
    pub psc: Option<(&'a PscUse, &'a str)>,
    /// The second factor's confirmed set-up, spent in the same transaction into the account's factor.
    pub facteur: &'a str,
    /// Unix seconds.
    pub now: i64,
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

/// Inserts a request, its email, its history's first line and, when the request carried an Idempotency-Key, its
/// answer, in one transaction.
pub async fn insert(store: &Store, r: &NewRegistration<'_>, answer: Option<Answer<'_>>) -> Result<(), WriteError> {
    let mut tx = store.begin_write().await?;
    if let Some((_, nonce)) = r.carte
        && !super::challenges::spend(&mut tx, nonce, r.now).await?
    {
        return Err(WriteError::Proof(Field::Mode, ErrorCode::CardNonceUsed));
    }
    if let Some((_, handle)) = r.psc
        && !super::psc::spend(&mut tx, handle, r.now).await?
    {
        return Err(WriteError::Proof(Field::Mode, ErrorCode::PscHandleUsed));
    }
    let card = r.carte.map(|(c, _)| c);
    let psc = r.psc.map(|(p, _)| p);
    sqlx::query(
        "INSERT INTO registrations (id, identifiant, adresse, statut, rpps, adeli, civilite, nom, prenom, email, \
         donnees, password_hash, created_at, carte_emetteur, carte_numero_serie, carte_empreinte, carte_algorithme, \
         carte_verifiee_le, email_token_hash, email_token_expires_at, last_confirmation_email_at, purge_at, \
         liste_rouge, telephone_annuaire, psc_emetteur, psc_sujet, psc_acr, psc_authentifie_le, psc_jeton, \
         psc_verifiee_le) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $13, $20, \
         $21, $22, $23, $24, $25, $26, $27, $28)",
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
    .bind(psc.map(|p| p.emetteur.as_str()))
    .bind(psc.map(|p| p.sujet.as_str()))
    .bind(psc.map(|p| p.acr.as_str()))
    .bind(psc.map(|p| p.authentifie_le))
    .bind(psc.map(|p| p.jeton.as_str()))
    .bind(psc.map(|p| p.verifie_le))
    .execute(&mut *tx)
    .await
    .map_err(WriteError::classify)?;
    if !super::factors::spend(&mut tx, r.facteur, r.id, r.now).await? {
        return Err(WriteError::Proof(Field::SecondFacteur, ErrorCode::FactorUnknown));
    }
    jobs::enqueue_email(&mut tx, r.id, r.email_to, r.email, r.now).await?;
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
            .await
            .map_err(WriteError::classify)?;
    }
    tx.commit().await?;
    Ok(())
}

/// The answer given to an Idempotency-Key since `since` (Unix seconds), if any.
pub async fn answer_of(store: &Store, key: &str, since: i64) -> Result<Option<StoredAnswer>, sqlx::Error> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT status, body, body_hash FROM idempotency WHERE key = $1 AND created_at >= $2")
            .bind(key)
            .bind(since)
            .fetch_optional(store.pool())
            .await?;
    Ok(row.map(|(status, body, body_hash)| StoredAnswer { status, body, body_hash }))
}

/// Records that a registration reached `statut` (its history), in the caller's transaction.
pub async fn record_event(
    tx: &mut AnyConnection,
    registration_id: &str,
    statut: Statut,
    actor: Option<&str>,
    detail: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registration_events (id, registration_id, at, statut, actor, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id()?)
    .bind(registration_id)
    .bind(now)
    .bind(statut.key())
    .bind(actor)
    .bind(detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether an active account holds this RPPS or ADELI.
pub async fn number_held(tx: &mut AnyConnection, rpps: Option<&str>, adeli: Option<&str>) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM registrations WHERE statut = 'active' AND (rpps = $1 OR adeli = $2)")
            .bind(rpps)
            .bind(adeli)
            .fetch_one(&mut *tx)
            .await?;
    Ok(n > 0)
}

/// A request as its email link finds it.
pub struct Confirmable {
    pub id: String,
    pub statut: Statut,
    pub expires_at: i64,
    pub confirmed: bool,
    /// The identity was proven at registration (the card or Pro Santé Connect).
    pub proven: bool,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub civilite: String,
    pub identifiant: String,
    pub adresse: String,
    pub email: String,
}

/// The request whose email link's token has this hash.
pub async fn by_token(tx: &mut AnyConnection, token_hash: &str) -> Result<Option<Confirmable>, sqlx::Error> {
    type Row =
        (String, String, i64, Option<i64>, Option<i64>, Option<String>, Option<String>, String, String, String, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, statut, email_token_expires_at, email_confirmed_at, COALESCE(carte_verifiee_le, psc_verifiee_le), \
         rpps, adeli, civilite, \
         identifiant, adresse, email FROM registrations WHERE email_token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, s, expires_at, confirmed, proven, rpps, adeli, civilite, identifiant, adresse, email)) = row else {
        return Ok(None);
    };
    Ok(Some(Confirmable {
        id,
        statut: statut(&s)?,
        expires_at,
        confirmed: confirmed.is_some(),
        proven: proven.is_some(),
        rpps,
        adeli,
        civilite,
        identifiant,
        adresse,
        email,
    }))
}

/// An unconfirmed request's email confirmed, and its state now `next`; false when confirmed meanwhile.
pub async fn set_confirmed(tx: &mut AnyConnection, id: &str, next: Statut, now: i64) -> Result<bool, WriteError> {
    let updated = sqlx::query(
        "UPDATE registrations SET statut = $1, email_confirmed_at = $2, purge_at = NULL \
         WHERE id = $3 AND statut = 'email_a_confirmer' AND email_confirmed_at IS NULL",
    )
    .bind(next.key())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(WriteError::classify)?;
    Ok(updated.rows_affected() == 1)
}

/// A request awaiting its email, as "Renvoyer l'email" finds it.
pub struct Resendable {
    pub id: String,
    pub civilite: String,
    /// Confirmation emails sent so far, and when the last one was.
    pub sent: i64,
    pub last: Option<i64>,
    pub expires_at: i64,
}

/// The request awaiting its email of this identifier and email (case-insensitive), if any.
pub async fn resendable(
    tx: &mut AnyConnection,
    identifiant: &str,
    email: &str,
) -> Result<Option<Resendable>, sqlx::Error> {
    let row: Option<(String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, civilite, confirmation_emails, last_confirmation_email_at, email_token_expires_at \
         FROM registrations WHERE identifiant = $1 AND LOWER(email) = LOWER($2) AND statut = 'email_a_confirmer'",
    )
    .bind(identifiant)
    .bind(email)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|(id, civilite, sent, last, expires_at)| Resendable { id, civilite, sent, last, expires_at }))
}

/// A new link's token hash for a request that had sent `sent` emails; false when a concurrent resend won.
pub async fn replace_token(
    tx: &mut AnyConnection,
    id: &str,
    token_hash: &str,
    sent: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE registrations SET email_token_hash = $1, confirmation_emails = $2, last_confirmation_email_at = $3 \
         WHERE id = $4 AND confirmation_emails = $5",
    )
    .bind(token_hash)
    .bind(sent + 1)
    .bind(now)
    .bind(id)
    .bind(sent)
    .execute(&mut *tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Who a request is, for its emails and the directory.
#[derive(Debug)]
pub struct Person {
    pub statut: Statut,
    pub identifiant: String,
    pub adresse: String,
    pub prenom: String,
    pub nom: String,
    pub civilite: String,
    pub email: String,
    /// The PHC string of the password's argon2id hash.
    pub password_hash: String,
    /// The national id (`8`+RPPS, `0`+ADELI) when the identity was proven (card or Pro Santé Connect).
    pub identifiant_national: Option<String>,
}

/// The request `id`'s person, if it exists.
pub async fn person(db: impl AnyExecutor<'_>, id: &str) -> Result<Option<Person>, sqlx::Error> {
    type Row =
        (String, String, String, String, String, String, String, String, Option<String>, Option<String>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT statut, identifiant, adresse, prenom, nom, civilite, email, password_hash, rpps, adeli, \
         COALESCE(carte_verifiee_le, psc_verifiee_le) FROM registrations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some((s, identifiant, adresse, prenom, nom, civilite, email, password_hash, rpps, adeli, proven)) = row else {
        return Ok(None);
    };
    let national = match (rpps, adeli) {
        (Some(rpps), _) => Some(promess_core::card::NationalId::Rpps(rpps)),
        (None, Some(adeli)) => Some(promess_core::card::NationalId::Adeli(adeli)),
        (None, None) => None,
    };
    let identifiant_national = national.filter(|_| proven.is_some()).map(|n| n.to_string());
    Ok(Some(Person {
        statut: statut(&s)?,
        identifiant,
        adresse,
        prenom,
        nom,
        civilite,
        email,
        password_hash,
        identifiant_national,
    }))
}

/// What a decision writes on a request.
pub struct Decided<'a> {
    pub next: Statut,
    pub actor: &'a str,
    pub reason: Option<RefusalReason>,
    pub detail: Option<&'a str>,
    pub purge_at: Option<i64>,
}

/// A request's decision, from the state `from` only; false when it was in another state (decided meanwhile).
pub async fn set_decided(
    tx: &mut AnyConnection,
    id: &str,
    from: Statut,
    d: &Decided<'_>,
    now: i64,
) -> Result<bool, WriteError> {
    let updated = sqlx::query(
        "UPDATE registrations SET statut = $1, decided_at = $2, decided_by = $3, motif_refus = $4, detail_refus = $5, \
         purge_at = $6 WHERE id = $7 AND statut = $8",
    )
    .bind(d.next.key())
    .bind(now)
    .bind(d.actor)
    .bind(d.reason.map(RefusalReason::key))
    .bind(d.detail)
    .bind(d.purge_at)
    .bind(id)
    .bind(from.key())
    .execute(&mut *tx)
    .await
    .map_err(WriteError::classify)?;
    Ok(updated.rows_affected() == 1)
}

/// When the account appeared in the mail system's directory.
pub async fn set_provisioned(tx: &mut AnyConnection, id: &str, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE registrations SET provisioned_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What a purge deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub requests: u64,
    pub answers: u64,
    /// Jobs done long ago, operator sessions ended, journal lines past their retention.
    pub jobs: u64,
    pub sessions: u64,
    pub journal: u64,
}

/// Deletes what is due at `now`: the requests past their `purge_at` (their emails, jobs and history with them, their
/// identifiers freed), Idempotency-Key answers older than `answers_before`, and challenges expired for over an hour.
pub async fn purge(store: &Store, now: i64, answers_before: i64) -> Result<Purged, sqlx::Error> {
    let due: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM registrations WHERE purge_at IS NOT NULL AND purge_at < $1 LIMIT 1000")
            .bind(now)
            .fetch_all(store.pool())
            .await?;
    let mut purged = Purged::default();
    for (id,) in due {
        let mut tx = store.begin_write().await?;
        // Still due (not confirmed meanwhile): the check and the deletes are one transaction.
        let tables = [
            "outbox",
            "jobs",
            "registration_events",
            "account_factors",
            "recovery_codes",
            "account_sessions",
            "account_journal",
        ];
        for table in tables {
            sqlx::query(&format!("DELETE FROM {table} WHERE registration_id = $1")).bind(&id).execute(&mut *tx).await?;
        }
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
        .bind(answers_before)
        .execute(store.pool())
        .await?
        .rows_affected();
    super::challenges::purge(store, now).await?;
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
    pub preuve: Preuve,
    pub created_at: i64,
}

/// How a request's identity was proven at registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preuve {
    Carte,
    Psc,
    Aucune,
}

impl Preuve {
    pub(super) fn of(carte: Option<i64>, psc: Option<i64>) -> Preuve {
        match (carte, psc) {
            (Some(_), _) => Preuve::Carte,
            (None, Some(_)) => Preuve::Psc,
            (None, None) => Preuve::Aucune,
        }
    }

    /// In the console's list.
    pub fn label(self) -> &'static str {
        match self {
            Preuve::Carte => "Carte CPS",
            Preuve::Psc => "Pro Santé Connect",
            Preuve::Aucune => "Sans carte",
        }
    }
}

/// The requests in `filter` (all when None) whose name, identifier, RPPS, ADELI or email holds `search`
/// (case-insensitive), oldest first.
pub async fn list(store: &Store, filter: Option<Statut>, search: Option<&str>) -> Result<Vec<Summary>, sqlx::Error> {
    type Row =
        (String, String, String, String, String, Option<String>, Option<String>, String, Option<i64>, Option<i64>, i64);
    let pattern = search.map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, statut, identifiant, prenom, nom, rpps, adeli, email, carte_verifiee_le, psc_verifiee_le, created_at \
         FROM registrations WHERE (CAST($1 AS TEXT) IS NULL OR statut = $1) AND (CAST($2 AS TEXT) IS NULL \
         OR LOWER(nom) LIKE $2 OR LOWER(prenom) LIKE $2 OR LOWER(prenom || ' ' || nom) LIKE $2 \
         OR identifiant LIKE $2 OR rpps LIKE $2 OR adeli LIKE $2 OR LOWER(email) LIKE $2) ORDER BY created_at, id",
    )
    .bind(filter.map(Statut::key))
    .bind(pattern)
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|(id, s, identifiant, prenom, nom, rpps, adeli, email, carte, psc, created_at)| {
            Ok(Summary {
                id,
                statut: statut(&s)?,
                identifiant,
                prenom,
                nom,
                rpps,
                adeli,
                email,
                preuve: Preuve::of(carte, psc),
                created_at,
            })
        })
        .collect()
}

/// The card's proof of a request, as verified.
#[derive(Debug)]
pub struct CardProof {
    pub emetteur: String,
    pub numero_serie: String,
    pub empreinte: String,
    pub verifiee_le: i64,
}

/// A request with every answer, as the operator reviews it.
#[derive(Debug)]
pub struct Detail {
    pub id: String,
    pub statut: Statut,
    pub identifiant: String,
    pub adresse: String,
    pub rpps: Option<String>,
    pub adeli: Option<String>,
    pub nom: String,
    pub prenom: String,
    pub email: String,
    pub donnees: serde_json::Value,
    pub carte: Option<CardProof>,
    pub psc: Option<PscProof>,
    pub created_at: i64,
}

/// Pro Santé Connect's proof of a request, as verified.
#[derive(Debug)]
pub struct PscProof {
    pub emetteur: String,
    pub sujet: String,
    pub acr: String,
    pub authentifie_le: i64,
    pub verifiee_le: i64,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: String,
    statut: String,
    identifiant: String,
    adresse: String,
    rpps: Option<String>,
    adeli: Option<String>,
    nom: String,
    prenom: String,
    email: String,
    donnees: String,
    carte_emetteur: Option<String>,
    carte_numero_serie: Option<String>,
    carte_empreinte: Option<String>,
    carte_verifiee_le: Option<i64>,
    psc_emetteur: Option<String>,
    psc_sujet: Option<String>,
    psc_acr: Option<String>,
    psc_authentifie_le: Option<i64>,
    psc_verifiee_le: Option<i64>,
    created_at: i64,
}

/// The request `id`, whole.
pub async fn detail(store: &Store, id: &str) -> Result<Option<Detail>, sqlx::Error> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT id, statut, identifiant, adresse, rpps, adeli, nom, prenom, email, donnees, carte_emetteur, \
         carte_numero_serie, carte_empreinte, carte_verifiee_le, psc_emetteur, psc_sujet, psc_acr, psc_authentifie_le, \
         psc_verifiee_le, created_at FROM registrations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let carte = match (r.carte_emetteur, r.carte_numero_serie, r.carte_empreinte, r.carte_verifiee_le) {
        (Some(emetteur), Some(numero_serie), Some(empreinte), Some(verifiee_le)) => {
            Some(CardProof { emetteur, numero_serie, empreinte, verifiee_le })
        }
        _ => None,
    };
    let psc = match (r.psc_emetteur, r.psc_sujet, r.psc_acr, r.psc_authentifie_le, r.psc_verifiee_le) {
        (Some(emetteur), Some(sujet), Some(acr), Some(authentifie_le), Some(verifiee_le)) => {
            Some(PscProof { emetteur, sujet, acr, authentifie_le, verifiee_le })
        }
        _ => None,
    };
    Ok(Some(Detail {
        id: r.id,
        statut: statut(&r.statut)?,
        identifiant: r.identifiant,
        adresse: r.adresse,
        rpps: r.rpps,
        adeli: r.adeli,
        nom: r.nom,
        prenom: r.prenom,
        email: r.email,
        donnees: serde_json::from_str(&r.donnees).unwrap_or_default(),
        carte,
        psc,
        created_at: r.created_at,
    }))
}

/// Another request on the same number or email.
#[derive(Debug, sqlx::FromRow)]
pub struct Competing {
    pub id: String,
    pub identifiant: String,
    pub statut: String,
    pub email: String,
    pub created_at: i64,
}

/// The other requests on `r`'s RPPS, ADELI or email, oldest first.
pub async fn competing(store: &Store, r: &Detail) -> Result<Vec<Competing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, identifiant, statut, email, created_at FROM registrations WHERE id <> $1 AND \
         ((rpps IS NOT NULL AND rpps = $2) OR (adeli IS NOT NULL AND adeli = $3) OR LOWER(email) = LOWER($4)) \
         ORDER BY created_at",
    )
    .bind(&r.id)
    .bind(&r.rpps)
    .bind(&r.adeli)
    .bind(&r.email)
    .fetch_all(store.pool())
    .await
}

/// A line of a request's history.
#[derive(Debug, sqlx::FromRow)]
pub struct Event {
    pub at: i64,
    pub statut: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

/// The history of the request `id`, oldest first.
pub async fn history(store: &Store, id: &str) -> Result<Vec<Event>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, statut, actor, detail FROM registration_events WHERE registration_id = $1 ORDER BY at, id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await
}

/// The state of the request `id`, if it exists.
pub async fn statut_of(store: &Store, id: &str) -> Result<Option<Statut>, sqlx::Error> {
    let key: Option<String> = sqlx::query_scalar("SELECT statut FROM registrations WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    key.as_deref().map(statut).transpose()
}
