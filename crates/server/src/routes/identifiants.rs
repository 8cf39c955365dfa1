//! GET /api/identifiants?prenom=&nom=&mssante= → the identifier and address that would be given now.
use crate::{AppState, error::AppError, store::registrations};
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
    let free = registrations::free_identifier(&state.store, &base).await?;
    Ok(Json(Proposal::of(&free, &state.settings.operator, q.mssante)))
}
