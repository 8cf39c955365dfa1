//! GET /api/identifiants?prenom=&nom=&mssante= → the identifier and address that would be given now.
use crate::{AppState, db, error::AppError};
use axum::{
    Json,
    extract::{Query, State},
};
use promess_core::{identifiers::Identifiant, registration::Proposal};
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

pub async fn propose(State(state): State<AppState>, Query(q): Query<NamesQuery>) -> Result<Json<Proposal>, AppError> {
    let base = Identifiant::of_names(&q.prenom, &q.nom).map_err(AppError::Invalid)?;
    let free = db::free_identifier(&state.db, &base).await?;
    Ok(Json(Proposal::of(&free, &state.operator, q.mssante)))
}
