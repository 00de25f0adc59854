//! `tern zone …`: import, export, list and delete zones directly against
//! the configured database, through the same `ZoneService` the server uses.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tern_core::{
    Actor, ChangeSource, CoreError, ImportMode, ImportOptions, ImportReport, Name, NewZone,
    Organisation, Zone, ZoneFilter, ZoneService, ZoneStatus,
};

use crate::config::ZoneCommand;
use crate::org_cmd::{DEFAULT_ORG, default_organisation, find_org};
use crate::table::Table;

pub async fn run(service: &ZoneService, cmd: ZoneCommand) -> Result<()> {
    let actor = Actor::new(cli_principal(), ChangeSource::Cli);
    match cmd {
        ZoneCommand::Import {
            zone,
            file,
            replace,
            skip_invalid,
            dry_run,
            org,
        } => {
            let name =
                Name::parse_absolute(&zone).with_context(|| format!("zone name '{zone}'"))?;
            let org = organisation(service, &org, true).await?;
            let options = ImportOptions {
                mode: if replace {
                    ImportMode::Replace
                } else {
                    ImportMode::Merge
                },
                skip_invalid,
                dry_run,
                allowed_types: None,
            };
            let report = import(service, &org, &name, &file, &options, &actor).await?;
            print_report(&name, &report, dry_run);
            Ok(())
        }
        ZoneCommand::Export { zone, org, signed } => {
            let name =
                Name::parse_absolute(&zone).with_context(|| format!("zone name '{zone}'"))?;
            let org = organisation(service, &org, false).await?;
            let zone = service.zone_by_name(Some(org.id), &name).await?;
            let text = service.export_with(zone.id, signed).await?;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        ZoneCommand::List {
            org,
            include_deleted,
        } => {
            let store = service.store();
            let org_id = match org {
                Some(slug) => Some(find_org(store.as_ref(), &slug).await?.id),
                None => None,
            };
            let zones = store
                .list_zones(&ZoneFilter {
                    org_id,
                    include_deleted,
                    ..ZoneFilter::default()
                })
                .await?;
            let orgs = store.list_organisations().await?;
            let mut table =
                Table::new(&["ID", "ZONE", "KIND", "STATUS", ">SERIAL", ">RECORDS", "ORG"]);
            for zone in zones {
                let count = store.record_count(zone.id).await?;
                let slug = orgs
                    .iter()
                    .find(|o| o.id == zone.org_id)
                    .map_or("?", |o| o.slug.as_str());
                table.row(vec![
                    zone.id.to_string(),
                    zone.name.to_string(),
                    zone.kind.as_str().to_string(),
                    zone.status.as_str().to_string(),
                    zone.serial.to_string(),
                    count.to_string(),
                    slug.to_string(),
                ]);
            }
            table.print()?;
            Ok(())
        }
        ZoneCommand::Delete { zone, org, hard } => {
            let target = zone_to_delete(service, &zone, &org, hard).await?;
            service.delete_zone(target.id, hard, &actor).await?;
            if hard {
                println!("deleted {} ({}) for good", target.name, target.id);
            } else {
                println!(
                    "deleted {} ({}); it is no longer served. Restore it with \
                     POST /api/v1/domains/{}/restore, or remove it for good with --hard",
                    target.name, target.id, target.id
                );
            }
            Ok(())
        }
    }
}

/// The zone `reference` (an id, or a name in organisation `org`) names. A
/// hard delete also finds a soft-deleted zone, so one that was deleted
/// first can then be removed for good; the live zone of the name comes
/// first.
async fn zone_to_delete(
    service: &ZoneService,
    reference: &str,
    org: &str,
    hard: bool,
) -> Result<Zone> {
    if let Ok(id) = uuid::Uuid::parse_str(reference) {
        return Ok(service.zone(id).await?);
    }
    let name =
        Name::parse_absolute(reference).with_context(|| format!("zone name '{reference}'"))?;
    let org = find_org(service.store().as_ref(), org).await?;
    let zones = service
        .store()
        .list_zones(&ZoneFilter {
            org_id: Some(org.id),
            name: Some(name.clone()),
            include_deleted: hard,
            ..ZoneFilter::default()
        })
        .await?;
    if let Some(live) = zones.iter().find(|z| z.status != ZoneStatus::Deleted) {
        return Ok(live.clone());
    }
    match zones.as_slice() {
        [] if hard => bail!("no zone {name} in organisation '{}'", org.slug),
        [] => bail!(
            "no live zone {name} in organisation '{}' (a soft-deleted one is removed with --hard)",
            org.slug
        ),
        [only] => Ok(only.clone()),
        several => bail!(
            "{} deleted zones are named {name} in organisation '{}'; give the id of one: {}",
            several.len(),
            org.slug,
            several
                .iter()
                .map(|z| z.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

async fn import(
    service: &ZoneService,
    org: &Organisation,
    name: &Name,
    path: &Path,
    options: &ImportOptions,
    actor: &Actor,
) -> Result<ImportReport> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = if std::io::stderr().is_terminal() && size > 1 << 20 {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("reading {}", path.display()));
        bar
    } else {
        ProgressBar::hidden()
    };
    let reader = BufReader::with_capacity(1 << 16, progress.wrap_read(file));
    let existing = match service.zone_by_name(Some(org.id), name).await {
        Ok(zone) => Some(zone),
        Err(CoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let result = match existing {
        Some(zone) => service.import(zone.id, reader, options, actor).await,
        None => {
            // A zone created by its import is exactly what the file says.
            let options = ImportOptions {
                mode: ImportMode::Replace,
                ..options.clone()
            };
            // The operator controls the server: no ownership validation.
            let new = NewZone::operator(name.clone(), org.id);
            service
                .create_zone_from_file(new, reader, &options, actor)
                .await
        }
    };
    progress.finish_and_clear();
    match result {
        Ok(report) => Ok(report),
        Err(CoreError::Import(problems)) => {
            eprintln!(
                "{}: {} problem(s); nothing was imported (use --skip-invalid to import the rest):",
                path.display(),
                problems.len()
            );
            for p in &problems {
                eprintln!("  {p}");
            }
            bail!("import of {name} refused");
        }
        Err(e) => Err(e.into()),
    }
}

fn print_report(name: &Name, report: &ImportReport, dry_run: bool) {
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for s in &report.skipped {
        eprintln!("skipped: {s}");
    }
    let verb = if dry_run { "would import" } else { "imported" };
    let updated = report.updated_count();
    let removed = report.removed().len() - updated;
    if report.changed {
        println!(
            "{verb} {name}: {} added, {updated} updated, {removed} removed, {} unchanged, {} skipped; serial {} -> {}",
            report.added().len() - updated,
            report.unchanged,
            report.skipped.len(),
            report.serial_before,
            report.serial_after
        );
    } else {
        println!(
            "{name}: nothing to change ({} unchanged, {} skipped); serial stays {}",
            report.unchanged,
            report.skipped.len(),
            report.serial_before
        );
    }
}

/// The organisation of a slug. `default` is made on first use, as the
/// first `serve` would make it, so a fresh installation can import before
/// it ever served; any other organisation must exist (`tern org create`).
async fn organisation(service: &ZoneService, slug: &str, create: bool) -> Result<Organisation> {
    let store = service.store();
    if create && slug == DEFAULT_ORG && store.organisation_by_slug(slug).await?.is_none() {
        let org = default_organisation();
        store.create_organisation(&org).await?;
        eprintln!("created organisation '{slug}'");
        return Ok(org);
    }
    find_org(store.as_ref(), slug).await
}

pub(crate) fn cli_principal() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
    format!("cli:{user}")
}
