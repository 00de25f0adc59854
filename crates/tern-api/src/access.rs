//! Who may do what to which zone, template and organisation: the tenancy
//! rules every handler and dialect asks before it acts. What another
//! organisation owns is 404 (its existence is not revealed); 403 is for
//! what the caller can see but not do (a viewer grant, a project-bound
//! token changing templates).

use tern_core::template::{Template, builtin_templates};
use tern_core::{Actor, ChangeSource, GrantRole, Organisation, Scope, Zone};
use uuid::Uuid;

use crate::ApiState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::views::zone_name;

/// The journal's actor for a change the caller makes through the native API.
pub fn actor(caller: &Caller) -> Actor {
    Actor::new(caller.principal(), ChangeSource::Api)
}

/// The zone `id` if the caller may see it; 404 otherwise (also for a zone
/// of another organisation: its existence is not revealed).
pub async fn visible_zone(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Zone> {
    let not_found = || ApiError::not_found(format!("domain {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let zone = state
        .service
        .store()
        .zone(id)
        .await?
        .ok_or_else(not_found)?;
    if caller.sees(&zone) || grant_role(state, caller, &zone).await?.is_some() {
        Ok(zone)
    } else {
        Err(not_found())
    }
}

/// The role an access grant gives the caller's organisation on `zone`.
/// Project-bound tokens see their project only, never shared zones.
async fn grant_role(
    state: &ApiState,
    caller: &Caller,
    zone: &Zone,
) -> ApiResult<Option<GrantRole>> {
    if caller.token.project_id.is_some() || zone.org_id == caller.org.id {
        return Ok(None);
    }
    Ok(state
        .service
        .store()
        .zone_grants(zone.id)
        .await?
        .into_iter()
        .find(|g| g.org_id == caller.org.id)
        .map(|g| g.role))
}

/// Changing a zone's records: its owner, or an organisation with an editor
/// grant.
pub async fn may_edit(state: &ApiState, caller: &Caller, zone: &Zone) -> ApiResult<()> {
    if caller.sees(zone) {
        return Ok(());
    }
    match grant_role(state, caller, zone).await? {
        Some(GrantRole::Editor) => Ok(()),
        _ => Err(ApiError::forbidden(format!(
            "organisation '{}' has viewer access to zone {}; changing it needs an editor grant",
            caller.org.slug,
            zone_name(&zone.name)
        ))),
    }
}

/// The zone `id` for a change of its records that needs `scope`: visible,
/// the scope held, and owned or shared with an editor grant.
pub async fn zone_to_edit(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    scope: Scope,
) -> ApiResult<Zone> {
    let zone = visible_zone(state, caller, id).await?;
    caller.dns(scope)?;
    may_edit(state, caller, &zone).await?;
    Ok(zone)
}

/// Things only the owning organisation does: zone settings, deletion,
/// grants.
pub fn must_own(caller: &Caller, zone: &Zone) -> ApiResult<()> {
    if caller.sees(zone) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "only the organisation that owns zone {} may do this",
            zone_name(&zone.name)
        )))
    }
}

/// A template the caller may use: a built-in or one of its organisation.
pub async fn find_template(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Template> {
    if let Some(builtin) = builtin_templates().into_iter().find(|t| t.id == id) {
        return Ok(builtin);
    }
    let not_found = || ApiError::not_found(format!("template {id}"));
    let template = state
        .service
        .store()
        .template(id)
        .await?
        .ok_or_else(not_found)?;
    match template.org_id {
        Some(org) if caller.in_org(org) => Ok(template),
        _ => Err(not_found()),
    }
}

/// Templates are the organisation's, shared by all its projects: a token
/// bound to one project may use them, not change them.
pub fn may_change_templates(caller: &Caller) -> ApiResult<()> {
    if caller.token.project_id.is_some() {
        return Err(ApiError::forbidden(
            "a project-bound token cannot change the organisation's templates",
        ));
    }
    Ok(())
}

pub async fn own_template(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Template> {
    may_change_templates(caller)?;
    let template = find_template(state, caller, id).await?;
    if template.org_id.is_none() {
        return Err(ApiError::forbidden("built-in templates cannot be changed"));
    }
    Ok(template)
}

/// The organisation `id` if the caller belongs to it (or is admin); 404
/// otherwise.
pub async fn visible_org(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Organisation> {
    let not_found = || ApiError::not_found(format!("organisation {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    if !caller.in_org(id) {
        return Err(not_found());
    }
    state
        .service
        .store()
        .organisation(id)
        .await?
        .ok_or_else(not_found)
}
