//! A request, as the operator checks it: every answer, how the identity was established, the national directory's
//! check, the other requests on the same number or email, its history; and the decision.
use super::{Signed, date_time, failed, page_status};
use crate::{
    AppState, annuaire,
    lifecycle::{self, Decision, DecisionError, Decisions},
    operators,
    store::registrations::{self, Competing, Detail, Event},
};
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use promess_core::{
    Field,
    annuaire::{Check, Comparison},
    lifecycle::{RefusalReason, Statut},
    nos,
};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/operateur/demandes/{id}", get(page)).route("/operateur/demandes/{id}/decision", post(decide))
}

/// A value of the stored answers as the operator reads it.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Bool(true) => "oui".into(),
        serde_json::Value::Bool(false) => "non".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o.values().map(shown).collect::<Vec<_>>().join("/"),
        other => other.to_string(),
    }
}

/// An answer as the operator reads it: codes with their labels.
fn answer(key: &str, value: &serde_json::Value) -> String {
    let code = shown(value);
    let label = match key {
        "civilite" => nos::label(nos::CIVILITE_TABLES, &code),
        "profession" => nos::label(&[nos::PROFESSIONS], &code),
        _ => "",
    };
    if label.is_empty() { code } else { format!("{label} ({code})") }
}

/// The directory check's part of a request page.
async fn directory_check(state: &AppState, r: &Detail) -> Result<Markup, sqlx::Error> {
    let Some(import) = annuaire::current(&state.store).await? else {
        return Ok(
            html! { p { "Aucune extraction de l'annuaire national n'est importée : " code { "promess-server annuaire importer FICHIER" } "." } },
        );
    };
    let date = import.date_extraction.clone().unwrap_or_else(|| "date inconnue".into());
    let source = html! { p.source { "Extraction RPPS du " (date) " (" (import.fichier) ", " (import.entrees) " professionnels)." } };
    let (kind, number, label) = match (&r.rpps, &r.adeli) {
        (Some(rpps), _) => ("8", rpps.as_str(), "RPPS"),
        (None, Some(adeli)) if import.entrees_adeli == 0 => {
            return Ok(
                html! { (source) p.avertissement { "Non vérifiable : la demande ne donne qu'un numéro ADELI (" (adeli) ") et l'extraction ne contient pas de numéros ADELI. Vérifiez-le par un autre moyen." } },
            );
        }
        (None, Some(adeli)) => ("0", adeli.as_str(), "ADELI"),
        (None, None) => return Ok(html! { (source) p { "La demande ne donne ni RPPS ni ADELI." } }),
    };
    let found = annuaire::lookup(&state.store, kind, number).await?;
    let profession = shown(&r.donnees["personal"]["profession"]);
    let profession_label = |code: &str| {
        let label = nos::label(&[nos::PROFESSIONS], code);
        if label.is_empty() { code.to_owned() } else { format!("{label} ({code})") }
    };
    Ok(html! {
        (source)
        @if found.is_empty() {
            p.difference id="annuaire-resultat" { "Numéro " (label) " " (number) " introuvable dans l'extraction." }
        }
        @for entry in &found {
            @let check = Check::of(&r.nom, &r.prenom, &profession, &entry.nom, &entry.prenom, &entry.code_profession);
            p id="annuaire-resultat" class=(if check.all_same() { "accord" } else { "difference" }) {
                "Numéro " (label) " " (number) " trouvé : "
                @if check.all_same() { "nom, prénom et profession concordent." } @else { "au moins une réponse diffère." }
            }
            table {
                caption { "Comparaison avec l'annuaire national" }
                thead { tr { th scope="col" { "Réponse" } th scope="col" { "Demande" } th scope="col" { "Annuaire" } th scope="col" { "Comparaison" } } }
                tbody {
                    (comparison_row("Nom d'exercice", &r.nom, &entry.nom, check.nom))
                    (comparison_row("Prénom d'exercice", &r.prenom, &entry.prenom, check.prenom))
                    (comparison_row("Profession", &profession_label(&profession), &format!("{} ({})", entry.libelle_profession, entry.code_profession), check.profession))
                }
            }
            @if !entry.savoir_faire.is_empty() || !entry.commune.is_empty() {
                p { "Savoir-faire : " (entry.savoir_faire) " — commune d'exercice : " (entry.commune) }
            }
        }
        p.aide { "Cette comparaison aide à décider ; elle ne décide pas." }
    })
}

fn comparison_row(what: &str, request: &str, directory: &str, c: Comparison) -> Markup {
    html! {
        tr {
            th scope="row" { (what) }
            td { (request) }
            td { (directory) }
            td class=(if c == Comparison::Same { "accord" } else { "difference" }) { (c.label()) }
        }
    }
}

#[derive(Deserialize, Default)]
struct Flash {
    fait: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let done = match flash.fait.as_deref() {
        Some("acceptee") => {
            Some("Demande acceptée : le compte est activé ; son email d'acceptation part dès que la boîte est créée.")
        }
        Some("refusee") => Some("Demande refusée : l'email de refus, avec son motif, est envoyé au professionnel."),
        _ => None,
    };
    render_request(&state, &signed, &id, StatusCode::OK, done.map(Notice::Done)).await
}

/// A message above a request's decision.
enum Notice<'a> {
    Done(&'a str),
    /// A decision not applied, and the field it concerns (`confirme`, `detail`), if any.
    Error(String, Option<&'static str>),
}

async fn render_request(
    state: &AppState,
    signed: &Signed,
    id: &str,
    status: StatusCode,
    notice: Option<Notice<'_>>,
) -> Response {
    let result: Result<Response, sqlx::Error> = async {
        let Some(r) = registrations::detail(&state.store, id).await? else {
            return Ok(page_status(StatusCode::NOT_FOUND, "Demande introuvable", Some(signed), html! {
                h1 { "Demande introuvable" }
                p { "Cette demande n'existe pas ou plus (une demande non confirmée ou refusée est supprimée après son délai)." }
                p { a href="/operateur/demandes" { "Retour aux demandes" } }
            }));
        };
        let check = directory_check(state, &r).await?;
        let others = registrations::competing(&state.store, &r).await?;
        let history = registrations::history(&state.store, &r.id).await?;
        let body = request_markup(&r, check, &others, &history, notice.as_ref(), &signed.operator.csrf);
        Ok(page_status(status, &format!("Demande de {} {}", r.prenom, r.nom), Some(signed), body))
    }
    .await;
    result.unwrap_or_else(failed)
}

/// A stored state's label (its key when unknown).
fn state_label(key: &str) -> &str {
    Statut::from_key(key).map_or(key, |s| s.label())
}

/// A request's page body.
fn request_markup(
    r: &Detail,
    check: Markup,
    others: &[Competing],
    history: &[Event],
    notice: Option<&Notice>,
    csrf: &str,
) -> Markup {
    let (error, field) = match notice {
        Some(Notice::Error(message, field)) => (Some(message.as_str()), *field),
        _ => (None, None),
    };
    let invalid = |name: &str| field == Some(name);
    let personal = r.donnees["personal"].as_object().cloned().unwrap_or_default();
    let membership = r.donnees["membership"].as_object().cloned().unwrap_or_default();
    let answers: Vec<(&String, &serde_json::Value)> = personal.iter().chain(membership.iter()).collect();
    html! {
            p { a href="/operateur/demandes" { "← Retour aux demandes" } }
            h1 { "Demande de " (r.prenom) " " (r.nom) }
            p id="etat" { "État : " strong { (r.statut.label()) } " — reçue le " (date_time(r.created_at)) "." }
            @if let Some(Notice::Done(message)) = notice { p.accord role="status" { (message) } }
        @if r.statut != Statut::EnVerification { @if let Some(error) = error { p.erreur role="alert" { (error) } } }
            section aria-labelledby="t-identite" {
                h2 id="t-identite" { "Identité" }
                @if let Some(c) = &r.carte {
                    p { "Établie par la carte CPS, dont la preuve a été vérifiée le " (date_time(c.verifiee_le)) " : certificat émis par " (c.emetteur) ", numéro de série " (c.numero_serie) "." }
                    p.source { "Empreinte SHA-256 du certificat : " code { (c.empreinte) } }
                } @else if let Some(p) = &r.psc {
                    p { "Identité prouvée par Pro Santé Connect, le " (date_time(p.authentifie_le)) " (niveau " (p.acr) "), vérifiée le " (date_time(p.verifiee_le)) "." }
                    p.source { "Fournisseur : " code { (p.emetteur) } ", sujet " code { (p.sujet) } }
                } @else {
                    p { "Saisie manuelle, sans carte CPS : à vérifier auprès de l'annuaire national." }
                }
            }
            section aria-labelledby="t-annuaire" {
                h2 id="t-annuaire" { "Vérification dans l'annuaire national" }
                (check)
            }
            section aria-labelledby="t-reponses" {
                h2 id="t-reponses" { "Réponses" }
                dl {
                    dt { "Identifiant" } dd { (r.identifiant) }
                    dt { "Adresse sécurisée" } dd { (r.adresse) }
                    @for (key, value) in &answers {
                        dt { (Field::from_key(key).map_or(key.as_str(), |f| f.label())) }
                        dd { (answer(key, value)) }
                    }
                }
            }
            section aria-labelledby="t-concurrentes" {
                h2 id="t-concurrentes" { "Autres demandes sur ce numéro ou cette adresse électronique" }
                @if others.is_empty() { p { "Aucune." } } @else {
                    ul { @for o in others {
                        li { a href={ "/operateur/demandes/" (o.id) } { (o.identifiant) } " — " (state_label(&o.statut)) " — " (o.email) " — " (date_time(o.created_at)) }
                    } }
                }
            }
            section aria-labelledby="t-historique" {
                h2 id="t-historique" { "Historique" }
                ol { @for e in history {
                    li { (date_time(e.at)) " : " (state_label(&e.statut))
                        @if let Some(actor) = &e.actor { " (" (actor) ")" }
                        @if let Some(detail) = &e.detail { " — " (detail) } }
                } }
            }
            @if r.statut == Statut::EnVerification {
                section aria-labelledby="t-decision" {
                    h2 id="t-decision" { "Décision" }
                    @if let Some(error) = error { p.erreur role="alert" id="decision-erreur" { (error) } }
                    form method="post" action={ "/operateur/demandes/" (r.id) "/decision" } {
                        input type="hidden" name="csrf" value=(csrf);
                        fieldset {
                            legend { "Décision" }
                            p { input type="radio" id="decision-accepter" name="decision" value="accepter" required; label for="decision-accepter" { "Accepter : le compte est activé et sa boîte créée" } }
                            p { input type="radio" id="decision-refuser" name="decision" value="refuser"; label for="decision-refuser" { "Refuser" } }
                        }
                        p {
                            label for="motif" { "Motif du refus" }
                            select id="motif" name="motif" {
                                @for reason in RefusalReason::ALL { option value=(reason.key()) { (reason.label()) } }
                            }
                        }
                        p {
                            label for="detail" { "Précisions envoyées au professionnel (obligatoires pour un refus)" }
                            textarea id="detail" name="detail" rows="3" maxlength="1000"
                                aria-invalid=[invalid("detail").then_some("true")]
                                aria-describedby=[invalid("detail").then_some("decision-erreur")] {}
                        }
                        p {
                            input type="checkbox" id="confirme" name="confirme" value="oui"
                                aria-invalid=[invalid("confirme").then_some("true")]
                                aria-describedby=[invalid("confirme").then_some("decision-erreur")];
                            label for="confirme" { "Je confirme cette décision pour " (r.prenom) " " (r.nom) " (" (r.identifiant) ")" }
                        }
                        button type="submit" { "Enregistrer la décision" }
                    }
                }
            }
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
    #[serde(default)]
    detail: String,
    confirme: Option<String>,
}

/// The decision a form asks for, or what is missing from it and the field concerned.
fn decision_of(form: &DecisionForm) -> Result<Decision<'_>, (&'static str, Option<&'static str>)> {
    let decision = match form.decision.as_str() {
        "accepter" => Decision::Accept,
        "refuser" => match RefusalReason::from_key(&form.motif) {
            Some(reason) => Decision::Refuse { reason, detail: &form.detail },
            None => return Err(("Choisissez un motif de refus.", None)),
        },
        _ => return Err(("Choisissez « Accepter » ou « Refuser ».", None)),
    };
    if form.confirme.as_deref() != Some("oui") {
        return Err(("Cochez la case de confirmation pour enregistrer la décision.", Some("confirme")));
    }
    Ok(decision)
}

async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Err(refused) = signed.check(&form.csrf) {
        return refused;
    }
    let decision = match decision_of(&form) {
        Ok(decision) => decision,
        Err((message, field)) => {
            let notice = Notice::Error(message.to_owned(), field);
            return render_request(&state, &signed, &id, StatusCode::UNPROCESSABLE_ENTITY, Some(notice)).await;
        }
    };
    let now = state.now();
    let settings = Decisions { refused_retention_secs: state.settings.refused_retention_secs };
    let login = signed.operator.login.clone();
    match lifecycle::decide(&state.store, &id, decision, &login, &settings, now).await {
        Ok(Ok(statut)) => {
            let what = match decision {
                Decision::Accept => "acceptée".to_owned(),
                Decision::Refuse { reason, .. } => format!("refusée ({})", reason.label()),
            };
            let detail = format!("demande {id} {what}");
            if let Err(e) = operators::audit(state.store.pool(), &login, "decision", &detail, now).await {
                return failed(e);
            }
            let fait = if statut == Statut::Active { "acceptee" } else { "refusee" };
            Redirect::to(&format!("/operateur/demandes/{id}?fait={fait}")).into_response()
        }
        Ok(Err(e)) => {
            let (status, field) = match e {
                DecisionError::DetailRequired => (StatusCode::UNPROCESSABLE_ENTITY, Some("detail")),
                DecisionError::NotFound => (StatusCode::NOT_FOUND, None),
                _ => (StatusCode::CONFLICT, None),
            };
            render_request(&state, &signed, &id, status, Some(Notice::Error(e.message(), field))).await
        }
        Err(e) => failed(e),
    }
}
