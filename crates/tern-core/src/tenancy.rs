//! The rules for making organisations and projects, shared by the API
//! (`POST /api/v1/organisations`, `…/projects`) and the CLI (`tern org`,
//! `tern project`), so a tenant made on either face is made the same way.

use uuid::Uuid;

use crate::error::CoreError;
use crate::model::{Organisation, Project, new_id, now_millis};

/// The feature gates an organisation may carry.
pub const FEATURES: [&str; 2] = ["dns", "kms"];

/// What a new organisation gets when no features are named.
pub fn default_features() -> Vec<String> {
    vec!["dns".to_string()]
}

/// A slug names a tenant in URLs, headers and on the command line.
pub fn check_slug(field: &str, slug: &str) -> Result<(), CoreError> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::validation(
            field,
            format!(
                "'{slug}': 1-63 characters: lower-case letters, digits and '-', not starting with '-'"
            ),
        ))
    }
}

pub fn check_features(field: &str, features: &[String]) -> Result<(), CoreError> {
    match features.iter().find(|f| !FEATURES.contains(&f.as_str())) {
        Some(bad) => Err(CoreError::validation(
            field,
            format!("unknown feature '{bad}'; features are dns and kms"),
        )),
        None => Ok(()),
    }
}

/// What a new organisation is made of; `features: None` means the default.
pub struct NewOrganisation {
    pub slug: String,
    pub name: String,
    pub features: Option<Vec<String>>,
    pub max_zones: Option<u32>,
    pub max_records_per_zone: Option<u32>,
}

impl NewOrganisation {
    /// The organisation row, after checking the slug and features (errors
    /// name the fields `slug` and `features`).
    pub fn build(self) -> Result<Organisation, CoreError> {
        check_slug("slug", &self.slug)?;
        let features = self.features.unwrap_or_else(default_features);
        check_features("features", &features)?;
        if self.name.trim().is_empty() {
            return Err(CoreError::validation("name", "must not be empty"));
        }
        Ok(Organisation {
            id: new_id(),
            slug: self.slug,
            name: self.name,
            features,
            created_at: now_millis(),
            max_zones: self.max_zones,
            max_records_per_zone: self.max_records_per_zone,
        })
    }
}

/// A project row of `org_id`, after checking its slug.
pub fn new_project(org_id: Uuid, slug: String, name: String) -> Result<Project, CoreError> {
    check_slug("slug", &slug)?;
    if name.trim().is_empty() {
        return Err(CoreError::validation("name", "must not be empty"));
    }
    Ok(Project {
        id: new_id(),
        org_id,
        slug,
        name,
        created_at: now_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["acme", "a", "web-1", "0"] {
            assert!(check_slug("slug", good).is_ok(), "{good}");
        }
        let long = "a".repeat(64);
        for bad in ["", "-acme", "Acme", "a_b", "a.b", long.as_str()] {
            let err = check_slug("slug", bad).expect_err(bad);
            assert!(err.to_string().starts_with("slug: "), "{err}");
        }
    }

    #[test]
    fn organisations_get_default_features_and_refuse_unknown_ones() {
        let org = NewOrganisation {
            slug: "acme".into(),
            name: "Acme".into(),
            features: None,
            max_zones: None,
            max_records_per_zone: None,
        }
        .build()
        .expect("valid");
        assert_eq!(org.features, vec!["dns".to_string()]);
        let err = NewOrganisation {
            slug: "acme".into(),
            name: "Acme".into(),
            features: Some(vec!["dns".into(), "dnssec".into()]),
            max_zones: None,
            max_records_per_zone: None,
        }
        .build()
        .expect_err("unknown feature");
        assert!(
            err.to_string()
                .contains("features: unknown feature 'dnssec'")
        );
    }
}
