//! The audit log: what it records, and that tampering with it in the database is found.

use callvault::infra::entities::audit_event;
use callvault_shared::api::{AuditEvent, AuditOutcome, AuditPage, AuditVerification, User};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder,
};

use crate::helpers::{ROOT_PASSWORD, TestApp, USER_PASSWORD};

async fn events(app: &TestApp, session: &crate::helpers::Session, query: &str) -> AuditPage {
    let response = app
        .get_as(&format!("/api/v1/tenants/system/audit{query}"), session)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

/// `GET …/audit/verify` through the shared helper, read as the API's type.
async fn verify(
    app: &TestApp,
    session: &crate::helpers::Session,
    tenant: &str,
) -> AuditVerification {
    serde_json::from_value(app.audit_verify(session, tenant).await).expect("a verification")
}

#[tokio::test]
async fn security_relevant_actions_are_recorded_without_secrets() {
    let app = TestApp::spawn().await;
    assert_eq!(app.login("root", "a wrong password!").await.status(), 401);
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;

    let page = events(&app, &root, "").await;
    let actions: Vec<(&str, AuditOutcome)> = page
        .events
        .iter()
        .map(|e| (e.action.as_str(), e.outcome))
        .collect();
    for expected in [
        ("tenant.create", AuditOutcome::Success),
        ("auth.login", AuditOutcome::Success),
        ("auth.login", AuditOutcome::Denied),
        ("user.create", AuditOutcome::Success),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    let newest = page.events.first().expect("an event");
    assert_eq!(newest.action, "tenant.create");
    assert_eq!(newest.actor, "root");
    assert_eq!(newest.origin, "127.0.0.1");

    let filtered = events(&app, &root, "?action=auth.login&outcome=denied").await;
    assert_eq!(filtered.events.len(), 1);
    let page = events(&app, &root, "?limit=2").await;
    let cursor = page.next_cursor.expect("more pages");
    let older = events(&app, &root, &format!("?limit=2&before={cursor}")).await;
    assert!(older.events.first().expect("an older event").seq < cursor);

    let everything = app
        .get_as("/api/v1/tenants/system/audit/export", &root)
        .await
        .text()
        .await
        .expect("text");
    assert!(!everything.contains(ROOT_PASSWORD) && !everything.contains("a wrong password!"));
    assert!(!everything.contains(&root.token) && !everything.contains(&root.csrf));
    let lines: Vec<AuditEvent> = everything
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record per line"))
        .collect();
    assert!(lines.len() >= 5);
    assert!(lines.windows(2).all(|w| w[0].seq < w[1].seq));
}

#[tokio::test]
async fn verify_finds_an_edited_a_deleted_and_a_truncated_record() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    for slug in ["one", "two", "three"] {
        app.create_tenant(&root, slug).await;
    }
    let verdict = verify(&app, &root, "system").await;
    assert!(verdict.intact, "{verdict:?}");
    let total = verdict.records_checked;
    assert!(total >= 6);

    let db = app.db().await;
    let system = serde_json::from_value::<User>(root.user.clone())
        .expect("a user")
        .tenant_id;
    let system_events = || {
        audit_event::Entity::find()
            .filter(audit_event::Column::TenantId.eq(system))
            .filter(audit_event::Column::Action.eq("tenant.create"))
            .order_by_asc(audit_event::Column::Seq)
    };

    // Edit one record's details.
    let edited = system_events().all(&db).await.expect("rows").remove(1);
    let seq = edited.seq;
    let original = edited.clone();
    let mut row = edited.into_active_model();
    row.details = Set("{\"slug\":\"innocent\"}".into());
    row.update(&db).await.expect("edited");
    let verdict = verify(&app, &root, "system").await;
    assert!(!verdict.intact);
    let problem = verdict.problems.first().expect("a problem");
    assert_eq!(problem.seq, seq, "{verdict:?}");
    assert!(problem.problem.contains("altered"));
    original
        .clone()
        .into_active_model()
        .reset_all()
        .update(&db)
        .await
        .expect("restored");
    assert!(verify(&app, &root, "system").await.intact);

    // Delete a record in the middle.
    original.clone().delete(&db).await.expect("deleted");
    let verdict = verify(&app, &root, "system").await;
    assert!(!verdict.intact);
    assert_eq!(
        verdict.problems.first().expect("a problem").seq,
        seq,
        "{verdict:?}"
    );
    original
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .expect("restored");
    assert!(verify(&app, &root, "system").await.intact);

    // Delete the newest record.
    let newest = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(original.tenant_id))
        .order_by_desc(audit_event::Column::Seq)
        .one(&db)
        .await
        .expect("query")
        .expect("a record");
    let newest_seq = newest.seq;
    newest.delete(&db).await.expect("deleted");
    let verdict = verify(&app, &root, "system").await;
    assert!(!verdict.intact);
    assert_eq!(
        verdict.problems.first().expect("a problem").seq,
        newest_seq,
        "{verdict:?}"
    );
}

#[tokio::test]
async fn auditors_read_the_log_and_nothing_else() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "eve", "auditor").await;
    let eve = app.sign_in("eve", USER_PASSWORD).await;
    assert_eq!(
        app.get_as("/api/v1/tenants/acme/audit", &eve)
            .await
            .status(),
        200
    );
    assert!(verify(&app, &eve, "acme").await.intact);
    assert_eq!(
        app.get_as("/api/v1/tenants/acme/users", &eve)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_as("/api/v1/tenants/system/audit", &eve)
            .await
            .status(),
        404
    );
}
