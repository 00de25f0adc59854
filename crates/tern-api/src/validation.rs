//! Zone validation (ScaiDNS's `pending_validation`). With
//! `--zone-validation dns`, a zone created through the API is stored but not
//! served until its owner proves control of the name: a TXT record
//! `_tern-challenge.<zone>` holding the zone's challenge, or the zone
//! delegated to this server's nameservers, as seen through
//! `--validation-resolver`. `POST …/validation/verify` checks and activates.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use domain::base::iana::Rtype;
use domain::base::{Message, MessageBuilder, Name as DomainName};
use domain::rdata::{Ns, Txt};
use serde_json::{Value, json};
use tern_core::auth::token_hash;
use tern_core::{Name, Scope, Zone, ZoneStatus, ZoneUpdate};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::ApiState;
use crate::access::{actor, must_own, visible_zone};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// How a pending zone is verified. Whether new zones wait for it is the
/// service's policy (`ServiceConfig::require_zone_validation`), the same for
/// every face.
#[derive(Debug, Clone, Default)]
pub struct ValidationConfig {
    /// Where verification asks (`--validation-resolver`).
    pub resolver: Option<SocketAddr>,
    /// The nameservers a delegation must point at to count.
    pub nameservers: Vec<Name>,
}

pub fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(show))
        .routes(routes!(verify))
}

/// The TXT value that proves control of `zone`: stable per zone and
/// owning organisation, so it can be published before asking.
fn challenge(zone: &Zone) -> String {
    let digest = token_hash(&format!(
        "tern-zone-validation\n{}\n{}",
        zone.id, zone.org_id
    ));
    format!("tern-verify={}", &digest[..32])
}

fn challenge_name(zone: &Zone) -> String {
    format!("_tern-challenge.{}", zone.name)
}

/// What `current_validation` shows for a zone, `None` once it is active.
pub fn validation_view(zone: &Zone, config: &ValidationConfig) -> Option<Value> {
    if zone.status != ZoneStatus::PendingValidation {
        return None;
    }
    Some(json!({
        "status": "pending",
        "method": "dns",
        "txt_record": {
            "name": challenge_name(zone),
            "type": "TXT",
            "value": challenge(zone),
        },
        "or_delegate_to": config.nameservers.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/domains/{domain_id}/validation",
    tag = "validation",
    summary = "The zone validation challenge",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = serde_json::Value), crate::openapi::StandardErrors)
)]
async fn show(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsRead)?;
    Ok(Json(
        validation_view(&zone, &state.validation).unwrap_or_else(
            || json!({"status": "verified", "domain_status": zone.status.as_str()}),
        ),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/domains/{domain_id}/validation/verify",
    tag = "validation",
    summary = "Check the challenge and activate the zone",
    params(("domain_id" = String, Path, description = "zone id")),
    responses((status = 200, description = "OK", body = serde_json::Value), (status = 422, description = "Not verified", body = crate::openapi::ErrorBody), crate::openapi::StandardErrors)
)]
async fn verify(
    State(state): State<ApiState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let zone = visible_zone(&state, &caller, &id).await?;
    caller.dns(Scope::DnsUpdate)?;
    must_own(&caller, &zone)?;
    if zone.status != ZoneStatus::PendingValidation {
        return Ok(Json(
            json!({"status": "verified", "domain_status": zone.status.as_str()}),
        ));
    }
    let resolver = state.validation.resolver.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
            "this server has no --validation-resolver to check zones with",
        )
    })?;
    let expected = challenge(&zone);
    let txt = lookup(resolver, &challenge_name(&zone), Rtype::TXT).await;
    let found_txt = txt.iter().flatten().any(|v| v == &expected);
    let ns = lookup(resolver, zone.name.as_str(), Rtype::NS).await;
    let delegated = ns.as_ref().is_ok_and(|servers| {
        !servers.is_empty()
            && servers.iter().all(|s| {
                Name::parse_absolute(s).is_ok_and(|n| state.validation.nameservers.contains(&n))
            })
    });
    if !found_txt && !delegated {
        let seen = match (&txt, &ns) {
            (Err(e), _) => format!("the resolver did not answer: {e}"),
            (Ok(values), _) if !values.is_empty() => {
                format!("TXT at {} holds {:?}", challenge_name(&zone), values)
            }
            _ => format!("no TXT record at {}", challenge_name(&zone)),
        };
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable_entity",
            format!(
                "not verified: {seen}; publish TXT \"{expected}\" there, or delegate the zone to {}",
                state
                    .validation
                    .nameservers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_field("validation"));
    }
    let outcome = state
        .service
        .apply_zone_update(
            zone.id,
            ZoneUpdate {
                status: Some(ZoneStatus::Active),
                ..ZoneUpdate::default()
            },
            &actor(&caller),
        )
        .await?;
    Ok(Json(json!({
        "status": "verified",
        "method": if found_txt { "txt" } else { "delegation" },
        "domain_status": outcome.zone.status.as_str(),
    })))
}

/// The TXT strings or NS names at `name`, asked of `resolver` over UDP.
async fn lookup(resolver: SocketAddr, name: &str, rtype: Rtype) -> Result<Vec<String>, String> {
    let qname: DomainName<Vec<u8>> = name.parse().map_err(|e| format!("{e}"))?;
    let mut builder = MessageBuilder::new_vec();
    builder.header_mut().set_rd(true);
    builder.header_mut().set_random_id();
    let mut question = builder.question();
    question
        .push((&qname, rtype))
        .map_err(|e| format!("building the query: {e}"))?;
    let query = question.finish();
    let id = u16::from_be_bytes([query[0], query[1]]);
    let bind = if resolver.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    for _ in 0..3 {
        socket
            .send_to(&query, resolver)
            .await
            .map_err(|e| e.to_string())?;
        let Ok(received) =
            tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buf)).await
        else {
            continue;
        };
        let n = received.map_err(|e| e.to_string())?;
        let Ok(message) = Message::from_octets(buf[..n].to_vec()) else {
            continue;
        };
        if message.header().id() != id {
            continue;
        }
        let answer = message.answer().map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        if rtype == Rtype::TXT {
            for record in answer.limit_to::<Txt<_>>().flatten() {
                let text: Vec<u8> = record.data().iter().flatten().copied().collect();
                out.push(String::from_utf8_lossy(&text).into_owned());
            }
        } else {
            for record in answer.limit_to::<Ns<_>>().flatten() {
                out.push(format!("{}.", record.data().nsdname()));
            }
        }
        return Ok(out);
    }
    Err(format!("no answer from {resolver}"))
}
