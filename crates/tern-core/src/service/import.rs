//! Zone files in and out: `import` into an existing zone,
//! `create_zone_from_file`, `export`, and the options and report types.

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::Arc;

use uuid::Uuid;

use super::ordering::Backoff;
use super::plan::Plan;
use super::prepare::{prepare_import, read_import};
use super::{Actor, NewZone, ZoneService};
use crate::error::CoreError;
use crate::model::{JournalEntry, Record, Zone, ZoneStatus};
use crate::rdata::RecordType;
use crate::store::StoreError;
use crate::zonefile::FileProblem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Add what the file has, keep what it lacks.
    Merge,
    /// Make the zone exactly what the file describes.
    Replace,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    pub skip_invalid: bool,
    pub dry_run: bool,
    /// A dialect policy: only these types are imported, others are skipped
    /// and reported. `None` imports every supported type.
    pub allowed_types: Option<Vec<RecordType>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            mode: ImportMode::Replace,
            skip_invalid: false,
            dry_run: false,
            allowed_types: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub zone: Zone,
    pub records_in_file: usize,
    /// The change: committed (with its `seq`), or for a dry run what would be
    /// committed (`seq` 0).
    pub entry: Arc<JournalEntry>,
    pub unchanged: usize,
    /// Records refused (only with `skip_invalid`) or not imported by policy.
    pub skipped: Vec<FileProblem>,
    pub warnings: Vec<String>,
    pub changed: bool,
    pub serial_before: u32,
    pub serial_after: u32,
}

impl ImportReport {
    pub fn added(&self) -> &[Record] {
        &self.entry.added
    }

    pub fn removed(&self) -> &[Record] {
        &self.entry.removed
    }

    /// Records present before and after with other content (same id).
    pub fn updated_count(&self) -> usize {
        let removed: HashSet<Uuid> = self.entry.removed.iter().map(|r| r.id).collect();
        self.entry
            .added
            .iter()
            .filter(|r| removed.contains(&r.id))
            .count()
    }
}

impl ZoneService {
    /// Imports a master file into a zone. Strict by default: any record that
    /// cannot be parsed or breaks a zone rule aborts the import and every such
    /// record is reported with its line. The file is read once; the import
    /// then waits for the zone's turn, and if a writer in another process
    /// commits first it is worked out again on the zone as it is then.
    pub async fn import<R: BufRead>(
        &self,
        zone_id: Uuid,
        input: R,
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, CoreError> {
        let file = read_import(&self.zone(zone_id).await?, input, options);
        let mut turn = self.locks.turn(zone_id).await;
        let mut backoff = Backoff::new(self.config.conflict_deadline);
        loop {
            let zone = self.zone(zone_id).await?;
            turn.serial = Some(zone.serial);
            if zone.status == ZoneStatus::Deleted {
                return Err(CoreError::conflict(
                    None,
                    format!("zone {} is deleted; restore it first", zone.name),
                ));
            }
            let existing = self.store.records(zone.id).await?;
            let mut prepared = prepare_import(&zone, existing, file.clone(), options)?;
            if !prepared.changed || options.dry_run {
                let entry = prepared.entry(&zone, actor);
                return Ok(prepared.into_report(entry));
            }
            let plan = Plan {
                zone: prepared.after.clone(),
                added: std::mem::take(&mut prepared.added),
                removed: std::mem::take(&mut prepared.removed),
                warnings: Vec::new(),
                serial: Some(prepared.serial_after),
                resign: false,
                keys: Vec::new(),
                transitions: Vec::new(),
            };
            let before = zone.clone();
            match self.commit_plan(zone, plan, actor).await {
                Ok(outcome) => {
                    turn.serial = Some(outcome.serial_after);
                    prepared.after = outcome.zone;
                    let entry = match outcome.entry {
                        Some(entry) => entry,
                        None => prepared.entry(&before, actor),
                    };
                    return Ok(prepared.into_report(entry));
                }
                Err(CoreError::Store(StoreError::SerialMismatch { .. })) => {
                    turn.serial = None;
                    if !backoff.wait().await {
                        return Err(self.kept_changing(zone_id));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates a zone from a master file in one commit: the zone row, its
    /// SOA settings from the file and every record, or nothing at all.
    pub async fn create_zone_from_file<R: BufRead>(
        &self,
        new: NewZone,
        input: R,
        options: &ImportOptions,
        actor: &Actor,
    ) -> Result<ImportReport, CoreError> {
        let (mut zone, default_ns) = self.new_zone_row(new).await?;
        // No previous serial: the file's serial stands if it is ahead of today's.
        zone.serial = 0;
        let mut prepared = prepare_import(
            &zone,
            Vec::new(),
            read_import(&zone, input, options),
            options,
        )?;
        if !prepared
            .added
            .iter()
            .any(|r| r.name == zone.name && r.rtype == RecordType::NS)
        {
            prepared.warnings.push(format!(
                "the file has no NS records at {}; the server's nameservers were added",
                zone.name
            ));
            prepared.added.extend(default_ns);
        }
        zone.soa = prepared.after.soa.clone();
        zone.serial = prepared.serial_after;
        prepared.changed = true;
        let empty = Zone {
            serial: 0,
            ..zone.clone()
        };
        if options.dry_run {
            prepared.after = zone;
            let entry = prepared.entry(&empty, actor);
            return Ok(prepared.into_report(entry));
        }
        let records = std::mem::take(&mut prepared.added);
        let (zone, entry) = self.insert_zone(zone, records, actor).await?;
        prepared.after = zone;
        Ok(prepared.into_report(entry))
    }

    /// The zone as a canonical BIND master file.
    pub async fn export(&self, zone_id: Uuid) -> Result<String, CoreError> {
        self.export_with(zone_id, false).await
    }

    /// The zone file; with `signed`, the signer's DNSSEC records too (what
    /// the nameserver serves), otherwise the zone as its users wrote it.
    pub async fn export_with(&self, zone_id: Uuid, signed: bool) -> Result<String, CoreError> {
        let zone = self.zone(zone_id).await?;
        let mut records = self.store.records(zone_id).await?;
        if signed {
            records.extend(
                self.store
                    .records_of_types(zone_id, &crate::signing::SIGNER_OWNED_TYPES)
                    .await?,
            );
        }
        let mut out = Vec::with_capacity(records.len() * 48 + 256);
        crate::zonefile::write_zone(&mut out, &zone, &records)
            .map_err(|e| CoreError::Store(StoreError::Backend(e.to_string())))?;
        String::from_utf8(out).map_err(|e| CoreError::Store(StoreError::Corrupt(e.to_string())))
    }
}
