//! `tern zone …`: import, export and list zones directly against the
//! configured database, through the same `ZoneService` the server uses.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tern_core::{
    Actor, ChangeSource, CoreError, ImportMode, ImportOptions, ImportReport, Name, NewZone,
    Organisation, ZoneFilter, ZoneService, new_id, now_millis,
};

use crate::config::ZoneCommand;

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
        ZoneCommand::Export { zone, org } => {
            let name =
                Name::parse_absolute(&zone).with_context(|| format!("zone name '{zone}'"))?;
            let org = organisation(service, &org, false).await?;
            let zone = service.zone_by_name(Some(org.id), &name).await?;
            let text = service.export(zone.id).await?;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
        ZoneCommand::List { org } => {
            let org_id = match org {
                Some(slug) => Some(organisation(service, &slug, false).await?.id),
                None => None,
            };
            let zones = service
                .store()
                .list_zones(&ZoneFilter {
                    org_id,
                    ..ZoneFilter::default()
                })
                .await?;
            let orgs = service.store().list_organisations().await?;
            println!(
                "{:<40} {:<12} {:<20} {:>12} {:>8}",
                "ZONE", "KIND", "STATUS", "SERIAL", "ORG"
            );
            for zone in zones {
                let count = service.store().record_count(zone.id).await?;
                let slug = orgs
                    .iter()
                    .find(|o| o.id == zone.org_id)
                    .map(|o| o.slug.as_str())
                    .unwrap_or("?");
                println!(
                    "{:<40} {:<12} {:<20} {:>12} {:>8}  {count} records",
                    zone.name,
                    zone.kind.as_str(),
                    zone.status.as_str(),
                    zone.serial,
                    slug
                );
            }
            Ok(())
        }
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

/// Finds an organisation by slug; the CLI creates it on first use so a fresh
/// installation can import without any setup.
async fn organisation(service: &ZoneService, slug: &str, create: bool) -> Result<Organisation> {
    let store = service.store();
    if let Some(org) = store.organisation_by_slug(slug).await? {
        return Ok(org);
    }
    if !create {
        bail!("organisation '{slug}' does not exist");
    }
    let valid = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        bail!("organisation slug '{slug}' must be 1-63 lower-case letters, digits and hyphens");
    }
    let org = Organisation {
        id: new_id(),
        slug: slug.to_string(),
        name: slug.to_string(),
        features: vec!["dns".to_string(), "kms".to_string()],
        created_at: now_millis(),
        max_zones: None,
        max_records_per_zone: None,
    };
    store.create_organisation(&org).await?;
    eprintln!("created organisation '{slug}'");
    Ok(org)
}

fn cli_principal() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_string());
    format!("cli:{user}")
}
