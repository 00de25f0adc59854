//! Malformed and random messages never panic the answer path: arbitrary
//! bytes, and valid queries with bytes flipped, cut short or lengthened,
//! against a real zone. (A cargo-fuzz target with longer runs is still to
//! come; this runs in every `cargo test`.)

mod common;

use proptest::prelude::*;
use tern_dns::answer::answer;
use tern_dns::{AnswerConfig, Transport};

fn index() -> common::Core {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let core = common::core().await;
        core.import("test.com").await;
        core
    })
}

fn valid_query(name: &[u8], qtype: u16, edns: bool) -> Vec<u8> {
    let mut q = vec![0x01, 0x02, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(edns)];
    q.extend_from_slice(name);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    if edns {
        q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
    }
    q
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn never_panics(
        random in proptest::collection::vec(any::<u8>(), 0..600),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        qtype in prop_oneof![Just(1u16), Just(2), Just(5), Just(6), Just(15), Just(28), Just(39), Just(255), any::<u16>()],
        tcp in any::<bool>(),
    ) {
        static CORE: std::sync::OnceLock<common::Core> = std::sync::OnceLock::new();
        let index = &CORE.get_or_init(index).index;
        let config = AnswerConfig::default();
        let transport = if tcp { Transport::Tcp } else { Transport::Udp };

        let _ = answer(index, &random, transport, &config);

        let name = b"\x03www\x04test\x03com\x00";
        let mut query = valid_query(name, qtype, true);
        for (at, value) in &flips {
            let i = at.index(query.len());
            query[i] = *value;
        }
        let _ = answer(index, &query, transport, &config);
        let short = cut.index(query.len() + 1);
        let _ = answer(index, &query[..short], transport, &config);
        query.extend_from_slice(&random);
        let response = answer(index, &query, transport, &config);
        if let Some(r) = response {
            prop_assert!(r.len() >= 12);
            prop_assert_eq!(&r[..2], &query[..2], "the id is echoed");
        }
    }
}
