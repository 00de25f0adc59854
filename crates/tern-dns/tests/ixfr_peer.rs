//! IXFR to a real secondary (issue 9): Knot (knotd) follows Tern as a
//! secondary through random change sequences (`common::changes`, the mix
//! `ixfr.rs` checks against Tern's own AXFR), one zone per sequence. After
//! every step Tern's NOTIFY must bring Knot to Tern's serial within
//! `SYNC_WAIT`, by IXFR — Knot's log must say "IXFR, incoming … finished"
//! and nothing of an AXFR (a fallback after Knot rejected the increments,
//! or an AXFR-style answer) — and Knot's copy of the zone, transferred out
//! of Knot, must be Tern's AXFR record for record, the SOA and every TTL
//! included; Knot's own IXFR onwards, from the step's first serial, must
//! lead from its old copy to the new one. A third of the steps are several
//! commits made while Knot's zone is frozen (`knotc zone-freeze`), so that
//! one IXFR carries a chain of journal entries.
//!
//! The sequences come from a seeded generator; the seed is printed, and
//! `TERN_IXFR_PEER_SEED=<seed>` replays a run. Knot is required in CI
//! (`CI=true`); elsewhere a missing knotd prints a SKIP line.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::changes::{Op, actor, changes_for, op};
use common::xfr::{Held, Key, SoaHistory, apply_ixfr, axfr_request, soa_serial, transfer};
use proptest::prelude::{Just, prop_oneof};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tern_core::{ChangeSet, Name, NewZone, Zone, ZoneUpdate};
use tern_dns::AnswerConfig;

const SEQUENCES: usize = 3;
const STEPS: usize = 15;
/// How long Knot may take to reach Tern's serial after a commit (NOTIFY,
/// its SOA query, the transfer).
const SYNC_WAIT: Duration = Duration::from_secs(5);
/// Ops tried per step until one changes the zone (a pick on a zone with no
/// records, a change the zone rules refuse or one to what the zone already
/// is changes nothing).
const TRIES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knot_follows_random_changes_by_ixfr() {
    if !common::tool_available("knotd", "-V", "IXFR test against Knot") {
        return;
    }
    let seed = std::env::var("TERN_IXFR_PEER_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    eprintln!("ixfr_peer: seed {seed} (replay with TERN_IXFR_PEER_SEED={seed})");
    let started = Instant::now();
    match run(seed).await {
        Ok(tally) => eprintln!(
            "ixfr_peer: {SEQUENCES} sequences x {STEPS} steps, Knot took {} IXFRs ({} of several \
             commits) and no AXFR after its first transfers, in {} ms",
            tally.ixfrs,
            tally.chains,
            started.elapsed().as_millis()
        ),
        Err(e) => panic!("seed {seed} (replay with TERN_IXFR_PEER_SEED={seed}): {e}"),
    }
}

/// What Knot took over a run: its IXFRs, and how many of them carried
/// several commits at once.
struct Tally {
    ixfrs: usize,
    chains: usize,
}

/// Tern serving, Knot following it, and the generator of the changes.
struct Bench {
    core: common::Core,
    tern: SocketAddr,
    knot: common::PeerServer,
    knot_dir: PathBuf,
    log: KnotLog,
    runner: TestRunner,
    tally: Tally,
    /// The current sequence's zone as Knot held it after the last step,
    /// and the zone's SOA at each serial of the sequence.
    held: Held,
    history: SoaHistory,
}

/// The whole run, or what went wrong.
async fn run(seed: u64) -> Result<Tally, String> {
    let core = common::core().await;
    let tern = core.serve(AnswerConfig::default()).await;
    let names: Vec<String> = (1..=SEQUENCES)
        .map(|n| format!("seq{n}.peer.test."))
        .collect();
    let mut zones = Vec::new();
    for name in &names {
        let mut new = NewZone::new(Name::parse_absolute(name).expect("name"), core.org.id);
        new.settings = serde_json::json!({"transfer_allow": ["127.0.0.0/8"]});
        zones.push(
            core.service
                .create_zone(new, &actor())
                .await
                .map_err(|e| format!("create {name}: {e}"))?,
        );
    }
    let knot_dir = core.dir.path().join("knot");
    std::fs::create_dir_all(&knot_dir).expect("knot dir");
    let zone_names: Vec<&str> = names.iter().map(String::as_str).collect();
    let knot = common::start_knot_secondary(&knot_dir, tern, &zone_names).await;
    let mut bench = Bench {
        log: KnotLog::new(&knot_dir),
        core,
        tern,
        knot,
        knot_dir,
        runner: TestRunner::new_with_rng(Config::default(), rng(seed)),
        tally: Tally {
            ixfrs: 0,
            chains: 0,
        },
        held: Held::new(),
        history: SoaHistory::new(),
    };
    // Knot's first transfer of each zone is an AXFR (it has nothing yet).
    for zone in &zones {
        wait_for_serial(bench.knot.addr, zone.name.as_str(), zone.serial, &bench.log).await?;
    }
    bench.log.skip_to_end();
    for (sequence, zone) in zones.iter_mut().enumerate() {
        let mut done: Vec<Op> = Vec::new();
        let name = zone.name.clone();
        bench
            .sequence(zone, &mut done)
            .await
            .map_err(|e| format!("sequence {sequence} ({name}), ops {done:?}: {e}"))?;
    }
    Ok(bench.tally)
}

impl Bench {
    /// One zone's sequence: NOTIFY switched on, then `STEPS` steps.
    async fn sequence(&mut self, zone: &mut Zone, done: &mut Vec<Op>) -> Result<(), String> {
        let name = zone.name.as_str().to_string();
        self.start_at(&name, zone.serial).await;
        // From now on Tern tells Knot of every change; this commit is the
        // first increment Knot takes.
        let settings = serde_json::json!({
            "transfer_allow": ["127.0.0.0/8"],
            "also_notify": [self.knot.addr.to_string()],
        });
        let from = zone.serial;
        *zone = self
            .core
            .service
            .apply_zone_update(
                zone.id,
                ZoneUpdate {
                    settings: Some(settings),
                    ..ZoneUpdate::default()
                },
                &actor(),
            )
            .await
            .map_err(|e| format!("settings: {e}"))?
            .zone;
        self.follow(&name, from, zone.serial)
            .await
            .map_err(|e| format!("after the settings change: {e}"))?;
        for step in 0..STEPS {
            // Mostly one commit per step; sometimes several while Knot's
            // zone is frozen, so that one IXFR carries them all (the
            // journal chain, and the default TTL from before its first
            // entry, are what that exercises).
            let commits = prop_oneof![2 => Just(1usize), 1 => 2usize..=4]
                .new_tree(&mut self.runner)
                .expect("a batch size")
                .current();
            let from = zone.serial;
            if commits > 1 {
                self.knotc("zone-freeze", &name)?;
            }
            for _ in 0..commits {
                let (op, after) = self.commit(zone).await?;
                done.push(op);
                *zone = after;
            }
            if commits > 1 {
                self.knotc("zone-thaw", &name)?;
            }
            let one_transfer = self
                .follow(&name, from, zone.serial)
                .await
                .map_err(|e| format!("step {step} ({commits} commits): {e}"))?;
            if commits > 1 {
                if !one_transfer {
                    return Err(format!(
                        "step {step}: Knot, frozen over {commits} commits, did not take them \
                         in one IXFR ({from} -> {})",
                        zone.serial
                    ));
                }
                self.tally.chains += 1;
            }
        }
        Ok(())
    }

    /// Commits one random change that moves the zone's serial.
    async fn commit(&mut self, zone: &Zone) -> Result<(Op, Zone), String> {
        for _ in 0..TRIES {
            let candidate = op().new_tree(&mut self.runner).expect("an op").current();
            let changes = changes_for(self.core.store.as_ref(), zone, &candidate).await;
            if changes.is_empty() {
                continue;
            }
            // A change the zone rules refuse, or one that leaves the zone
            // as it was (the serial stays), gives Knot nothing to
            // transfer: draw again.
            if let Ok(outcome) = self
                .core
                .service
                .apply(zone.id, ChangeSet::new(changes), &actor())
                .await
                && outcome.zone.serial != zone.serial
            {
                return Ok((candidate, outcome.zone));
            }
        }
        Err(format!("no op changed the zone in {TRIES} tries"))
    }

    /// `knotc zone-freeze` / `zone-thaw` on Knot's control socket, waiting
    /// until Knot has done it (`-b`).
    fn knotc(&self, action: &str, zone: &str) -> Result<(), String> {
        let output = std::process::Command::new("knotc")
            .arg("-s")
            .arg(self.knot_dir.join("knot.sock"))
            .args(["-b", action, zone])
            .output()
            .map_err(|e| format!("knotc {action}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "knotc {action} {zone}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(())
    }

    /// One step's checks: Knot reaches `to`, by IXFR (and not by AXFR), and
    /// holds exactly what Tern serves. Whether one transfer took Knot from
    /// `from` to `to`.
    async fn follow(&mut self, zone: &str, from: u32, to: u32) -> Result<bool, String> {
        wait_for_serial(self.knot.addr, zone, to, &self.log).await?;
        let (lines, ixfrs) = self.log.wait_for_ixfr(zone, to).await?;
        self.tally.ixfrs += ixfrs;
        let theirs = contents(self.knot.addr, zone).await;
        let ours = contents(self.tern, zone).await;
        if theirs != ours {
            let missing: Vec<_> = ours.iter().filter(|r| !theirs.contains(r)).collect();
            let extra: Vec<_> = theirs.iter().filter(|r| !ours.contains(r)).collect();
            return Err(format!(
                "Knot's zone differs from Tern's AXFR at serial {to}: Knot lacks \
                 (or has with another TTL) {missing:?}; Knot has beyond Tern {extra:?}; \
                 Knot's log of the transfer:\n{lines}"
            ));
        }
        // Knot keeps what it took in its journal and serves it on as IXFR
        // to its own secondaries: from `from`, that must turn the zone Knot
        // held then into the zone now, deleting only what Knot held, TTLs
        // and each serial's SOA included. (Knot writes its journal from its
        // own copy, old SOAs included, so this checks that Tern's
        // increments added up inside Knot; the SOAs Tern itself sends are
        // checked in ixfr.rs.)
        let (now, soa) = split_soa(&ours);
        self.history.insert(to, soa);
        let mut held = self.held.clone();
        let onward = transfer(self.knot.addr, common::ixfr_query(zone, from)).await;
        apply_ixfr(&mut held, &onward, &self.history).map_err(|e| {
            format!("Knot's IXFR from {from} (out of its journal of Tern's increments): {e}")
        })?;
        if held != now {
            return Err(format!(
                "Knot's IXFR from {from}, applied to the zone at {from}, is not the zone at \
                 {to}: {held:?} against {now:?}"
            ));
        }
        self.held = held;
        // Our own transfers from Knot are logged too; the next step starts
        // after them.
        self.log.skip_to_end();
        Ok(ixfrs == 1 && lines.contains(&format!("serial {from} -> {to},")))
    }

    /// Where a sequence starts: the zone as Knot holds it, and its SOA.
    async fn start_at(&mut self, zone: &str, serial: u32) {
        let (held, soa) = split_soa(&contents(self.knot.addr, zone).await);
        self.held = held;
        self.history = SoaHistory::from([(serial, soa)]);
    }
}

/// A zone's content as records and its SOA apart.
fn split_soa(records: &[(Key, u32)]) -> (Held, (Key, u32)) {
    let mut held = Held::new();
    let mut soa = None;
    for (key, ttl) in records {
        if key.1 == 6 {
            soa = Some((key.clone(), *ttl));
        } else {
            held.insert(key.clone(), *ttl);
        }
    }
    (held, soa.expect("an SOA"))
}

/// proptest's ChaCha generator from a 64-bit seed, so a run replays.
fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed
            .wrapping_add(i as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// A zone's content from an AXFR: the SOA and every record with its TTL,
/// sorted (the closing SOA left out).
async fn contents(server: SocketAddr, zone: &str) -> Vec<(Key, u32)> {
    let mut records = transfer(server, axfr_request(zone)).await;
    records.pop();
    records.sort();
    records
}

async fn serial_at(server: SocketAddr, zone: &str) -> Option<u32> {
    let reply = common::parse(&common::udp(server, &common::query(zone, 6, None)).await?);
    let soa = reply.answer.first().filter(|_| reply.rcode == 0)?;
    (soa.1 == 6).then(|| soa_serial(&soa.2))
}

async fn wait_for_serial(
    knot: SocketAddr,
    zone: &str,
    serial: u32,
    log: &KnotLog,
) -> Result<(), String> {
    let deadline = Instant::now() + SYNC_WAIT;
    loop {
        let held = serial_at(knot, zone).await;
        if held == Some(serial) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "Knot still serves {zone} at serial {held:?} {} s after Tern committed {serial}; \
                 Knot's log since the last step:\n{}",
                SYNC_WAIT.as_secs(),
                log.since()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Knot's log file, read from where the last step's lines ended.
struct KnotLog {
    path: std::path::PathBuf,
    seen: usize,
}

impl KnotLog {
    fn new(dir: &Path) -> KnotLog {
        KnotLog {
            path: dir.join("knot.log"),
            seen: 0,
        }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.path).unwrap_or_default()
    }

    /// The lines written since the last step.
    fn since(&self) -> String {
        self.text().get(self.seen..).unwrap_or_default().to_string()
    }

    fn skip_to_end(&mut self) {
        self.seen = self.text().len();
    }

    /// Waits for Knot to log that an incoming transfer brought `zone` to
    /// serial `to`, then refuses the step if Knot took any of it by AXFR
    /// (an AXFR-style answer, or a fallback after it rejected the
    /// increments). Returns the step's lines of the zone and the number of
    /// IXFRs Knot finished in them.
    async fn wait_for_ixfr(&mut self, zone: &str, to: u32) -> Result<(String, usize), String> {
        let tag = format!("[{zone}] ");
        let updated = format!("-> {to},");
        let deadline = Instant::now() + SYNC_WAIT;
        loop {
            let lines = self.since();
            let ours: Vec<&str> = lines.lines().filter(|l| l.contains(&tag)).collect();
            let axfr = ours.iter().any(|l| {
                l.contains("AXFR, incoming") || l.contains("AXFR-style") || l.contains("fallback")
            });
            if axfr {
                return Err(format!(
                    "Knot did not take the change by IXFR:\n{}",
                    ours.join("\n")
                ));
            }
            if ours
                .iter()
                .any(|l| l.contains("zone updated") && l.contains(&updated))
            {
                let ixfrs = ours
                    .iter()
                    .filter(|l| l.contains("IXFR, incoming") && l.contains("finished"))
                    .count();
                if ixfrs == 0 {
                    return Err(format!(
                        "Knot moved to serial {to} without an incoming IXFR:\n{}",
                        ours.join("\n")
                    ));
                }
                return Ok((ours.join("\n"), ixfrs));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "Knot serves serial {to} but never logged the update to it:\n{lines}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
