//! The OpenAPI 3.1 description of `/api/v1`. A test checks it against the router and the real responses.
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::state::AppState;

/// What the edge refuses in any text (`web::text`): control characters (line breaks included, which no
/// parameter or name here may hold) and invisible or direction-changing ones, as a regex character class.
const UNREADABLE: &str = "\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF";

fn problem_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } })
}

fn account_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Account" } } } })
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

/// `editions`: the names this installation defines (an unknown one is refused with 422).
pub fn spec(editions: &[&str]) -> Value {
    let readable = format!("^[^{UNREADABLE}]*$");
    let one_line_name = format!("^[^{UNREADABLE}]*[^{UNREADABLE}\\s][^{UNREADABLE}]*$");
    let id_param = json!({ "name": "id", "in": "path", "required": true,
        "schema": { "type": "string", "pattern": "^[0-9a-f]{32}$" } });
    let common = |mut responses: serde_json::Map<String, Value>| {
        responses.insert("401".into(), problem_response("Kein oder ungültiger API-Token"));
        responses.insert("403".into(), problem_response("Dem Token fehlt der nötige Scope"));
        // Every request's text is checked at the edge (control and invisible characters, length).
        responses.entry("422").or_insert_with(|| problem_response("Unlesbare Zeichen oder zu lange Angaben"));
        responses.insert("429".into(), problem_response("Zu viele Anfragen"));
        Value::Object(responses)
    };
    let mut account_props = serde_json::Map::new();
    for field in super::ACCOUNT_FIELDS {
        let schema = match *field {
            "id" | "name" | "edition" => json!({ "type": "string" }),
            "email" => json!({ "type": "string", "format": "email" }),
            "language" => json!({ "type": "string", "enum": ["de", "en"] }),
            "status" => {
                json!({ "type": "string", "enum": ["invited", "link_expired", "registering", "active", "locked"] })
            }
            "two_factor_enabled" | "visible" | "locked" => json!({ "type": "boolean" }),
            "created_at" => json!({ "type": "string", "format": "date-time" }),
            "registered_at" | "registration_link_sent_at" | "registration_link_expires_at" => {
                json!({ "type": ["string", "null"], "format": "date-time" })
            }
            _ => nullable("string"),
        };
        account_props.insert((*field).to_owned(), schema);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sprechstunde Admin-API",
            "version": "1",
            "description": "Accounts anlegen und verwalten. Authentifizierung: Authorization: Bearer <API-Token> (sprechstunde api-token create)."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/accounts": {
                "get": {
                    "operationId": "listAccounts",
                    "summary": "Accounts suchen (höchstens 50). Scope accounts:read.",
                    "parameters": [
                        { "name": "q", "in": "query", "schema": { "type": "string", "maxLength": super::MAX_SEARCH_CHARS, "pattern": readable }, "description": "Teil von Name, E-Mail-Adresse oder Benutzername" },
                        { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["invited", "link_expired", "registering", "active", "locked"] }, "description": "Ohne Parameter: alle; leer ist kein Status" }
                    ],
                    "responses": common(serde_json::Map::from_iter([
                        ("200".to_owned(), json!({ "description": "Gefundene Accounts", "content": { "application/json": { "schema": {
                            "type": "object", "required": ["accounts"],
                            "properties": { "accounts": { "type": "array", "items": { "$ref": "#/components/schemas/Account" } } }
                        } } } })),
                        ("400".to_owned(), problem_response("Ungültige Parameter")),
                    ]))
                },
                "post": {
                    "operationId": "createAccount",
                    "summary": "Account anlegen; die Registrierungs-E-Mail geht automatisch hinaus. Scope accounts:write.",
                    "parameters": [{ "name": "Idempotency-Key", "in": "header", "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]{1,200}$" },
                        "description": "Wiederholte Anfragen mit demselben Schlüssel liefern denselben Account und senden keine zweite E-Mail." }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewAccount" } } } },
                    "responses": common(serde_json::Map::from_iter([
                        ("201".to_owned(), account_response("Angelegt")),
                        ("200".to_owned(), account_response("Wiederholung einer bereits ausgeführten Anfrage (Idempotency-Key)")),
                        ("400".to_owned(), problem_response("Ungültiges JSON")),
                        ("409".to_owned(), problem_response("Für diese E-Mail-Adresse gibt es schon einen Account, oder der Idempotency-Key gehört zu einer anderen oder noch laufenden Anfrage")),
                        ("422".to_owned(), problem_response("Ungültige Angaben")),
                    ]))
                }
            },
            "/accounts/{id}": {
                "get": {
                    "operationId": "getAccount",
                    "summary": "Einen Account lesen. Scope accounts:read.",
                    "parameters": [id_param.clone()],
                    "responses": common(serde_json::Map::from_iter([
                        ("200".to_owned(), account_response("Der Account")),
                        ("404".to_owned(), problem_response("Unbekannt")),
                    ]))
                }
            },
            "/accounts/{id}/resend": {
                "post": {
                    "operationId": "resendRegistration",
                    "summary": "Registrierungs-E-Mail mit neuem Link senden; ältere Links gelten nicht mehr. Scope accounts:write.",
                    "parameters": [id_param],
                    "responses": common(serde_json::Map::from_iter([
                        ("200".to_owned(), account_response("Neue E-Mail eingereiht")),
                        ("404".to_owned(), problem_response("Unbekannt")),
                        ("409".to_owned(), problem_response("Bereits registriert")),
                    ]))
                }
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "NewAccount": {
                    "type": "object",
                    "required": ["email", "name"],
                    "additionalProperties": false,
                    "properties": {
                        "email": { "type": "string", "format": "email" },
                        "name": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": one_line_name, "description": "Eine Zeile, nicht leer" },
                        "language": { "type": "string", "enum": ["de", "en"], "default": "de" },
                        "edition": { "type": "string", "enum": editions, "description": "Produktausführung; ohne Angabe die Standardausführung" }
                    }
                },
                "Account": {
                    "type": "object",
                    "required": super::ACCOUNT_FIELDS,
                    "additionalProperties": false,
                    "properties": account_props
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": { "type": "string" },
                        "title": { "type": "string" },
                        "status": { "type": "integer" },
                        "detail": { "type": "string" }
                    }
                }
            }
        }
    })
}

pub async fn document(State(state): State<AppState>) -> Json<Value> {
    let editions: Vec<&str> = state.config.editions.keys().map(String::as_str).collect();
    Json(spec(&editions))
}
