//! The audit log: what it records, and that tampering with it in the database is found.

use callvault::infra::entities::audit_event;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, ModelTrait,
    QueryFilter, QueryOrder,
};
use serde_json::Value;

use crate::helpers::{ROOT_PASSWORD, TestApp, USER_PASSWORD};

async fn events(app: &TestApp, session: &crate::helpers::Session, query: &str) -> Value {
    let response = app
        .get_as(&format!("/api/v1/tenants/system/audit{query}"), session)
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

#[tokio::test]
async fn security_relevant_actions_are_recorded_without_secrets() {
    let app = TestApp::spawn().await;
    assert_eq!(app.login("root", "a wrong password!").await.status(), 401);
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;

    let page = events(&app, &root, "").await;
    let actions: Vec<(&str, &str)> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("tenant.create", "success"),
        ("auth.login", "success"),
        ("auth.login", "denied"),
        ("user.create", "success"),
    ] {
        assert!(
            actions.contains(&expected),
            "{expected:?} missing from {actions:?}"
        );
    }
    let newest = &page["events"][0];
    assert_eq!(newest["action"], "tenant.create");
    assert_eq!(newest["actor"], "root");
    assert_eq!(newest["origin"], "127.0.0.1");

    let filtered = events(&app, &root, "?action=auth.login&outcome=denied").await;
    assert_eq!(filtered["events"].as_array().expect("events").len(), 1);
    let page = events(&app, &root, "?limit=2").await;
    let cursor = page["next_cursor"].as_i64().expect("more pages");
    let older = events(&app, &root, &format!("?limit=2&before={cursor}")).await;
    assert!(older["events"][0]["seq"].as_i64().expect("seq") < cursor);

    let everything = app
        .get_as("/api/v1/tenants/system/audit/export", &root)
        .await
        .text()
        .await
        .expect("text");
    assert!(!everything.contains(ROOT_PASSWORD) && !everything.contains("a wrong password!"));
    assert!(!everything.contains(&root.token) && !everything.contains(&root.csrf));
    let lines: Vec<Value> = everything
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record per line"))
        .collect();
    assert!(lines.len() >= 5);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64())
    );
}

#[tokio::test]
async fn verify_finds_an_edited_a_deleted_and_a_truncated_record() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    for slug in ["one", "two", "three"] {
        app.create_tenant(&root, slug).await;
    }
    let verdict = app.audit_verify(&root, "system").await;
    assert_eq!(verdict["intact"], true, "{verdict}");
    let total = verdict["records_checked"].as_u64().expect("count");
    assert!(total >= 6);

    let db = app.db().await;
    let system = uuid::Uuid::try_parse(root.user["tenant_id"].as_str().expect("id")).expect("uuid");
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
    let verdict = app.audit_verify(&root, "system").await;
    assert_eq!(verdict["intact"], false);
    assert_eq!(verdict["problems"][0]["seq"], seq, "{verdict}");
    assert!(
        verdict["problems"][0]["problem"]
            .as_str()
            .expect("text")
            .contains("altered")
    );
    original
        .clone()
        .into_active_model()
        .reset_all()
        .update(&db)
        .await
        .expect("restored");
    assert_eq!(app.audit_verify(&root, "system").await["intact"], true);

    // Delete a record in the middle.
    original.clone().delete(&db).await.expect("deleted");
    let verdict = app.audit_verify(&root, "system").await;
    assert_eq!(verdict["intact"], false);
    assert_eq!(verdict["problems"][0]["seq"], seq, "{verdict}");
    original
        .clone()
        .into_active_model()
        .reset_all()
        .insert(&db)
        .await
        .expect("restored");
    assert_eq!(app.audit_verify(&root, "system").await["intact"], true);

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
    let verdict = app.audit_verify(&root, "system").await;
    assert_eq!(verdict["intact"], false);
    assert_eq!(verdict["problems"][0]["seq"], newest_seq, "{verdict}");
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
    assert_eq!(app.audit_verify(&eve, "acme").await["intact"], true);
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
