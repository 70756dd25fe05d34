use canopy_store::{
    ChangeSetStatus, Component, ComponentId, ComponentSnapshot, Qualification, Store,
};
use serde_json::json;

async fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(dir.path()).await.unwrap();
    (dir, store)
}

fn component(change_set: &canopy_store::ChangeSetId, name: &str) -> Component {
    Component {
        id: ComponentId::new(),
        change_set_id: change_set.clone(),
        snapshot: ComponentSnapshot {
            name: name.to_string(),
            schema: "AWS::EC2::VPC".to_string(),
            domain: json!({"CidrBlock": "10.0.0.0/16"}),
            subscriptions: json!([]),
            region_id: None,
            credential_id: None,
        },
        deleted: false,
        base: None,
        updated_at: String::new(),
    }
}

#[tokio::test]
async fn workspace_token_sealed_and_rotates() {
    let (dir, store) = open().await;
    let (workspace, token) = store.create_workspace("prod").await.unwrap();
    assert!(token.expose().len() >= 40, "token has at least 128 bits");
    assert_eq!(
        store.workspace_token(&workspace.id).await.unwrap().expose(),
        token.expose()
    );
    let rotated = store.rotate_workspace_token(&workspace.id).await.unwrap();
    assert_ne!(rotated.expose(), token.expose());
    assert_eq!(
        store.workspace_token(&workspace.id).await.unwrap().expose(),
        rotated.expose()
    );

    let database = std::fs::read(dir.path().join("canopy.db")).unwrap();
    let wal = std::fs::read(dir.path().join("canopy.db-wal")).unwrap_or_default();
    for bytes in [&database, &wal] {
        let needle = rotated.expose().as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    }
}

#[tokio::test]
async fn duplicate_workspace_rejected() {
    let (_dir, store) = open().await;
    store.create_workspace("prod").await.unwrap();
    let error = store.create_workspace("prod").await.unwrap_err();
    assert!(error.to_string().contains("already exists"), "{error}");
}

#[tokio::test]
async fn secret_value_sealed_at_rest() {
    let (dir, store) = open().await;
    let (workspace, _) = store.create_workspace("w").await.unwrap();
    let value = br#"{"SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"}"#;
    let info = store
        .create_secret(&workspace.id, "aws", "AWS Credential", value)
        .await
        .unwrap();
    assert_eq!(store.read_secret(&info).await.unwrap().expose(), value);
    let listed = store.list_secrets(&workspace.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "aws");
    drop(store);
    let database = std::fs::read(dir.path().join("canopy.db")).unwrap();
    let wal = std::fs::read(dir.path().join("canopy.db-wal")).unwrap_or_default();
    let needle = b"SECRETKEY";
    assert!(!database.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
}

#[tokio::test]
async fn change_set_copies_head_with_base() {
    let (_dir, store) = open().await;
    let (workspace, _) = store.create_workspace("w").await.unwrap();
    let first = store
        .create_change_set(&workspace.id, "first")
        .await
        .unwrap();
    let vpc = component(&first.id, "vpc");
    store.insert_component(&vpc).await.unwrap();
    store
        .merge_into_head(&first, &[vpc.clone()], &[])
        .await
        .unwrap();

    let head = store.head(&workspace.id).await.unwrap();
    assert_eq!(head.base_revision, 1);
    let applied = store
        .get_change_set(&workspace.id, &first.id.0)
        .await
        .unwrap();
    assert_eq!(applied.status, ChangeSetStatus::Applied);

    let second = store
        .create_change_set(&workspace.id, "second")
        .await
        .unwrap();
    let copy = store.get_component(&second.id, "vpc").await.unwrap();
    assert_eq!(copy.id, vpc.id);
    assert_eq!(copy.base.as_ref(), Some(&copy.snapshot));
    assert_eq!(second.base_revision, 1);
}

#[tokio::test]
async fn qualifications_replaced_per_component() {
    let (_dir, store) = open().await;
    let (workspace, _) = store.create_workspace("w").await.unwrap();
    let change_set = store.create_change_set(&workspace.id, "cs").await.unwrap();
    let vpc = component(&change_set.id, "vpc");
    store.insert_component(&vpc).await.unwrap();
    let failing = Qualification {
        name: "schema".into(),
        status: "failure".into(),
        message: "missing CidrBlock".into(),
    };
    store
        .set_qualifications(&change_set.id, &vpc.id, &[failing])
        .await
        .unwrap();
    let passing = Qualification {
        name: "schema".into(),
        status: "success".into(),
        message: "valid".into(),
    };
    store
        .set_qualifications(&change_set.id, &vpc.id, &[passing.clone()])
        .await
        .unwrap();
    let stored = store
        .list_qualifications(&change_set.id, &vpc.id)
        .await
        .unwrap();
    assert_eq!(stored, vec![passing]);
}

#[cfg(unix)]
#[tokio::test]
async fn new_data_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    Store::open_dir(&data).await.unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory is private");
    assert_eq!(
        mode(&data.join("canopy.db")),
        0o600,
        "the database file is private"
    );
}

#[tokio::test]
async fn change_set_starts_with_head_qualifications() {
    let (_dir, store) = open().await;
    let (workspace, _) = store.create_workspace("w").await.unwrap();
    let first = store
        .create_change_set(&workspace.id, "first")
        .await
        .unwrap();
    let vpc = component(&first.id, "vpc");
    store.insert_component(&vpc).await.unwrap();
    let passing = Qualification {
        name: "schema".into(),
        status: "success".into(),
        message: "valid".into(),
    };
    let head = store.head(&workspace.id).await.unwrap();
    store
        .merge_into_head(&first, &[vpc.clone()], &[])
        .await
        .unwrap();
    store
        .set_qualifications(&head.id, &vpc.id, &[passing.clone()])
        .await
        .unwrap();

    let second = store
        .create_change_set(&workspace.id, "second")
        .await
        .unwrap();
    let copied = store
        .list_qualifications(&second.id, &vpc.id)
        .await
        .unwrap();
    assert_eq!(
        copied,
        vec![passing],
        "the new change set shows HEAD's qualifications"
    );
}
