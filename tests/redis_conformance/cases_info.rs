//! INFO read by a script: the `replication` section's fields on a primary, a replica, with
//! min-replicas on, and after REPLICAOF NO ONE.

use crate::case::Case;
use crate::check::Run;

#[test]
fn info_replication_on_primary_and_replica() {
    Case::new("info_replication_on_primary_and_replica")
        .servers(3)
        .conf("min-replicas-to-write", "1")
        .client("a", 1)
        .client("b", 2)
        .step("a", r#"Set(key: "k", value: 1)"#)
        .after(100)
        .step("a", r#"Info(section: "replication")"#)
        .step("b", r#"Info(section: "REPLICATION")"#)
        .step("b", "ReplicaOf(primary: None)")
        .step("b", r#"Info(section: "replication")"#)
        .after(200)
        .step("a", r#"Info(section: "replication")"#)
        .run();
}
