//! Write-only values (passwords and the like) never show in text output: plans often end
//! up in CI logs.

mod common;

use std::time::Duration;

use common::Fixture;
use serde_json::json;

const PASSWORD: &str = "Sup3r-Secret-Passw0rd";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_only_values_hidden_in_text() {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("db");
    let domain = json!({
        "Engine": "aurora-postgresql",
        "MasterUsername": "admin",
        "MasterUserPassword": PASSWORD,
    });
    fixture.component("db", "AWS::RDS::DBCluster", "db", &domain);

    let plan = fixture.ok(&["plan", "db"]);
    let show = fixture.ok(&["component", "show", "-c", "db", "db"]);

    assert!(
        plan.stdout.contains("/MasterUserPassword"),
        "the plan names the property: {}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("write-only value hidden"),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.all().contains(PASSWORD),
        "the plan shows the password: {}",
        plan.all()
    );
    assert!(show.stdout.contains("MasterUsername"), "{}", show.stdout);
    assert!(
        !show.all().contains(PASSWORD),
        "component show shows the password: {}",
        show.all()
    );
}
