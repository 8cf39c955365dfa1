//! The wizard's state, shared by every screen through the context.
use leptos::prelude::*;
use promess_core::{
    Draft, Field, FieldErrors, OperatorConfig, Step,
    field::FieldSet,
    registration::{Credentials, RegistrationAccepted},
};

/// Reads and writes one text answer of the draft.
#[derive(Clone, Copy)]
pub struct Lens {
    pub get: fn(&Draft) -> &String,
    pub set: fn(&mut Draft) -> &mut String,
}

/// `lens!(nom)`: the text answer `nom` of the draft.
macro_rules! lens {
    ($field:ident) => {
        $crate::state::Lens { get: |d| &d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use lens;

/// A yes/no answer of the draft, unanswered at first.
#[derive(Clone, Copy)]
pub struct ChoiceLens {
    pub get: fn(&Draft) -> Option<bool>,
    pub set: fn(&mut Draft) -> &mut Option<bool>,
}

macro_rules! choice {
    ($field:ident) => {
        $crate::state::ChoiceLens { get: |d| d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use choice;

/// A checkbox answer of the draft.
#[derive(Clone, Copy)]
pub struct FlagLens {
    pub get: fn(&Draft) -> bool,
    pub set: fn(&mut Draft) -> &mut bool,
}

macro_rules! flag {
    ($field:ident) => {
        $crate::state::FlagLens { get: |d| d.$field, set: |d| &mut d.$field }
    };
}
pub(crate) use flag;

/// Everything the wizard knows. `draft` is saved to sessionStorage; `secret` (the password) never is.
#[derive(Clone, Copy)]
pub struct Wizard {
    pub draft: RwSignal<Draft>,
    pub secret: RwSignal<Credentials>,
    /// The zxcvbn score and the password it was computed for.
    pub scored: RwSignal<Option<(String, u8)>>,
    /// Fields whose errors are shown: left once, or checked by "Suivant".
    pub touched: RwSignal<FieldSet>,
    /// Errors the server answered (422), shown until the field changes.
    pub server_errors: RwSignal<FieldErrors>,
    /// The errors of each step, now.
    step_errors: [Memo<FieldErrors>; 4],
    /// A message shown at the top of the next screen (e.g. after a redirect).
    pub notice: RwSignal<Option<&'static str>>,
    /// The identifier the server proposes (prenom.nom2… when prenom.nom is taken); None until it answers.
    pub proposed: RwSignal<Option<String>>,
    /// The server's answer once the registration is accepted.
    pub accepted: RwSignal<Option<RegistrationAccepted>>,
    pub config: StoredValue<OperatorConfig>,
}

impl Wizard {
    pub fn new(draft: Draft, config: OperatorConfig) -> Self {
        let draft = RwSignal::new(draft);
        let secret = RwSignal::new(Credentials::default());
        let scored = RwSignal::new(None);
        let server_errors = RwSignal::new(FieldErrors::default());
        // Each step is validated once per change, all its fields at once; the fields read their error from here.
        let step_errors = Step::ALL.map(|step| {
            Memo::new(move |_| {
                // Only step 3 depends on the password: the other steps are not recomputed at each keystroke.
                let mut errors = if step == Step::Identifiant {
                    let score = current_score(secret, scored);
                    draft.with(|d| secret.with(|s| d.step_errors(step, s, score)))
                } else {
                    draft.with(|d| d.step_errors(step, &Credentials::default(), None))
                };
                errors.merge(server_errors.with(|e| e.of_step(step)));
                errors
            })
        });
        Wizard {
            draft,
            secret,
            scored,
            touched: RwSignal::new(FieldSet::default()),
            server_errors,
            step_errors,
            notice: RwSignal::new(None),
            proposed: RwSignal::new(None),
            accepted: RwSignal::new(None),
            config: StoredValue::new(config),
        }
    }

    /// The identifier shown and asked for: the server's proposal, else prenom.nom from the names (reactive).
    pub fn identifiant(&self) -> Option<String> {
        self.proposed.get().or_else(|| self.draft.with(|d| d.identifiant().map(|i| i.to_string())))
    }

    /// The secure address that goes with it (reactive).
    pub fn address(&self) -> Option<String> {
        let mssante = self.draft.with(|d| d.mssante);
        self.identifiant().map(|id| self.config.with_value(|c| c.address(&id, mssante)))
    }

    /// The errors of a step, now (reactive).
    pub fn errors(&self, step: Step) -> FieldErrors {
        self.step_errors[step as usize].get()
    }

    /// The message to show under a field, if it was touched and is invalid.
    pub fn shown_error(&self, field: Field) -> Option<String> {
        let touched = self.touched.with(|t| t.contains(field));
        let server = self.server_errors.with(|e| e.first(field));
        let code = server
            .or_else(|| touched.then(|| self.step_errors[field.step() as usize].with(|e| e.first(field))).flatten())?;
        Some(code.message(field))
    }

    pub fn touch(&self, field: Field) {
        if !self.touched.with_untracked(|t| t.contains(field)) {
            self.touched.update(|t| t.insert(field));
        }
    }

    /// The first step before `step` that is not complete, if any.
    pub fn blocking_step(&self, step: Step) -> Option<Step> {
        Step::ALL
            .into_iter()
            .take_while(|s| *s < step)
            .find(|s| !self.step_errors[*s as usize].with(FieldErrors::is_empty))
    }

    /// An answer changed: the server's verdict on that field no longer holds.
    pub fn edited(&self, field: Field) {
        if self.server_errors.with_untracked(|e| e.0.contains_key(&field)) {
            self.server_errors.update(|e| {
                e.0.remove(&field);
            });
        }
    }
}

/// The zxcvbn score of the current password, if the worker has rated this very password.
fn current_score(secret: RwSignal<Credentials>, scored: RwSignal<Option<(String, u8)>>) -> Option<u8> {
    let password = secret.with(|s| s.mot_de_passe.clone());
    scored.with(|s| s.as_ref().filter(|(p, _)| *p == password).map(|(_, score)| *score))
}

pub fn use_wizard() -> Wizard {
    expect_context::<Wizard>()
}
