//! Which zone is served for a name. With `--allow-shared-zone-names` several
//! organisations may hold zones of one name, but the nameserver answers from
//! one: among the active zones of that name, the one with the smallest
//! `(created_at, id)`. The others are answered by nobody until it stops being
//! active. The nameserver's index and the API's `served` flag both use this
//! rule, so what the API says is what DNS answers.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::model::{Zone, ZoneStatus};
use crate::name::Name;
use crate::store::{Store, StoreError};

/// Whether `a` is served before `b` when both are active zones of one name.
pub fn served_before(a: &Zone, b: &Zone) -> bool {
    (a.created_at, a.id) < (b.created_at, b.id)
}

/// The served zone among the active zones of one name, given as
/// `(created_at, id)`: the rule for callers that hold no `Zone` rows (the
/// nameserver's index).
pub fn served_zone(active: impl IntoIterator<Item = (i64, Uuid)>) -> Option<Uuid> {
    active.into_iter().min().map(|(_, id)| id)
}

/// The served zone of each name among `zones` (zones that are not active
/// serve nothing).
pub fn served_by_name<'a>(
    zones: impl IntoIterator<Item = &'a Zone>,
) -> HashMap<&'a Name, &'a Zone> {
    let mut served: HashMap<&Name, &Zone> = HashMap::new();
    for zone in zones {
        if zone.status != ZoneStatus::Active {
            continue;
        }
        match served.get(&zone.name) {
            Some(current) if !served_before(zone, current) => {}
            _ => {
                served.insert(&zone.name, zone);
            }
        }
    }
    served
}

/// The ids among `zones` that are served, judged against every active zone
/// of their names in the store, whoever owns them.
pub async fn served_zones(store: &dyn Store, zones: &[Zone]) -> Result<HashSet<Uuid>, StoreError> {
    let mut names: Vec<Name> = zones
        .iter()
        .filter(|z| z.status == ZoneStatus::Active)
        .map(|z| z.name.clone())
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(HashSet::new());
    }
    let active = store.active_zones_named(&names).await?;
    let served = served_by_name(&active);
    Ok(zones
        .iter()
        .filter(|z| served.get(&z.name).is_some_and(|s| s.id == z.id))
        .map(|z| z.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SoaSettings, ZoneKind};

    fn zone(name: &str, created_at: i64, status: ZoneStatus) -> Zone {
        let name = Name::parse_absolute(name).unwrap();
        Zone {
            id: crate::new_id(),
            org_id: crate::new_id(),
            project_id: None,
            name: name.clone(),
            kind: ZoneKind::Primary,
            status,
            prior_status: None,
            default_ttl: 3600,
            description: None,
            settings: serde_json::json!({}),
            dnssec_enabled: false,
            serial: 1,
            soa: SoaSettings {
                mname: name.clone(),
                rname: name,
                refresh: 1,
                retry: 1,
                expire: 1,
                minimum: 1,
                ttl: 1,
            },
            created_at,
            updated_at: created_at,
            deleted_at: None,
        }
    }

    #[test]
    fn the_oldest_active_zone_of_a_name_is_served() {
        let old_paused = zone("x.test.", 1, ZoneStatus::Inactive);
        let older = zone("x.test.", 2, ZoneStatus::Active);
        let newer = zone("x.test.", 3, ZoneStatus::Active);
        let deleted = zone("x.test.", 0, ZoneStatus::Deleted);
        let other = zone("y.test.", 9, ZoneStatus::Active);
        let all = [
            newer.clone(),
            old_paused,
            deleted,
            older.clone(),
            other.clone(),
        ];
        let served = served_by_name(&all);
        assert_eq!(served.len(), 2);
        assert_eq!(served[&older.name].id, older.id);
        assert_eq!(served[&other.name].id, other.id);
    }

    #[test]
    fn equal_creation_times_fall_back_to_the_id() {
        let a = zone("x.test.", 5, ZoneStatus::Active);
        let mut b = zone("x.test.", 5, ZoneStatus::Active);
        b.org_id = a.org_id;
        let first = if a.id < b.id { &a } else { &b };
        assert_eq!(served_by_name([&a, &b])[&a.name].id, first.id);
        assert_eq!(served_by_name([&b, &a])[&a.name].id, first.id);
    }
}
