//! GET /api/identifiants?prenom=&nom=&mssante= → the identifier and address that would be given now.
use crate::{AppState, db, error::AppError};
use axum::{
    Json,
    extract::{Query, State},
};
use promess_core::{ErrorCode, Field, FieldErrors, identifiers::Identifiant, name::PersonName, registration::Proposal};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct NamesQuery {
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    mssante: bool,
}

/// The identifier series' base, or the errors of the names.
pub fn base(prenom: &str, nom: &str) -> Result<Identifiant, FieldErrors> {
    let mut e = FieldErrors::default();
    let prenom = e.check(Field::Prenom, PersonName::parse(prenom));
    let nom = e.check(Field::Nom, PersonName::parse(nom));
    match (prenom, nom) {
        (Some(p), Some(n)) => Identifiant::derive(&p, &n).map_err(|code: ErrorCode| {
            e.add(Field::Nom, code);
            e
        }),
        _ => Err(e),
    }
}

pub async fn propose(State(state): State<AppState>, Query(q): Query<NamesQuery>) -> Result<Json<Proposal>, AppError> {
    let base = base(&q.prenom, &q.nom).map_err(AppError::Invalid)?;
    let free = db::free_identifier(&state.db, &base).await?;
    Ok(Json(Proposal { adresse: free.address(&state.operator, q.mssante), identifiant: free.to_string() }))
}
