//! Contacts (issue 5): who can be found, umlauts and prefixes, pages, the list, SMS to contacts.
use crate::both_databases;
use crate::harness::{Backend, MOBILE, PASSWORD, SERVICE_PIN, TestApp};
use sprechstunde::accounts;
use sprechstunde::contacts::store::{self, Found};
use sprechstunde::db::Db;

async fn found(app: &TestApp, browser: &reqwest::Client, query: &str) -> String {
    let response = app.get(browser, &format!("/kontakte/suche?q={}", urlencode(query))).await;
    assert_eq!(response.status(), 200, "{query}");
    response.text().await.unwrap()
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_owned()
}

async fn id_of(app: &TestApp, email: &str) -> String {
    accounts::store::find(&app.state().db, email).await.unwrap().unwrap().id.to_string()
}

async fn only_visible_active_users_are_ever_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.member("ida.suchend@praxis-beispiel.de", "Dr. Ida Suchend", "isuchend", true).await;
    app.member("sichtbar@praxis-beispiel.de", "Dr. Vera Findbar", "vfindbar", true).await;
    app.member("unsichtbar@praxis-beispiel.de", "Dr. Vera Versteckt", "vversteckt", false).await;
    app.create_account("eingeladen@praxis-beispiel.de", "Dr. Vera Eingeladen").await;
    // Registering, not finished (and would be visible):
    app.deliver().await;
    let unfinished = app.browser();
    app.register(&unfinished, &app.last_link_to("eingeladen@praxis-beispiel.de"), "veingeladen").await;
    // Locked by support:
    app.member("gesperrt@praxis-beispiel.de", "Dr. Vera Gesperrt", "vgesperrt", true).await;
    let locked = sprechstunde::accounts::AccountId::from_stored(id_of(&app, "gesperrt@praxis-beispiel.de").await);
    sprechstunde::accounts::store::set_locked(&app.state().db.pool, &locked, true).await.unwrap();
    sprechstunde::accounts::search_index::refresh_now(&app.state().db, &locked).await.unwrap();
    // Staff:
    crate::support::agent(&app).await;

    let html = found(&app, &me, "Vera").await;
    assert!(html.contains("Dr. Vera Findbar") && html.contains("(vfindbar)"));
    for hidden in ["Versteckt", "Eingeladen", "Gesperrt"] {
        assert!(!html.contains(hidden), "{hidden} must not be found");
        let direct = found(&app, &me, hidden).await;
        assert!(direct.contains("Niemand gefunden."), "{hidden} by its own name");
    }
    assert!(found(&app, &me, "Sam Support").await.contains("Niemand gefunden."), "staff");
    assert!(found(&app, &me, "sam").await.contains("Niemand gefunden."), "staff by username");
    assert!(!found(&app, &me, "Ida").await.contains("Suchend"), "not oneself");
    assert_eq!(html.matches("data-contact=").count(), 1, "counts include nobody hidden");
    for secret in ["sichtbar@praxis-beispiel.de", MOBILE] {
        assert!(!html.contains(secret), "results never show {secret}");
    }
    assert!(html.contains("type=\"search\"") && html.contains("<label for=\"q\">Name oder Benutzername</label>"));
}

async fn umlauts_and_prefixes_of_any_name_part(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.member("ida.suchend@praxis-beispiel.de", "Dr. Ida Suchend", "isuchend", true).await;
    app.member("joerg@praxis-beispiel.de", "Dr. Jörg Müller-Lüdenscheidt", "jmueller", true).await;
    for query in
        ["muller", "mueller", "Müller", "MÜL", "mü", "lüden", "ludenscheidt", "Jörg", "jorg", "joerg mu", "jmue"]
    {
        assert!(found(&app, &me, query).await.contains("Müller-Lüdenscheidt"), "{query}");
    }
    for query in ["üller", "mullerx", "jörg lindner", "xyz"] {
        assert!(!found(&app, &me, query).await.contains("Müller-Lüdenscheidt"), "{query}");
    }
}

async fn results_come_in_pages_exact_matches_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.member("ida.suchend@praxis-beispiel.de", "Dr. Ida Suchend", "isuchend", true).await;
    sprechstunde::dev::seed(app.state(), 2000, true).await.unwrap();
    // "Ben" is every 40th synthetic account (all of them visible): 50 of them.
    let first = found(&app, &me, "ben").await;
    let second_url = "/kontakte/suche?q=ben&seite=2";
    assert!(first.contains("href=\"/kontakte/suche?q=ben&amp;seite=2\""), "a link to more");
    let second = app.get(&me, second_url).await.text().await.unwrap();
    let ids = |html: &str| -> Vec<String> {
        html.split("data-contact=\"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect()
    };
    let (page1, page2) = (ids(&first), ids(&second));
    assert_eq!((page1.len(), page2.len()), (20, 20));
    assert!(page1.iter().all(|id| !page2.contains(id)), "pages do not repeat");
    assert!(second.contains("seite=3"), "a third page");
    let third = app.get(&me, "/kontakte/suche?q=ben&seite=3").await.text().await.unwrap();
    assert_eq!(ids(&third).len(), 10);
    assert!(!third.contains("seite=4"), "no fourth page");
    // Exact term first: "Hahn" before "Hahnberg"/"Hahnmann" etc.
    let hahn = found(&app, &me, "hahn").await;
    let names: Vec<&str> = hahn.split("<strong>").skip(1).map(|rest| rest.split("</strong>").next().unwrap()).collect();
    let last_names: Vec<&str> = names.iter().map(|n| n.rsplit(' ').next().unwrap()).collect();
    let first_other = last_names.iter().position(|n| *n != "Hahn").unwrap_or(last_names.len());
    assert!(first_other > 0 && last_names[first_other..].iter().all(|n| *n != "Hahn"), "{last_names:?}");
}

async fn the_contact_list_belongs_to_its_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.member("anna@praxis-beispiel.de", "Dr. Anna Arzt", "aarzt", true).await;
    let ben = app.member("ben@praxis-beispiel.de", "Dr. Ben Berger", "bberger", true).await;
    app.member("hidden@praxis-beispiel.de", "Dr. Hanna Hidden", "hhidden", false).await;
    let ben_id = id_of(&app, "ben@praxis-beispiel.de").await;
    let anna_id = id_of(&app, "anna@praxis-beispiel.de").await;
    let hidden_id = id_of(&app, "hidden@praxis-beispiel.de").await;
    app.deliver().await;
    let messages_before = (app.mails().len(), app.sms().len());
    let added = app.post(&anna, "/kontakte", &[("contact", &ben_id)]).await;
    assert_eq!(added.headers()["location"], "/kontakte?hinzugefuegt");
    app.deliver().await;
    assert_eq!((app.mails().len(), app.sms().len()), messages_before, "adding tells nobody");
    let list = app.get(&anna, "/kontakte").await.text().await.unwrap();
    assert!(list.contains("Dr. Ben Berger") && list.contains(">Entfernen</button>"));
    assert!(found(&app, &anna, "Ben").await.contains("In Ihren Kontakten"));
    assert!(!app.get(&ben, "/kontakte").await.text().await.unwrap().contains("Anna Arzt"), "lists are one-way");
    assert_eq!(
        app.post(&anna, "/kontakte", &[("contact", &hidden_id)]).await.status(),
        404,
        "hidden accounts cannot be added"
    );
    assert_eq!(app.post(&anna, "/kontakte", &[("contact", &anna_id)]).await.status(), 404, "nor oneself");
    app.post(&ben, &format!("/kontakte/{ben_id}/entfernen"), &[]).await;
    assert!(
        app.get(&anna, "/kontakte").await.text().await.unwrap().contains("Dr. Ben Berger"),
        "only the owner removes"
    );
    assert_eq!(app.get(&ben, &format!("/kontakte/{ben_id}/sms")).await.status(), 404, "not in Ben's list");
    app.post(&anna, &format!("/kontakte/{ben_id}/entfernen"), &[]).await;
    assert!(!app.get(&anna, "/kontakte").await.text().await.unwrap().contains("Dr. Ben Berger"));
}

async fn contact_by_sms_without_ever_seeing_the_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.member("anna@praxis-beispiel.de", "Dr. Anna Arzt", "aarzt", true).await;
    let ben = app.member("ben@praxis-beispiel.de", "Dr. Ben Berger", "bberger", true).await;
    let ben_id = id_of(&app, "ben@praxis-beispiel.de").await;
    app.post(&anna, "/kontakte", &[("contact", &ben_id)]).await;
    let list = app.get(&anna, "/kontakte").await.text().await.unwrap();
    assert!(list.contains("derzeit nicht per SMS erreichbar"), "no verified number yet");
    assert_eq!(app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", "Hallo")]).await.status(), 409);
    // Ben verifies a number.
    app.post(&ben, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&ben, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    let sms_before = app.sms().len();
    let list = app.get(&anna, "/kontakte").await.text().await.unwrap();
    assert!(list.contains("per SMS erreichbar") && list.contains(">Per SMS kontaktieren</a>"));
    let form = app.get(&anna, &format!("/kontakte/{ben_id}/sms")).await.text().await.unwrap();
    assert!(form.contains("<label for=\"note\">") && form.contains(">Senden</button>"));
    let too_long = "x".repeat(161);
    assert_eq!(app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", &too_long)]).await.status(), 422);
    let sent = app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", "Rückruf bitte")]).await;
    assert_eq!(sent.headers()["location"], "/kontakte?gesendet");
    app.deliver().await;
    let (to, text) = app.sms().pop().unwrap();
    assert_eq!(app.sms().len(), sms_before + 1);
    assert_eq!(to, MOBILE);
    assert!(
        text.starts_with("Dr. Anna Arzt möchte Sie in der Videosprechstunde erreichen. Nachricht: „Rückruf bitte“"),
        "{text}"
    );
    assert!(text.ends_with(&format!("{}/", app.base)));
    for page in ["/kontakte", &format!("/kontakte/{ben_id}/sms"), "/kontakte/suche?q=ben", "/kontakte?gesendet"] {
        let html = app.get(&anna, page).await.text().await.unwrap();
        assert!(!html.contains("1711234567") && !html.contains("••••567"), "{page} shows the number");
    }
    // Caps per sender: 5 an hour.
    for _ in 0..4 {
        assert_eq!(app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", "")]).await.status(), 303);
    }
    let capped = app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", "")]).await;
    assert_eq!(capped.status(), 429);
    assert!(capped.text().await.unwrap().contains("zu viele SMS"));
    let history =
        sprechstunde::security::audit::for_account(&app.state().db, &id_of(&app, "anna@praxis-beispiel.de").await, 100)
            .await
            .unwrap();
    assert_eq!(history.iter().filter(|r| r.event == "contact.sms" && r.outcome == "success").count(), 5);
    assert!(history.iter().any(|r| r.event == "contact.sms" && r.outcome == "capped"));
}

/// Anna and Ben, both visible; Ben has a verified number and is in Anna's list: (Anna, Ben, Ben's id).
async fn anna_with_reachable_ben(app: &TestApp) -> (reqwest::Client, reqwest::Client, String) {
    let anna = app.member("anna@praxis-beispiel.de", "Dr. Anna Arzt", "aarzt", true).await;
    let ben = app.member("ben@praxis-beispiel.de", "Dr. Ben Berger", "bberger", true).await;
    let ben_id = id_of(app, "ben@praxis-beispiel.de").await;
    app.post(&ben, "/profil/zwei-faktor/aktivieren", &[("phone", "0171 1234567")]).await;
    let code = app.last_code_to(MOBILE).await;
    app.post(&ben, "/profil/zwei-faktor/aktivieren/code", &[("code", &code)]).await;
    app.post(&anna, "/kontakte", &[("contact", &ben_id)]).await;
    (anna, ben, ben_id)
}

async fn parallel_messages_cannot_pass_the_cap(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (anna, _, ben_id) = anna_with_reachable_ben(&app).await;
    let path = format!("/kontakte/{ben_id}/sms");
    let posts = (0..12).map(|_| (anna.clone(), path.as_str(), vec![("note".to_owned(), String::new())])).collect();
    let mut statuses: Vec<u16> = app.post_all_at_once(posts).await.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [[303; 5].as_slice(), &[429; 7]].concat(), "5 an hour, however they arrive");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM contact_messages WHERE recipient_id = $1", &ben_id).await, 5);
    let db = &app.state().db;
    assert_eq!(db.purge_serial_locks(app.clock.now() - 86_400).await.unwrap(), 0, "recent lock rows stay");
    assert!(db.purge_serial_locks(app.clock.now() + 1).await.unwrap() >= 1, "old ones go");
}

async fn turning_visibility_off_takes_effect_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (anna, ben, ben_id) = anna_with_reachable_ben(&app).await;
    assert!(found(&app, &anna, "Berger").await.contains("Dr. Ben Berger"));
    app.post(&ben, "/profil/sichtbarkeit", &[]).await;
    assert!(found(&app, &anna, "Berger").await.contains("Niemand gefunden."), "gone from search at once");
    let list = app.get(&anna, "/kontakte").await.text().await.unwrap();
    assert!(
        list.contains("Dr. Ben Berger") && list.contains("derzeit nicht per SMS erreichbar"),
        "stays, not reachable"
    );
    let refused = app.post(&anna, &format!("/kontakte/{ben_id}/sms"), &[("note", "")]).await;
    assert_eq!(refused.status(), 409);
    app.post(&ben, "/profil/sichtbarkeit", &[("visible", "ja")]).await;
    assert!(found(&app, &anna, "Berger").await.contains("Dr. Ben Berger"), "back at once");
    let _ = (PASSWORD, SERVICE_PIN);
}

async fn searching_is_rate_limited_per_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let me = app.member("ida.suchend@praxis-beispiel.de", "Dr. Ida Suchend", "isuchend", true).await;
    for i in 1..=60 {
        let response = app.get(&me, "/kontakte/suche?q=a").await;
        let status = response.status();
        assert_eq!(status, 200, "search {i} of 60: {}", response.text().await.unwrap_or_default());
    }
    assert_eq!(app.get(&me, "/kontakte/suche?q=a").await.status(), 429);
    assert_eq!(app.get(&me, "/kontakte").await.status(), 200, "the list still works");
    app.clock.advance(60);
    assert_eq!(app.get(&me, "/kontakte/suche?q=a").await.status(), 200);
}

/// A database from before migration 9 (terms without name and username) keeps finding the same people.
async fn an_older_index_is_upgraded_in_place(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("alt.db").display()), None),
        Backend::Postgres => {
            let (url, pg) = crate::harness::create_pg_database().await;
            (url, Some(pg))
        }
    };
    let _drop = crate::harness::DropDatabase(pg);
    let db = Db::connect(&url).await.unwrap();
    db.migrate_up_to(8).await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (id, email, email_normalized, name, name_lower, language, status, created_at, edition, \
         wizard_steps, role, username, username_normalized, visible) \
         VALUES ('a1', 'j@praxis.example', 'j@praxis.example', 'Dr. Jana Müller', 'dr. jana müller', 'de', 'active', 0, \
         'standard', '', 'user', 'jmueller', 'jmueller', 1)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    for term in ["jana", "jmueller", "mueller", "muller"] {
        sqlx::query("INSERT INTO contact_search (term, account_id) VALUES ($1, 'a1')")
            .bind(term)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO contact_search_pairs (first_term, second_term, account_id) VALUES ('jana', 'mueller', 'a1')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let jana = Found { id: "a1".into(), name: "Dr. Jana Müller".into(), username: "jmueller".into() };
    for query in ["Müller", "muller", "Jana Mü", "jmu"] {
        let (found, more) = store::search(&db, query, "someone-else", 0).await.unwrap();
        assert_eq!((found, more), (vec![jana.clone()], false), "{query}");
    }
    db.pool.close().await;
}

/// Before adding, people without a mobile number are marked; removing can be undone; the SMS form warns
/// about patient data and counts characters.
async fn contacts_as_people_use_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (anna, _, ben_id) = anna_with_reachable_ben(&app).await;
    let carl_browser = app.member("carl@praxis-beispiel.de", "Dr. Carl Berger", "cberger", true).await;
    // Practice and town tell people apart; a value too long comes back as typed.
    let long = "x".repeat(101);
    let refused = app.post(&carl_browser, "/profil/praxis", &[("practice", &long), ("city", "Husum")]).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("höchstens 100 Zeichen") && html.contains(&format!("value=\"{long}\"")));
    let saved = app.post(&carl_browser, "/profil/praxis", &[("practice", "Praxis am Deich"), ("city", "Husum")]).await;
    assert_eq!(saved.headers()["location"], "/profil?geaendert=praxis");
    let results = found(&app, &anna, "berger").await;
    assert!(results.contains("<span class=\"place\">Praxis am Deich · Husum</span>"), "{results}");
    let carl = &results[results.find("Dr. Carl Berger").unwrap()..];
    assert!(carl[..carl.find("</li>").unwrap()].contains("ohne Mobilfunknummer"), "{results}");
    let ben = &results[results.find("Dr. Ben Berger").unwrap()..];
    assert!(!ben[..ben.find("</li>").unwrap()].contains("ohne Mobilfunknummer"));

    let removed = app.post(&anna, &format!("/kontakte/{ben_id}/entfernen"), &[]).await;
    let location = removed.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/kontakte?entfernt={ben_id}"));
    let list = app.get(&anna, &location).await.text().await.unwrap();
    assert!(list.contains("Der Kontakt wurde entfernt.") && list.contains("id=\"undo-remove\""));
    assert!(!list.contains("data-contact=\""), "gone from the list");
    app.post(&anna, "/kontakte", &[("contact", &ben_id)]).await;
    assert!(app.get(&anna, "/kontakte").await.text().await.unwrap().contains("Dr. Ben Berger"), "undone");

    let form = app.get(&anna, &format!("/kontakte/{ben_id}/sms")).await.text().await.unwrap();
    assert!(form.contains("keine Patientendaten") && form.contains("id=\"note-count\" data-max=\"160\""));
    assert!(form.contains("/static/counter.") && form.contains(".js\" defer"));
    // The profile lists sessions with their device (only a summary of the User-Agent is kept).
    let phone = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
        )
        .build()
        .unwrap();
    app.post(&phone, "/anmelden", &[("username", "aarzt"), ("password", PASSWORD)]).await;
    let sessions = app.get(&phone, "/profil").await.text().await.unwrap();
    assert!(sessions.contains("Chrome · Android: angemeldet seit"), "{sessions}");
    assert!(sessions.contains("Unbekanntes Gerät: angemeldet seit"), "the test client without a User-Agent");
    let profile = app.get(&anna, "/profil").await.text().await.unwrap();
    assert!(profile.contains("<td id=\"my-name\">Dr. Anna Arzt</td>") && profile.contains("anna@praxis-beispiel.de"));
    assert!(profile.contains("Mobilfunknummer hinterlegen"), "no number yet");
}

both_databases!(
    contacts_as_people_use_them,
    an_older_index_is_upgraded_in_place,
    only_visible_active_users_are_ever_found,
    umlauts_and_prefixes_of_any_name_part,
    results_come_in_pages_exact_matches_first,
    the_contact_list_belongs_to_its_owner,
    contact_by_sms_without_ever_seeing_the_number,
    turning_visibility_off_takes_effect_at_once,
    parallel_messages_cannot_pass_the_cap,
    searching_is_rate_limited_per_account,
);

#[test]
fn dev_seed_and_the_search_benchmark_run() {
    let _shared = crate::harness::shared_blocking();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sprechstunde"))
            .args(args)
            .env("SPRECHSTUNDE_DATA_DIR", dir.path())
            .env("SPRECHSTUNDE_LOG", "error")
            .env_remove("SPRECHSTUNDE_DATABASE_URL")
            .output()
            .unwrap()
    };
    let seeded = run(&["dev", "seed", "--accounts", "500"]);
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    assert!(String::from_utf8_lossy(&seeded.stderr).contains("NUR FÜR ENTWICKLUNG"));
    let bench = run(&["dev", "bench-search", "--queries", "50", "--clients", "2"]);
    assert!(bench.status.success(), "{}", String::from_utf8_lossy(&bench.stderr));
    let out = String::from_utf8(bench.stdout).unwrap();
    assert!(out.contains("accounts=500 findable=400"), "{out}");
    assert!(out.contains("p50=") && out.contains("p99=") && out.contains("searches/s"), "{out}");
    assert!(run(&["account", "create", "--email", "echt@praxis-beispiel.de", "--name", "Echt"]).status.success());
    let refused = run(&["dev", "seed", "--accounts", "600"]);
    assert!(!refused.status.success(), "never on a database with real accounts");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("echte Accounts"));
}
