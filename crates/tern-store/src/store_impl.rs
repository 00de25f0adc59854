//! `Store` for `Database`: each method is implemented in the module of its
//! concern (a trait impl cannot be split across files); this hands it on.

use async_trait::async_trait;
use tern_core::store::{Commit, IdempotencyClaim, RecordFilter, Store, StoreError, ZoneFilter};
use tern_core::template::Template;
use tern_core::{
    AccessGrant, ApiToken, DnssecKey, JournalEntry, Name, Organisation, Project, Record,
    RecordType, Timestamp, TsigKey, Zone,
};
use uuid::Uuid;

use crate::Database;

#[async_trait]
impl Store for Database {
    async fn create_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        Database::create_organisation(self, org).await
    }

    async fn organisation(&self, id: Uuid) -> Result<Option<Organisation>, StoreError> {
        Database::organisation(self, id).await
    }

    async fn organisation_by_slug(&self, slug: &str) -> Result<Option<Organisation>, StoreError> {
        Database::organisation_by_slug(self, slug).await
    }

    async fn update_organisation(&self, org: &Organisation) -> Result<(), StoreError> {
        Database::update_organisation(self, org).await
    }

    async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        Database::list_organisations(self).await
    }

    async fn create_project(&self, project: &Project) -> Result<(), StoreError> {
        Database::create_project(self, project).await
    }

    async fn project_by_slug(
        &self,
        org_id: Uuid,
        slug: &str,
    ) -> Result<Option<Project>, StoreError> {
        Database::project_by_slug(self, org_id, slug).await
    }

    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        Database::project(self, id).await
    }

    async fn list_projects(&self, org_id: Uuid) -> Result<Vec<Project>, StoreError> {
        Database::list_projects(self, org_id).await
    }

    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        Database::create_token(self, token).await
    }

    async fn token(&self, id: Uuid) -> Result<Option<ApiToken>, StoreError> {
        Database::token(self, id).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        Database::token_by_hash(self, hash).await
    }

    async fn list_tokens(&self, org_id: Option<Uuid>) -> Result<Vec<ApiToken>, StoreError> {
        Database::list_tokens(self, org_id).await
    }

    async fn revoke_token(&self, id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        Database::revoke_token(self, id, at).await
    }

    async fn touch_token(&self, id: Uuid, at: Timestamp) -> Result<(), StoreError> {
        Database::touch_token(self, id, at).await
    }

    async fn put_template(&self, template: &Template) -> Result<(), StoreError> {
        Database::put_template(self, template).await
    }

    async fn template(&self, id: &str) -> Result<Option<Template>, StoreError> {
        Database::template(self, id).await
    }

    async fn list_templates(&self, org_id: Uuid) -> Result<Vec<Template>, StoreError> {
        Database::list_templates(self, org_id).await
    }

    async fn delete_template(&self, id: &str) -> Result<bool, StoreError> {
        Database::delete_template(self, id).await
    }

    async fn claim_idempotency_key(
        &self,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
        stale_before: Timestamp,
        expire_before: Timestamp,
    ) -> Result<IdempotencyClaim, StoreError> {
        Database::claim_idempotency_key(self, key, fingerprint, now, stale_before, expire_before)
            .await
    }

    async fn complete_idempotency_key(
        &self,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        Database::complete_idempotency_key(self, key, status, body).await
    }

    async fn release_idempotency_key(&self, key: &str) -> Result<(), StoreError> {
        Database::release_idempotency_key(self, key).await
    }

    async fn create_grant(&self, grant: &AccessGrant) -> Result<(), StoreError> {
        Database::create_grant(self, grant).await
    }

    async fn zone_grants(&self, zone_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        Database::zone_grants(self, zone_id).await
    }

    async fn org_grants(&self, org_id: Uuid) -> Result<Vec<AccessGrant>, StoreError> {
        Database::org_grants(self, org_id).await
    }

    async fn delete_grant(&self, id: Uuid) -> Result<bool, StoreError> {
        Database::delete_grant(self, id).await
    }

    async fn zone(&self, id: Uuid) -> Result<Option<Zone>, StoreError> {
        Database::zone(self, id).await
    }

    async fn list_zones(&self, filter: &ZoneFilter) -> Result<Vec<Zone>, StoreError> {
        Database::list_zones(self, filter).await
    }

    async fn active_zones_named(&self, names: &[Name]) -> Result<Vec<Zone>, StoreError> {
        Database::active_zones_named(self, names).await
    }

    async fn records(&self, zone_id: Uuid) -> Result<Vec<Record>, StoreError> {
        Database::records(self, zone_id).await
    }

    async fn records_chunked(
        &self,
        zone_id: Uuid,
        sink: &mut (dyn FnMut(Vec<Record>) + Send),
    ) -> Result<(), StoreError> {
        Database::records_chunked(self, zone_id, sink).await
    }

    async fn records_page(
        &self,
        zone_id: Uuid,
        filter: &RecordFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Record>, u64), StoreError> {
        Database::records_page(self, zone_id, filter, offset, limit).await
    }

    async fn records_at(&self, zone_id: Uuid, names: &[Name]) -> Result<Vec<Record>, StoreError> {
        Database::records_at(self, zone_id, names).await
    }

    async fn records_below(&self, zone_id: Uuid, name: &Name) -> Result<Vec<Record>, StoreError> {
        Database::records_below(self, zone_id, name).await
    }

    async fn records_by_id(&self, zone_id: Uuid, ids: &[Uuid]) -> Result<Vec<Record>, StoreError> {
        Database::records_by_id(self, zone_id, ids).await
    }

    async fn record_zone(&self, record_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        Database::record_zone(self, record_id).await
    }

    async fn record_count(&self, zone_id: Uuid) -> Result<u64, StoreError> {
        Database::record_count(self, zone_id).await
    }

    async fn create_zone(
        &self,
        zone: &Zone,
        journal: &JournalEntry,
        shared_names: bool,
    ) -> Result<i64, StoreError> {
        Database::create_zone(self, zone, journal, shared_names).await
    }

    async fn commit(&self, commit: &Commit) -> Result<i64, StoreError> {
        Database::commit(self, commit).await
    }

    async fn purge_zone(&self, zone_id: Uuid, journal: &JournalEntry) -> Result<i64, StoreError> {
        Database::purge_zone(self, zone_id, journal).await
    }

    async fn journal_head(&self) -> Result<i64, StoreError> {
        Database::journal_head(self).await
    }

    async fn journal_since(&self, after: i64, limit: u32) -> Result<Vec<JournalEntry>, StoreError> {
        Database::journal_since(self, after, limit).await
    }

    async fn zone_journal(
        &self,
        zone_id: Uuid,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        Database::zone_journal(self, zone_id, offset, limit).await
    }

    async fn zone_journal_count(&self, zone_id: Uuid) -> Result<u64, StoreError> {
        Database::zone_journal_count(self, zone_id).await
    }

    async fn dnssec_keys(&self, zone_id: Uuid) -> Result<Vec<DnssecKey>, StoreError> {
        Database::dnssec_keys(self, zone_id).await
    }

    async fn put_dnssec_key(&self, key: &DnssecKey) -> Result<(), StoreError> {
        Database::put_dnssec_key(self, key).await
    }

    async fn max_record_ttl(&self, zone_id: Uuid) -> Result<Option<u32>, StoreError> {
        Database::max_record_ttl(self, zone_id).await
    }

    async fn all_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError> {
        Database::all_records_at(self, zone_id, names).await
    }

    async fn dnssec_records_at(
        &self,
        zone_id: Uuid,
        names: &[Name],
    ) -> Result<Vec<Record>, StoreError> {
        Database::dnssec_records_at(self, zone_id, names).await
    }

    async fn records_of_types(
        &self,
        zone_id: Uuid,
        types: &[RecordType],
    ) -> Result<Vec<Record>, StoreError> {
        Database::records_of_types(self, zone_id, types).await
    }

    async fn record_of_type_beside(
        &self,
        zone_id: Uuid,
        rtype: RecordType,
        name: Option<&Name>,
        after: bool,
    ) -> Result<Option<Record>, StoreError> {
        Database::record_of_type_beside(self, zone_id, rtype, name, after).await
    }

    async fn tsig_keys(&self) -> Result<Vec<TsigKey>, StoreError> {
        Database::tsig_keys(self).await
    }

    async fn create_tsig_key(&self, key: &TsigKey) -> Result<(), StoreError> {
        Database::create_tsig_key(self, key).await
    }

    async fn delete_tsig_key(&self, name: &Name) -> Result<bool, StoreError> {
        Database::delete_tsig_key(self, name).await
    }
}
