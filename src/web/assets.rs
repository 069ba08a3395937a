//! Static files, embedded in the binary (no build step, no third-party resources). Pages link them by a
//! name that carries a hash of their content (`room.3f9a2c1b07.js`), so browsers keep them for a year and
//! ask again only when they change; each is gzip-compressed once, at first use (on 50 kbit/s `room.js`
//! took seconds uncompressed). The plain names still answer, cached for an hour.
//! The room's script is a set of ES modules (`room.js` imports `room-*.js`): each module's imports are
//! rewritten to the hashed names of the modules they name, so a module's name changes with what it
//! imports too, and a page never runs a new module against an old one from the cache.
use std::io::Write;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use crate::error::AppError;

const FILES: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("step1.js", "text/javascript; charset=utf-8", include_str!("../../static/step1.js")),
    ("code.js", "text/javascript; charset=utf-8", include_str!("../../static/code.js")),
    ("counter.js", "text/javascript; charset=utf-8", include_str!("../../static/counter.js")),
    ("pin.js", "text/javascript; charset=utf-8", include_str!("../../static/pin.js")),
    ("copy.js", "text/javascript; charset=utf-8", include_str!("../../static/copy.js")),
    ("live.js", "text/javascript; charset=utf-8", include_str!("../../static/live.js")),
    // The room's modules, each after the ones it imports.
    ("room-shared.js", "text/javascript; charset=utf-8", include_str!("../../static/room-shared.js")),
    ("room-view.js", "text/javascript; charset=utf-8", include_str!("../../static/room-view.js")),
    ("room-media.js", "text/javascript; charset=utf-8", include_str!("../../static/room-media.js")),
    ("room-quality.js", "text/javascript; charset=utf-8", include_str!("../../static/room-quality.js")),
    ("room-code.js", "text/javascript; charset=utf-8", include_str!("../../static/room-code.js")),
    ("room-sdp.js", "text/javascript; charset=utf-8", include_str!("../../static/room-sdp.js")),
    ("room-negotiation.js", "text/javascript; charset=utf-8", include_str!("../../static/room-negotiation.js")),
    ("room-controls.js", "text/javascript; charset=utf-8", include_str!("../../static/room-controls.js")),
    ("room.js", "text/javascript; charset=utf-8", include_str!("../../static/room.js")),
    ("devices.js", "text/javascript; charset=utf-8", include_str!("../../static/devices.js")),
    ("common-passwords.txt", "text/plain; charset=utf-8", crate::domain::password_policy::COMMON_PASSWORDS),
];

struct Asset {
    name: &'static str,
    /// `room.3f9a2c1b07.js`
    hashed: String,
    content_type: &'static str,
    body: String,
    gzipped: Vec<u8>,
    /// The hashed names of the modules it imports.
    imports: Vec<String>,
}

fn assets() -> &'static [Asset] {
    static ASSETS: OnceLock<Vec<Asset>> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let mut built: Vec<Asset> = Vec::new();
        for &(name, content_type, text) in FILES {
            let mut body = text.to_owned();
            let mut imports = Vec::new();
            for earlier in &built {
                let plain = format!("from \"./{}\"", earlier.name);
                if body.contains(&plain) {
                    body = body.replace(&plain, &format!("from \"./{}\"", earlier.hashed));
                    imports.push(earlier.hashed.clone());
                }
            }
            let digest = sha2::Sha256::digest(body.as_bytes());
            let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
            let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let gzipped = encoder.write_all(body.as_bytes()).and_then(|()| encoder.finish()).unwrap_or_default();
            let hashed = format!("{stem}.{hash}.{extension}");
            built.push(Asset { name, hashed, content_type, body, gzipped, imports });
        }
        built
    })
}

/// The address pages use for a static file: its hashed name.
pub fn url(name: &str) -> String {
    match assets().iter().find(|asset| asset.name == name) {
        Some(asset) => format!("/static/{}", asset.hashed),
        None => format!("/static/{name}"),
    }
}

/// The addresses of every module `name` imports, directly or not, for `<link rel="modulepreload">`: on a slow
/// line the browser then fetches them all at once instead of one round trip per level of imports.
pub fn module_graph(name: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut next: Vec<String> = assets().iter().filter(|a| a.name == name).flat_map(|a| a.imports.clone()).collect();
    while let Some(hashed) = next.pop() {
        if found.contains(&hashed) {
            continue;
        }
        if let Some(asset) = assets().iter().find(|a| a.hashed == hashed) {
            next.extend(asset.imports.iter().cloned());
        }
        found.push(hashed);
    }
    found.sort();
    found.into_iter().map(|hashed| format!("/static/{hashed}")).collect()
}

/// A file that is not there (an old page asking for a name that changed): the error page, cached briefly
/// like the plain names, so a proxy or browser asks again soon but not on every view.
fn missing() -> Response {
    let mut response = AppError::NotFound.into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

/// `GET /static/{name}`: by hashed name (immutable) or plain name.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let found = assets().iter().find_map(|asset| {
        if asset.hashed == name { Some((asset, true)) } else { (asset.name == name).then_some((asset, false)) }
    });
    let Some((asset, hashed)) = found else { return Ok(missing()) };
    let gzip = !asset.gzipped.is_empty()
        && headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|coding| coding.split(';').next().is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip")));
    let mut response = if gzip { asset.gzipped.clone().into_response() } else { asset.body.clone().into_response() };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzip {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    let caching = if hashed { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_hashed_name_that_changes_with_its_content() {
        let room = url("room.js");
        assert!(room.starts_with("/static/room.") && room.ends_with(".js") && room.len() == "/static/room.".len() + 13);
        assert_ne!(url("live.js").split('.').nth(1), room.split('.').nth(1));
        assert_eq!(url("unknown.js"), "/static/unknown.js");
    }

    /// Every module the room imports is served under the name its importer uses, and nothing still names
    /// a plain (hour-cached) module.
    #[test]
    fn the_room_modules_import_each_other_by_hashed_name() {
        let graph = module_graph("room.js");
        assert_eq!(graph.len(), 8, "{graph:?}");
        for asset in assets().iter().filter(|a| a.name.ends_with(".js")) {
            for line in asset.body.lines().filter(|line| line.starts_with("import ")) {
                let target = line.rsplit_once("from \"./").map(|(_, rest)| rest.trim_end_matches("\";")).unwrap();
                assert!(assets().iter().any(|a| a.hashed == target), "{}: {line}", asset.name);
            }
        }
        let shared = url("room-shared.js");
        assert!(graph.contains(&shared), "the shared module, reached through the others");
    }
}
