//! Fuzz target: any bytes, as a UDP or TCP message, through the answer path
//! and the transfer detector, against real zones (the corpus's test.com and
//! example.com). Must never panic.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tern_core::{
    Actor, ChangeSource, ImportMode, ImportOptions, Name, NewZone, Organisation, ServiceConfig,
    Store, ZoneService, new_id, now_millis,
};
use tern_dns::answer::answer;
use tern_dns::{AnswerConfig, IndexListener, Transport, ZoneIndex};

struct Setup {
    index: Arc<ZoneIndex>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(
            tern_store::Database::connect(&tern_store::sqlite_url_for_dir(dir.path()))
                .await
                .expect("database"),
        );
        let service = ZoneService::new(store.clone(), ServiceConfig::default());
        let org = Organisation {
            id: new_id(),
            slug: "fuzz".into(),
            name: "Fuzz".into(),
            features: vec![],
            created_at: now_millis(),
        };
        store.create_organisation(&org).await.expect("org");
        let index = ZoneIndex::new(store);
        service.add_listener(Arc::new(IndexListener(index.clone())));
        let options = ImportOptions {
            mode: ImportMode::Replace,
            skip_invalid: true,
            ..ImportOptions::default()
        };
        for zone in ["test.com", "example.com"] {
            let text = std::fs::read_to_string(format!(
                "{}/../crates/tern-core/tests/fixtures/zones/{zone}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .expect("fixture");
            service
                .create_zone_from_file(
                    NewZone::new(Name::parse_absolute(zone).expect("name"), org.id),
                    text.as_bytes(),
                    &options,
                    &Actor::new("fuzz", ChangeSource::Import),
                )
                .await
                .expect("import");
        }
        Setup { index, _dir: dir }
    })
}

static SETUP: OnceLock<Setup> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let setup = SETUP.get_or_init(setup);
    let config = AnswerConfig::default();
    for transport in [Transport::Udp, Transport::Tcp] {
        if let Some(response) = answer(&setup.index, data, transport, &config) {
            assert!(response.len() >= 12);
            assert_eq!(&response[..2], &data[..2]);
        }
    }
    let _ = tern_dns::transfer::is_transfer(data);
});
