//! One-record reads and writes every face does the same way: find a record
//! of a zone by id, add one, change one, delete one; each write is one
//! `ChangeSet` through `ZoneService`.

use tern_core::{Actor, Change, ChangeSet, NewRecord, Record, RecordUpdate, Zone};
use uuid::Uuid;

use crate::ApiState;
use crate::error::{ApiError, ApiResult};

/// The record `id` of `zone`; 404 when it is not there (or, with
/// `hide_managed`, when it is one Tern manages).
pub async fn record_of(
    state: &ApiState,
    zone: &Zone,
    id: &str,
    hide_managed: bool,
) -> ApiResult<Record> {
    let not_found = || ApiError::not_found(format!("record {id}"));
    let rid = Uuid::parse_str(id).map_err(|_| not_found())?;
    state
        .service
        .store()
        .records_by_id(zone.id, &[rid])
        .await?
        .into_iter()
        .next()
        .filter(|r| !(hide_managed && r.is_managed(&zone.name)))
        .ok_or_else(not_found)
}

/// Adds one record; 409 when the same record exists already.
pub async fn add(
    state: &ApiState,
    zone: &Zone,
    record: NewRecord,
    actor: &Actor,
    headers_serial: Option<u32>,
) -> ApiResult<(Zone, Record)> {
    let set = ChangeSet {
        changes: vec![Change::Add(record)],
        expected_serial: headers_serial,
    };
    let outcome = state.service.apply_on(zone.clone(), set, actor).await?;
    let created = outcome
        .added()
        .first()
        .cloned()
        .ok_or_else(|| ApiError::conflict("the record already exists"))?;
    Ok((outcome.zone, created))
}

/// Changes one record; returns it as it is afterwards.
pub async fn update(
    state: &ApiState,
    zone: &Zone,
    record: Record,
    update: RecordUpdate,
    actor: &Actor,
    expected_serial: Option<u32>,
) -> ApiResult<(Zone, Record)> {
    let set = ChangeSet {
        changes: vec![Change::Update {
            id: record.id,
            update,
        }],
        expected_serial,
    };
    let outcome = state.service.apply_on(zone.clone(), set, actor).await?;
    let after = outcome
        .added()
        .iter()
        .find(|r| r.id == record.id)
        .cloned()
        .unwrap_or(record);
    Ok((outcome.zone, after))
}

/// Deletes one record.
pub async fn delete(
    state: &ApiState,
    zone: &Zone,
    record: &Record,
    actor: &Actor,
    expected_serial: Option<u32>,
) -> ApiResult<()> {
    let set = ChangeSet {
        changes: vec![Change::Delete { id: record.id }],
        expected_serial,
    };
    state.service.apply_on(zone.clone(), set, actor).await?;
    Ok(())
}
