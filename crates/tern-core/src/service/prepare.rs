//! `prepare_import`: a zone file read against a zone's current records,
//! worked out into the records to add and remove, without writing anything.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::sync::Arc;

use uuid::Uuid;

use super::checks::MAX_TTL;
use super::{Actor, ImportMode, ImportOptions, ImportReport};
use crate::error::CoreError;
use crate::model::{JournalEntry, Record, SoaSettings, Zone, new_id, now_millis};
use crate::name::Name;
use crate::rdata::{Rdata, RecordType};
use crate::rules;
use crate::serial::{import_serial, next_serial, now_unix};
use crate::zonefile::{FileProblem, FileRecord, ZoneFileReader};

/// A zone file as read for a zone, before it meets the zone's records: what
/// an import that lost a race to another writer works out again (the input
/// cannot be read twice).
#[derive(Clone)]
pub(super) struct ReadFile {
    /// Without the file's duplicates, each with the TTL of its RRset (`ttls`).
    records: Vec<FileRecord>,
    ttls: Vec<u32>,
    /// A merge's RRset TTLs, for the zone's records the file lacks.
    file_rrset_ttl: HashMap<(Name, RecordType), u32>,
    soa: Option<(SoaSettings, u32)>,
    problems: Vec<FileProblem>,
    skipped: Vec<FileProblem>,
    warnings: Vec<String>,
    records_in_file: usize,
}

/// Reads a zone file for `zone`: its records, SOA, problems and warnings.
pub(super) fn read_import<R: BufRead>(zone: &Zone, input: R, options: &ImportOptions) -> ReadFile {
    let mut problems: Vec<FileProblem> = Vec::new();
    let mut skipped: Vec<FileProblem> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut file_records: Vec<FileRecord> = Vec::new();
    let mut soa: Option<(SoaSettings, u32)> = None;
    let mut records_in_file = 0usize;
    for item in ZoneFileReader::new(input, zone.name.clone()) {
        let record = match item {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        records_in_file += 1;
        if let Some(file_soa) = SoaSettings::from_rdata(&record.rdata, record.ttl) {
            if record.name != zone.name {
                problems.push(problem_for(
                    &record,
                    format!("a SOA record belongs at the apex {}", zone.name),
                ));
            } else if soa.is_some() {
                problems.push(problem_for(
                    &record,
                    "the zone file has more than one SOA record".into(),
                ));
            } else {
                soa = Some(file_soa);
            }
            continue;
        }
        if let Some(allowed) = &options.allowed_types
            && !allowed.contains(&record.rdata.rtype())
        {
            skipped.push(problem_for(
                &record,
                format!("{} records are not imported here", record.rdata.rtype()),
            ));
            continue;
        }
        if record.ttl > MAX_TTL {
            problems.push(problem_for(
                &record,
                format!("TTL {} is above the maximum {MAX_TTL}", record.ttl),
            ));
            continue;
        }
        file_records.push(record);
    }

    // Same name/type/RDATA twice in a file is harmless: keep the first.
    let mut duplicate = vec![false; file_records.len()];
    {
        let mut seen: HashMap<(&Name, &Rdata), usize> = HashMap::with_capacity(file_records.len());
        for (i, record) in file_records.iter().enumerate() {
            match seen.entry((&record.name, &record.rdata)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    warnings.push(format!(
                        "line {}: {} {} duplicates line {}; loaded once",
                        record.line,
                        record.name,
                        record.rdata.rtype(),
                        first.get()
                    ));
                    duplicate[i] = true;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(record.line);
                }
            }
        }
    }
    let unique: Vec<FileRecord> = file_records
        .into_iter()
        .zip(duplicate)
        .filter(|(_, dup)| !dup)
        .map(|(r, _)| r)
        .collect();

    // RFC 2181 §5.2: one TTL per RRset; a file that disagrees gets the lowest.
    let mut ttls: Vec<u32> = Vec::with_capacity(unique.len());
    let mut file_rrset_ttl: HashMap<(Name, RecordType), u32> = HashMap::new();
    {
        let mut rrset_ttl: HashMap<(&Name, RecordType), (u32, u32, usize)> = HashMap::new();
        for r in &unique {
            let e = rrset_ttl
                .entry((&r.name, r.rdata.rtype()))
                .or_insert((r.ttl, r.ttl, r.line));
            e.0 = e.0.min(r.ttl);
            e.1 = e.1.max(r.ttl);
        }
        let mut ttl_warnings: Vec<(usize, String)> = rrset_ttl
            .iter()
            .filter(|(_, (lo, hi, _))| lo != hi)
            .map(|((name, rtype), (lo, hi, line))| {
                (
                    *line,
                    format!("line {line}: RRset {name} {rtype} has TTLs from {lo} to {hi}; loaded with {lo} (RFC 2181 §5.2)"),
                )
            })
            .collect();
        ttl_warnings.sort();
        warnings.extend(ttl_warnings.into_iter().map(|(_, w)| w));
        for r in &unique {
            ttls.push(
                rrset_ttl
                    .get(&(&r.name, r.rdata.rtype()))
                    .map_or(r.ttl, |t| t.0),
            );
        }
        if options.mode == ImportMode::Merge {
            file_rrset_ttl = rrset_ttl
                .into_iter()
                .map(|((name, rtype), (lo, _, _))| ((name.clone(), rtype), lo))
                .collect();
        }
    }
    ReadFile {
        records: unique,
        ttls,
        file_rrset_ttl,
        soa,
        problems,
        skipped,
        warnings,
        records_in_file,
    }
}

/// Works out what a read zone file does to a zone's current records: the
/// records to add and remove, what was skipped and why, the SOA settings and
/// the serial. Pure: nothing is written.
pub(super) fn prepare_import(
    zone: &Zone,
    existing: Vec<Record>,
    file: ReadFile,
    options: &ImportOptions,
) -> Result<Prepared, CoreError> {
    let ReadFile {
        records: unique,
        ttls,
        file_rrset_ttl,
        soa,
        mut problems,
        mut skipped,
        warnings,
        records_in_file,
    } = file;
    // Records the file shares with the zone keep their ids.
    let matches: Vec<Option<usize>> = {
        let index: HashMap<(&Name, &Rdata), usize> = existing
            .iter()
            .enumerate()
            .map(|(i, r)| ((&r.name, &r.rdata), i))
            .collect();
        unique
            .iter()
            .map(|r| index.get(&(&r.name, &r.rdata)).copied())
            .collect()
    };
    let mut existing_slots: Vec<Option<Record>> = existing.into_iter().map(Some).collect();
    let now = now_millis();
    // Parallel to `target`: the line each record came from (0 for records
    // already in the zone) and what the import does to it.
    let mut target: Vec<Record> = Vec::with_capacity(unique.len());
    let mut line_of: Vec<usize> = Vec::with_capacity(unique.len());
    let mut fates: Vec<Fate> = Vec::with_capacity(unique.len());
    for ((r, ttl), matched) in unique.into_iter().zip(ttls).zip(matches) {
        let old = matched.and_then(|i| existing_slots[i].take());
        let record = match old {
            Some(old) => {
                let (record, fate) = retimed(old, ttl, zone.default_ttl, now);
                fates.push(fate);
                record
            }
            None => {
                fates.push(Fate::New);
                Record {
                    id: new_id(),
                    zone_id: zone.id,
                    name: r.name,
                    rtype: r.rdata.rtype(),
                    ttl: Some(ttl),
                    rdata: r.rdata,
                    description: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                }
            }
        };
        line_of.push(r.line);
        target.push(record);
    }
    // Records of the zone the file does not have: kept by a merge (an RRset
    // the file also has takes the file's TTL), removed by a replace.
    let mut removed: Vec<Record> = Vec::new();
    for old in existing_slots.into_iter().flatten() {
        if options.mode == ImportMode::Replace {
            removed.push(old);
            continue;
        }
        let ttl = file_rrset_ttl
            .get(&(old.name.clone(), old.rtype))
            .copied()
            .unwrap_or(old.effective_ttl(zone.default_ttl));
        let (record, fate) = retimed(old, ttl, zone.default_ttl, now);
        fates.push(fate);
        line_of.push(0);
        target.push(record);
    }
    drop(file_rrset_ttl);
    // Zone rules over the whole result; with skip_invalid the offenders
    // are dropped and the rest checked again (dropping one record can only
    // resolve conflicts, so this settles quickly).
    for _ in 0..4 {
        let refs: Vec<&Record> = target.iter().collect();
        let violations = rules::check(&zone.name, &refs, None);
        if violations.is_empty() {
            break;
        }
        let bad: HashSet<Uuid> = violations.iter().map(|v| v.record_id).collect();
        let index_of: HashMap<Uuid, usize> = target
            .iter()
            .enumerate()
            .filter(|(_, r)| bad.contains(&r.id))
            .map(|(i, r)| (r.id, i))
            .collect();
        for v in violations {
            problems.push(FileProblem {
                line: index_of.get(&v.record_id).map_or(0, |&i| line_of[i]),
                owner: Some(v.name.to_string()),
                rtype: Some(v.rtype.to_string()),
                reason: v.reason,
            });
        }
        if !options.skip_invalid {
            break;
        }
        let keep: Vec<bool> = target.iter().map(|r| !bad.contains(&r.id)).collect();
        target = retain_by(target, &keep);
        line_of = retain_by(line_of, &keep);
        fates = retain_by(fates, &keep);
    }
    problems.sort_by_key(|p| p.line);
    if !problems.is_empty() {
        if !options.skip_invalid {
            return Err(CoreError::Import(problems));
        }
        skipped.extend(problems);
        skipped.sort_by_key(|p| p.line);
    }

    let mut after = zone.clone();
    let file_serial = soa.as_ref().map(|(_, s)| *s);
    if let Some((settings, _)) = soa {
        after.soa = settings;
    }
    let mut added = Vec::new();
    let mut unchanged = 0usize;
    for (record, fate) in target.into_iter().zip(fates) {
        match fate {
            Fate::New => added.push(record),
            Fate::Same => unchanged += 1,
            Fate::Changed(old) => {
                removed.push(*old);
                added.push(record);
            }
        }
    }
    let changed = !added.is_empty() || !removed.is_empty() || after.soa != zone.soa;
    let serial_after = if changed {
        match file_serial {
            Some(s) => import_serial(zone.serial, s, now_unix()),
            None => next_serial(zone.serial, now_unix()),
        }
    } else {
        zone.serial
    };
    after.serial = serial_after;
    Ok(Prepared {
        after,
        records_in_file,
        added,
        removed,
        unchanged,
        skipped,
        warnings,
        changed,
        serial_after,
    })
}

/// What an import does to one record of the resulting zone.
enum Fate {
    New,
    Same,
    /// Updated in place; holds the version it replaces.
    Changed(Box<Record>),
}

/// Gives an existing record the TTL of its RRset in the file.
fn retimed(old: Record, ttl: u32, zone_default: u32, now: i64) -> (Record, Fate) {
    if old.effective_ttl(zone_default) == ttl {
        return (old, Fate::Same);
    }
    let mut new = old.clone();
    new.ttl = Some(ttl);
    new.updated_at = now;
    new.version += 1;
    (new, Fate::Changed(Box::new(old)))
}

fn retain_by<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(item, _)| item)
        .collect()
}

/// What an import would do, before it is committed.
pub(super) struct Prepared {
    pub(super) after: Zone,
    records_in_file: usize,
    pub(super) added: Vec<Record>,
    pub(super) removed: Vec<Record>,
    unchanged: usize,
    skipped: Vec<FileProblem>,
    pub(super) warnings: Vec<String>,
    pub(super) changed: bool,
    pub(super) serial_after: u32,
}

impl Prepared {
    /// The journal entry this import would append (`seq` 0: not committed).
    pub(super) fn entry(&mut self, before: &Zone, actor: &Actor) -> Arc<JournalEntry> {
        Arc::new(JournalEntry {
            seq: 0,
            zone_id: before.id,
            zone_name: before.name.clone(),
            serial_before: before.serial,
            serial_after: self.serial_after,
            removed: std::mem::take(&mut self.removed),
            added: std::mem::take(&mut self.added),
            zone_after: Some(self.after.clone()),
            principal: actor.principal.clone(),
            source: actor.source.clone(),
            at: now_millis(),
            key_transitions: Vec::new(),
        })
    }

    pub(super) fn into_report(self, entry: Arc<JournalEntry>) -> ImportReport {
        ImportReport {
            serial_before: entry.serial_before,
            serial_after: self.after.serial,
            zone: self.after,
            records_in_file: self.records_in_file,
            entry,
            unchanged: self.unchanged,
            skipped: self.skipped,
            warnings: self.warnings,
            changed: self.changed,
        }
    }
}

fn problem_for(record: &FileRecord, reason: String) -> FileProblem {
    FileProblem {
        line: record.line,
        owner: Some(record.name.to_string()),
        rtype: Some(record.rdata.rtype().to_string()),
        reason,
    }
}
