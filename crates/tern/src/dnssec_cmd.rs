//! `tern dnssec …`: turn signing on and off for a zone and show its keys
//! and DS records, through `ZoneService` like every other write (the
//! signing happens in the same commit, with this process's key-encryption
//! key).

use anyhow::{Context, Result, bail};
use tern_core::{
    Actor, Change, ChangeSet, ChangeSource, Denial, DnssecSettings, KeyState, Name, Zone,
    ZoneService, ZoneUpdate,
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
        DnssecCommand::Disable { zone, org } => {
            let zone = find_zone(service, &zone, &org).await?;
            if !zone.dnssec_enabled {
                bail!("zone {} is not signed", zone.name);
            }
            let disable = ChangeSet::new(vec![Change::Zone(ZoneUpdate {
                dnssec_enabled: Some(false),
                ..ZoneUpdate::default()
            })]);
            let outcome = service.apply(zone.id, disable, &actor).await?;
            println!(
                "unsigned {} (serial {}); remove its DS at the parent",
                zone.name, outcome.serial_after
            );
        }
        DnssecCommand::Status { zone, org } => {
            let zone = find_zone(service, &zone, &org).await?;
            let settings = DnssecSettings::of(&zone)?;
            println!(
                "{}\t{}",
                zone.name,
                if zone.dnssec_enabled {
                    "signed"
                } else {
                    "unsigned"
                }
            );
            if zone.dnssec_enabled {
                let denial = match settings.denial {
                    Denial::Nsec3 { iterations, .. } => format!("nsec3 (iterations {iterations})"),
                    Denial::Nsec => "nsec".to_string(),
                };
                println!("algorithm\t{}\ndenial\t{denial}", settings.algorithm);
            }
            for key in service.store().dnssec_keys(zone.id).await? {
                println!(
                    "key\t{}\t{}\ttag {}\talgorithm {}\t{}",
                    key.id,
                    key.role,
                    key.key_tag,
                    key.algorithm,
                    key.state.as_str()
                );
            }
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

async fn find_zone(service: &ZoneService, zone: &str, org: &str) -> Result<Zone> {
    let name = Name::parse_absolute(zone).with_context(|| format!("zone name '{zone}'"))?;
    let org = find_org(service.store().as_ref(), org).await?;
    Ok(service.zone_by_name(Some(org.id), &name).await?)
}

/// The DS of each published key-signing key (SHA-256), one per line.
async fn print_ds(service: &ZoneService, zone: &Zone) -> Result<()> {
    for key in service.store().dnssec_keys(zone.id).await? {
        if !key.role.signs_keys() || !key.state.is_published() || key.state == KeyState::Removed {
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
