//! Form fields. A field owns its label, its help text and its error, tied together for assistive
//! technologies (label for, aria-describedby, aria-invalid); its value lives in the wizard's draft.
use crate::{
    shell::names::OPTIONS,
    state::{ChoiceLens, FlagLens, Lens, use_wizard},
};
use leptos::prelude::*;
use promess_core::{Field, nos::Code};

fn error_id(field: Field) -> String {
    format!("{}-erreur", field.key())
}

fn hint_id(field: Field) -> String {
    format!("{}-aide", field.key())
}

/// `aria-describedby`: the help text, then the error when one is shown.
pub fn described_by(field: Field, hint: bool) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    let wizard = use_wizard();
    move || {
        let mut ids = Vec::new();
        if hint {
            ids.push(hint_id(field));
        }
        if wizard.shown_error(field).is_some() {
            ids.push(error_id(field));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

pub fn invalid(field: Field) -> impl Fn() -> &'static str + Send + Sync + 'static {
    let wizard = use_wizard();
    move || {
        if wizard.shown_error(field).is_some() { "true" } else { "false" }
    }
}

/// The field's error, in a polite live region that is always there (so that changes are announced).
#[component]
pub fn FieldError(field: Field) -> impl IntoView {
    let wizard = use_wizard();
    view! {
        <p id=error_id(field) class="erreur" aria-live="polite">
            {move || wizard.shown_error(field)}
        </p>
    }
}

/// Whether the card or Pro Santé Connect filled this field in (it is then locked).
pub fn proven(field: Field) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let draft = use_wizard().draft;
    move || draft.with(|d| d.proven_field(field))
}

/// The mark of a field the card or Pro Santé Connect filled in.
fn card_mark(field: Field) -> impl IntoView {
    let locked = proven(field);
    let draft = use_wizard().draft;
    let source = move || match draft.with(|d| d.mode) {
        Some(promess_core::registration::Mode::Psc) => " (prouvé par Pro Santé Connect)",
        _ => " (lu sur votre carte CPS)",
    };
    move || locked().then(|| view! { <span class="lu-carte">{source()}</span> })
}

#[component]
pub fn Label(field: Field, required: bool, #[prop(optional)] text: Option<&'static str>) -> impl IntoView {
    view! {
        <label for=field.key()>
            {text.unwrap_or(field.label())}
            {required.then(|| view! { <span class="requis" aria-hidden="true">"*"</span> })}
            {card_mark(field)}
        </label>
    }
}

pub fn hint_view(field: Field, hint: Option<&'static str>) -> impl IntoView {
    hint.map(|h| view! { <p id=hint_id(field) class="aide">{h}</p> })
}

/// A text input bound to a draft answer.
#[component]
pub fn TextField(
    field: Field,
    lens: Lens,
    #[prop(optional)] required: bool,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    view! {
        <div class="champ">
            <Label field required />
            {hint_view(field, hint)}
            <input
                id=field.key()
                name=field.key()
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=field.max_chars()
                readonly=proven(field)
                aria-required=required.then_some("true")
                aria-invalid=invalid(field)
                aria-describedby=described_by(field, hint.is_some())
                prop:value=move || draft.with(|d| (lens.get)(d).clone())
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    draft.update(|d| *(lens.set)(d) = value);
                    wizard.edited(field);
                }
                on:blur=move |_| wizard.touch(field)
            />
            <FieldError field />
        </div>
    }
}

/// The choices of a select: (value, label) pairs, in groups (`<optgroup>`) when a group has a label.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Choices(pub Vec<(Option<&'static str>, Vec<(String, String)>)>);

impl Choices {
    /// One choice per code of `table`, showing its label.
    pub fn of(table: &'static [Code]) -> Choices {
        Choices(vec![(None, codes(table))])
    }

    /// One group per (label, table).
    pub fn grouped(groups: &[(&'static str, &'static [Code])]) -> Choices {
        Choices(groups.iter().map(|(label, table)| (Some(*label), codes(table))).collect())
    }
}

impl From<Vec<(String, String)>> for Choices {
    fn from(options: Vec<(String, String)>) -> Self {
        Choices(vec![(None, options)])
    }
}

fn codes(table: &'static [Code]) -> Vec<(String, String)> {
    table.iter().map(|c| (c.code.to_owned(), c.label.to_owned())).collect()
}

/// Text for HTML, attribute values included.
fn push_escaped(html: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

fn push_option(html: &mut String, value: &str, text: &str, selected: bool) {
    html.push_str("<option value=\"");
    push_escaped(html, value);
    html.push_str(if selected { "\" selected>" } else { "\">" });
    push_escaped(html, text);
    html.push_str("</option>");
}

/// Lists longer than this are drawn on first use while unanswered (and without autocomplete, which fills a select
/// through its options): the browser styles every option even while the list is closed, and step 2's 132 ADELI
/// specialities were half of what it styled to show the step (Chromium trace: 805 elements, 412 without them). They
/// wait in a `<template data-options>` in the select, moved in at its first press or focus, before it opens; the
/// page before the app does the same (src/shell.js).
const DRAWN_ON_USE: usize = 20;

/// Moves a long list's options in: see [`DRAWN_ON_USE`].
fn draw_on_use(ev: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let Some(select) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    if let Ok(Some(waiting)) = select.query_selector(&format!("template[{OPTIONS}]"))
        && let Ok(template) = waiting.dyn_into::<web_sys::HtmlTemplateElement>()
    {
        let _ = template.replace_with_with_node_1(&template.content());
    }
}

/// A select bound to a draft answer, its choices possibly changing with other answers; an empty first choice is
/// added. With `id`, the select is one of several controls of the field, whose group shows the error.
#[component]
pub fn SelectField(
    field: Field,
    lens: Lens,
    #[prop(into)] options: Signal<Choices>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] label: Option<&'static str>,
    #[prop(default = "Choisissez…")] empty: &'static str,
) -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    let current = move || draft.with(|d| (lens.get)(d).clone());
    let unanswered = Memo::new(move |_| draft.with(|d| (lens.get)(d).is_empty()));
    // The options are drawn as one piece of HTML (one DOM call instead of a view per option: step 2 has hundreds),
    // each `selected` set once, when drawn; later changes go through the select's `value`.
    let options = move || {
        let now = draft.with_untracked(|d| (lens.get)(d).clone());
        let mut html = String::new();
        push_option(&mut html, "", empty, now.is_empty());
        options.with(|choices| {
            let count: usize = choices.0.iter().map(|(_, items)| items.len()).sum();
            let on_use = count > DRAWN_ON_USE && autocomplete.is_none() && unanswered.get();
            if on_use {
                html.push_str(&format!("<template {OPTIONS}>"));
            }
            for (group, items) in &choices.0 {
                if let Some(label) = group {
                    html.push_str("<optgroup label=\"");
                    push_escaped(&mut html, label);
                    html.push_str("\">");
                }
                for (value, text) in items {
                    push_option(&mut html, value, text, *value == now);
                }
                if group.is_some() {
                    html.push_str("</optgroup>");
                }
            }
            if on_use {
                html.push_str("</template>");
            }
        });
        html
    };
    view! {
        <div class="champ">
            <label for=id.unwrap_or(field.key())>
                {label.unwrap_or(field.label())}
                {required.then(|| view! { <span class="requis" aria-hidden="true">"*"</span> })}
                {card_mark(field)}
            </label>
            {hint_view(field, hint)}
            <select
                disabled=proven(field)
                id=id.unwrap_or(field.key())
                name=id.unwrap_or(field.key())
                autocomplete=autocomplete
                aria-required=required.then_some("true")
                aria-invalid=invalid(field)
                aria-describedby=described_by(field, hint.is_some())
                prop:value=current
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    draft.update(|d| *(lens.set)(d) = value);
                    wizard.edited(field);
                    wizard.touch(field);
                }
                on:blur=move |_| wizard.touch(field)
                on:pointerdown=move |ev| draw_on_use(&ev)
                on:focus=move |ev| draw_on_use(&ev)
                inner_html=options
            ></select>
            {id.is_none().then(|| view! { <FieldError field /> })}
        </div>
    }
}

/// A yes/no question as two radio buttons in a fieldset.
#[component]
pub fn YesNoField(
    field: Field,
    lens: ChoiceLens,
    legend: &'static str,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    let radio = move |value: bool, text: &'static str| {
        let id = format!("{}-{}", field.key(), if value { "oui" } else { "non" });
        // The first radio carries the field's id, so that focus can be moved to the question.
        let input_id = if value { field.key().to_owned() } else { id };
        let label_for = input_id.clone();
        view! {
            <label class="choix" for=label_for>
                <input
                    type="radio"
                    id=input_id
                    name=field.key()
                    prop:checked=move || draft.with(|d| (lens.get)(d) == Some(value))
                    aria-describedby=described_by(field, false)
                    on:change=move |_| {
                        draft.update(|d| *(lens.set)(d) = Some(value));
                        wizard.edited(field);
                        wizard.touch(field);
                    }
                />
                {text}
            </label>
        }
    };
    view! {
        <fieldset
            class="champ oui-non"
            role="radiogroup"
            aria-labelledby=format!("{}-question", field.key())
            aria-invalid=invalid(field)
            aria-required=required.then_some("true")
        >
            <legend id=format!("{}-question", field.key())>
                {legend}
                {required.then(|| view! { <span class="requis" aria-hidden="true">"*"</span> })}
            </legend>
            {radio(true, "Oui")}
            {radio(false, "Non")}
            <FieldError field />
        </fieldset>
    }
}

/// A checkbox bound to a draft flag.
#[component]
pub fn CheckField(field: Field, lens: FlagLens, children: Children, #[prop(optional)] required: bool) -> impl IntoView {
    let wizard = use_wizard();
    let draft = wizard.draft;
    view! {
        <div class="champ case">
            <input
                type="checkbox"
                id=field.key()
                name=field.key()
                aria-required=required.then_some("true")
                aria-invalid=invalid(field)
                aria-describedby=described_by(field, false)
                prop:checked=move || draft.with(|d| (lens.get)(d))
                on:change=move |ev| {
                    let checked = event_target_checked(&ev);
                    draft.update(|d| *(lens.set)(d) = checked);
                    wizard.edited(field);
                    wizard.touch(field);
                }
            />
            <label for=field.key()>
                {children()}
                {required.then(|| view! { <span class="requis" aria-hidden="true">"*"</span> })}
            </label>
            <FieldError field />
        </div>
    }
}

/// A read-only value shown like a field (derived answers: identifier, address, département).
#[component]
pub fn ReadOnly(
    id: &'static str,
    label: &'static str,
    value: Signal<String>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="champ">
            <label for=id>{label}</label>
            <input id=id type="text" readonly autocomplete=autocomplete prop:value=value class="lecture-seule" />
        </div>
    }
}
