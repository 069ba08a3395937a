//! Step "Sichtbarkeit in der Kontaktsuche festlegen": off unless the person ticks the box.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::accounts::progress::{self, AtStep};
use crate::domain::wizard::Step;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::form::StrictForm;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "onboarding/visibility.html")]
struct VisibilityPage {
    layout: Layout,
}

pub async fn show(State(state): State<AppState>, AtStep(_, account): AtStep) -> AppResult<Response> {
    let t = account.language.texts();
    page::render(
        StatusCode::OK,
        &VisibilityPage {
            layout: Layout::step(&state, account.language, &account.plan, Step::ContactVisibility, t.visibility_title),
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityForm {
    visible: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    AtStep(_, account): AtStep,
    StrictForm(form): StrictForm<VisibilityForm>,
) -> AppResult<Response> {
    progress::choose_visibility(&state, &account, form.visible.is_some()).await
}
