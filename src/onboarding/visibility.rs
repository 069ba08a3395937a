//! Step "Sichtbarkeit in der Kontaktsuche festlegen": off unless the person ticks the box.
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::steps;
use super::wizard::Step;
use crate::accounts::store;
use crate::app::AppState;
use crate::error::AppResult;
use crate::web::form::StrictForm;
use crate::web::page::{self, Layout};

#[derive(Template)]
#[template(path = "onboarding/visibility.html")]
struct VisibilityPage {
    layout: Layout,
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    let (_, account) = or_elsewhere!(steps::current_step(&state, &headers, Step::ContactVisibility));
    let t = account.language.texts();
    page::render(
        StatusCode::OK,
        &VisibilityPage { layout: Layout::step(&state, &account, Step::ContactVisibility, t.visibility_title) },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisibilityForm {
    visible: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    StrictForm(form): StrictForm<VisibilityForm>,
) -> AppResult<Response> {
    let (_, account) = or_elsewhere!(steps::current_step(&state, &headers, Step::ContactVisibility));
    store::set_visible(&state.db, &account.id, form.visible.is_some()).await?;
    steps::advance(&state, &account, Step::ContactVisibility).await
}
