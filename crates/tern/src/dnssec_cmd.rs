//! `tern dnssec …`: turn signing on and off for a zone, roll its keys,
//! confirm the parent's DS, and show its keys
//! and DS records, through `ZoneService` like every other write (the
//! signing happens in the same commit, with this process's key-encryption
//! key).

use anyhow::{Context, Result, bail};
use tern_core::model::iso_time;
use tern_core::rollover::KeyRequest;
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, CommitOutcome, Denial, DnssecSettings, KeyState, Name,
    Zone, ZoneService, ZoneUpdate,
};
use tern_dnssec::{Algorithm, DIGEST_SHA256, ds_digest_sha256, ds_presentation};

use crate::config::DnssecCommand;
use crate::org_cmd::find_org;
use crate::zone_cmd::cli_principal;

pub async fn run(service: &ZoneService, cmd: DnssecCommand) -> Result<()> {
    let actor = Actor::new(cli_principal(), ChangeSource::Cli);
    match cmd {
        DnssecCommand::Enable {
            zone,
            org,
            algorithm,
            nsec,
            key_split,
        } => {
            let zone = find_zone(service, &zone, &org).await?;
            let algorithm = Algorithm::parse(&algorithm).context("--algorithm")?;
            let settings = DnssecSettings {
                algorithm: algorithm.number(),
                denial: if nsec {
                    Denial::Nsec
                } else {
                    Denial::default()
                },
                key_split,
                ..DnssecSettings::default()
            };
            if zone.dnssec_enabled {
                bail!(
                    "zone {} is signed already; `tern dnssec status {}` shows how",
                    zone.name,
                    zone.name
                );
            }
            let mut zone_settings = zone.settings.clone();
            if !zone_settings.is_object() {
                zone_settings = serde_json::json!({});
            }
            zone_settings[DnssecSettings::SETTINGS_KEY] = serde_json::to_value(&settings)?;
            let enable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
                settings: Some(zone_settings),
                dnssec_enabled: Some(true),
                ..ZoneUpdate::default()
            })]);
            let outcome = service.apply(zone.id, enable, &actor).await?;
            println!("signed {} (serial {})", zone.name, outcome.serial_after);
            print_ds(service, &outcome.zone).await?;
        }
        DnssecCommand::Disable { zone, org, now } => {
            let zone = find_zone(service, &zone, &org).await?;
            if !zone.dnssec_enabled {
                bail!("zone {} is not signed", zone.name);
            }
            let disable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
                dnssec_enabled: Some(false),
                dnssec_unsign_now: now,
                ..ZoneUpdate::default()
            })]);
            let outcome = service.apply(zone.id, disable, &actor).await?;
            if outcome.zone.dnssec_enabled {
                println!(
                    "unsigning {} (serial {}): CDS/CDNSKEY now ask the parent to delete the DS; the zone is unsigned once the parent's DS is gone (`tern dnssec ds-seen {}` confirms it by hand)",
                    zone.name, outcome.serial_after, zone.name
                );
            } else {
                println!("unsigned {} (serial {})", zone.name, outcome.serial_after);
            }
        }
        DnssecCommand::Rollover { zone, org, role } => {
            let zone = find_zone(service, &zone, &org).await?;
            let settings = DnssecSettings::of(&zone)?;
            let role = tern_core::rollover::role_to_roll(&settings, role.as_deref())?;
            let outcome = service
                .maintain_signing(zone.id, KeyRequest::Rollover(role), &actor)
                .await?;
            report(outcome.as_ref());
            print_status(service, &zone.name, &org).await?;
        }
        DnssecCommand::DsSeen { zone, org } => {
            let zone = find_zone(service, &zone, &org).await?;
            let outcome = service
                .maintain_signing(zone.id, KeyRequest::ParentDsConfirmed, &actor)
                .await?;
            report(outcome.as_ref());
            print_status(service, &zone.name, &org).await?;
        }
        DnssecCommand::Status { zone, org } => {
            let zone = find_zone(service, &zone, &org).await?;
            print_status(service, &zone.name, &org).await?;
        }
        DnssecCommand::Ds { zone, org } => {
            let zone = find_zone(service, &zone, &org).await?;
            if !zone.dnssec_enabled {
                bail!("zone {} is not signed: it has no DS", zone.name);
            }
            print_ds(service, &zone).await?;
        }
    }
    Ok(())
}

/// The key steps a command made, one line each.
fn report(outcome: Option<&CommitOutcome>) {
    let Some(outcome) = outcome else {
        println!("nothing changed");
        return;
    };
    for step in outcome.entry.iter().flat_map(|e| &e.key_transitions) {
        println!(
            "{} {} {}: {} (serial {})",
            step.role, step.key_tag, step.state, step.reason, outcome.serial_after
        );
    }
}

/// Whether the zone is signed, how, and each key with its dates and its
/// next step.
async fn print_status(service: &ZoneService, zone: &Name, org: &str) -> Result<()> {
    let zone = find_zone(service, zone.as_str(), org).await?;
    let settings = DnssecSettings::of(&zone)?;
    let keys = service.store().dnssec_keys(zone.id).await?;
    let status = tern_core::rollover::signing_status(&zone, &settings, &keys);
    println!("{}\t{status}", zone.name);
    if zone.dnssec_enabled {
        let denial = match settings.denial {
            Denial::Nsec3 { iterations, .. } => format!("nsec3 (iterations {iterations})"),
            Denial::Nsec => "nsec".to_string(),
        };
        println!("algorithm\t{}\ndenial\t{denial}", settings.algorithm);
        if let Some(unsigning) = &settings.unsigning {
            match tern_core::rollover::unsign_at(&settings) {
                Some(at) => println!("unsigned at\t{}", iso_time(at)),
                None => println!(
                    "unsigning\tsince {}; waits for the parent's DS to go",
                    iso_time(unsigning.requested_at)
                ),
            }
        }
    }
    let schedule = if zone.dnssec_enabled {
        service.key_schedule(&zone).await?
    } else {
        Vec::new()
    };
    for key in &keys {
        let dates: Vec<String> = [
            ("created", Some(key.created_at)),
            ("published", key.published_at),
            ("active", key.active_at),
            ("retired", key.retire_at),
            ("removed", key.removed_at),
        ]
        .into_iter()
        .filter_map(|(what, at)| at.map(|at| format!("{what} {}", iso_time(at))))
        .collect();
        let next = match schedule.iter().find(|(id, _)| *id == key.id) {
            _ if key.state == KeyState::Ready => {
                "\tnext: active once the parent serves its DS".to_string()
            }
            Some((_, Some((state, at)))) => format!("\tnext: {state} at {}", iso_time(*at)),
            _ => String::new(),
        };
        println!(
            "key\t{}\t{}\ttag {}\talgorithm {}\t{}\t{}{next}",
            key.id,
            key.role,
            key.key_tag,
            key.algorithm,
            key.state.as_str(),
            dates.join(", ")
        );
    }
    Ok(())
}

async fn find_zone(service: &ZoneService, zone: &str, org: &str) -> Result<Zone> {
    let name = Name::parse_absolute(zone).with_context(|| format!("zone name '{zone}'"))?;
    let org = find_org(service.store().as_ref(), org).await?;
    Ok(service.zone_by_name(Some(org.id), &name).await?)
}

/// The DS the parent should hold (SHA-256), one per line: the active and
/// ready key-signing keys'.
async fn print_ds(service: &ZoneService, zone: &Zone) -> Result<()> {
    for key in service.store().dnssec_keys(zone.id).await? {
        if !key.wants_ds() {
            continue;
        }
        let flags = tern_dnssec::key_flags(key.role);
        let dnskey = tern_dnssec::dnskey_rdata_wire(flags, key.algorithm, &key.public_key);
        let digest = ds_digest_sha256(&zone.name, &dnskey);
        println!(
            "{}",
            ds_presentation(
                &zone.name,
                zone.default_ttl,
                key.key_tag,
                key.algorithm,
                DIGEST_SHA256,
                &digest
            )
        );
    }
    Ok(())
}
