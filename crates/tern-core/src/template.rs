//! Zone templates: records with `{{variable}}` placeholders, the variables
//! they need (required, or with a default), rendered into record fields
//! that the caller turns into one change set. A record that uses an
//! optional variable with no value is left out (the "optional MX" of a
//! website template). Built-in templates ship with Tern; organisations add
//! their own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CoreError;
use crate::model::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateVariable {
    pub name: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateRecord {
    /// Owner relative to the zone (`@` for the apex); may hold placeholders.
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub content: String,
    #[serde(default)]
    pub ttl: Option<u32>,
    #[serde(default)]
    pub priority: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    /// `None` for the built-in templates every organisation sees.
    pub org_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub variables: Vec<TemplateVariable>,
    pub records: Vec<TemplateRecord>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A template record with its placeholders filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedRecord {
    pub name: String,
    pub rtype: String,
    pub content: String,
    pub ttl: Option<u32>,
    pub priority: Option<u32>,
}

fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The placeholders `text` uses, in order; `Err` names a malformed one.
fn placeholders(text: &str) -> Result<Vec<&str>, String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("'{text}': '{{{{' without '}}}}'"))?;
        let name = after[..end].trim();
        if !valid_variable_name(name) {
            return Err(format!(
                "'{text}': '{name}' is not a variable name (a-z, 0-9, _)"
            ));
        }
        found.push(name);
        rest = &after[end + 2..];
    }
    Ok(found)
}

impl Template {
    /// Checks a template's shape: variable names, placeholders that refer
    /// to declared variables, at least one record.
    pub fn check(&self) -> Result<(), CoreError> {
        if self.name.trim().is_empty() {
            return Err(CoreError::validation("name", "must not be empty"));
        }
        if self.records.is_empty() {
            return Err(CoreError::validation(
                "records",
                "a template needs at least one record",
            ));
        }
        for (i, variable) in self.variables.iter().enumerate() {
            if !valid_variable_name(&variable.name) {
                return Err(CoreError::validation(
                    format!("variables[{i}].name"),
                    "lower-case letters, digits and _ only",
                ));
            }
            if self.variables[..i].iter().any(|v| v.name == variable.name) {
                return Err(CoreError::validation(
                    format!("variables[{i}].name"),
                    format!("'{}' is declared twice", variable.name),
                ));
            }
        }
        for (i, record) in self.records.iter().enumerate() {
            for (field, text) in [("name", &record.name), ("content", &record.content)] {
                let used = placeholders(text)
                    .map_err(|e| CoreError::validation(format!("records[{i}].{field}"), e))?;
                if let Some(unknown) = used
                    .iter()
                    .find(|u| !self.variables.iter().any(|v| v.name == **u))
                {
                    return Err(CoreError::validation(
                        format!("records[{i}].{field}"),
                        format!("uses '{{{{{unknown}}}}}', which is not a declared variable"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Fills the placeholders. Required variables must be given; unknown
    /// ones are refused (a typo would otherwise silently drop a record).
    pub fn render(
        &self,
        given: &BTreeMap<String, String>,
    ) -> Result<Vec<RenderedRecord>, CoreError> {
        if let Some(unknown) = given
            .keys()
            .find(|k| !self.variables.iter().any(|v| &v.name == *k))
        {
            return Err(CoreError::validation(
                format!("variables.{unknown}"),
                format!(
                    "template '{}' has no such variable; it takes {}",
                    self.id,
                    self.variables
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut values: BTreeMap<&str, &str> = BTreeMap::new();
        for variable in &self.variables {
            let value = given
                .get(&variable.name)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
                .or(variable.default.as_deref());
            match value {
                Some(value) => {
                    values.insert(&variable.name, value.trim());
                }
                None if variable.required => {
                    return Err(CoreError::validation(
                        format!("variables.{}", variable.name),
                        "is required by this template",
                    ));
                }
                None => {}
            }
        }
        let fill = |text: &str| -> Option<String> {
            let mut out = text.to_string();
            for name in placeholders(text).ok()? {
                let value = values.get(name)?;
                out = out.replacen(&format!("{{{{{name}}}}}", name = name), value, 1);
            }
            Some(out)
        };
        Ok(self
            .records
            .iter()
            .filter_map(|r| {
                Some(RenderedRecord {
                    name: fill(&r.name)?,
                    rtype: r.rtype.clone(),
                    content: fill(&r.content)?,
                    ttl: r.ttl,
                    priority: r.priority,
                })
            })
            .collect())
    }
}

/// The templates every organisation has.
pub fn builtin_templates() -> Vec<Template> {
    let var =
        |name: &str, required: bool, default: Option<&str>, description: &str| TemplateVariable {
            name: name.into(),
            required,
            default: default.map(str::to_string),
            description: Some(description.into()),
        };
    let rec = |name: &str, rtype: &str, content: &str, priority: Option<u32>| TemplateRecord {
        name: name.into(),
        rtype: rtype.into(),
        content: content.into(),
        ttl: None,
        priority,
    };
    let template = |id: &str, name: &str, description: &str, variables, records| Template {
        id: id.into(),
        org_id: None,
        name: name.into(),
        description: Some(description.into()),
        variables,
        records,
        created_at: 0,
        updated_at: 0,
    };
    vec![
        template(
            "tpl_website_basic",
            "Website",
            "A records for the apex and www; an MX when mail_server is given.",
            vec![
                var("ip_address", true, None, "IPv4 address of the web server"),
                var("mail_server", false, None, "Host name of the mail server"),
            ],
            vec![
                rec("@", "A", "{{ip_address}}", None),
                rec("www", "A", "{{ip_address}}", None),
                rec("@", "MX", "{{mail_server}}", Some(10)),
            ],
        ),
        template(
            "tpl_website_dual_stack",
            "Website (IPv4 and IPv6)",
            "A and AAAA records for the apex and www.",
            vec![
                var("ip_address", true, None, "IPv4 address of the web server"),
                var("ipv6_address", true, None, "IPv6 address of the web server"),
            ],
            vec![
                rec("@", "A", "{{ip_address}}", None),
                rec("www", "A", "{{ip_address}}", None),
                rec("@", "AAAA", "{{ipv6_address}}", None),
                rec("www", "AAAA", "{{ipv6_address}}", None),
            ],
        ),
        template(
            "tpl_mail_basic",
            "Own mail server",
            "MX, SPF allowing only the MX hosts, and a DMARC policy.",
            vec![
                var("mail_server", true, None, "Host name of the mail server"),
                var(
                    "dmarc_policy",
                    false,
                    Some("none"),
                    "none, quarantine or reject",
                ),
            ],
            vec![
                rec("@", "MX", "{{mail_server}}", Some(10)),
                rec("@", "TXT", "\"v=spf1 mx -all\"", None),
                rec("_dmarc", "TXT", "\"v=DMARC1; p={{dmarc_policy}}\"", None),
            ],
        ),
        template(
            "tpl_google_workspace",
            "Google Workspace mail",
            "Google's MX hosts and SPF include.",
            vec![],
            vec![
                rec("@", "MX", "aspmx.l.google.com.", Some(1)),
                rec("@", "MX", "alt1.aspmx.l.google.com.", Some(5)),
                rec("@", "MX", "alt2.aspmx.l.google.com.", Some(5)),
                rec("@", "MX", "alt3.aspmx.l.google.com.", Some(10)),
                rec("@", "MX", "alt4.aspmx.l.google.com.", Some(10)),
                rec("@", "TXT", "\"v=spf1 include:_spf.google.com ~all\"", None),
            ],
        ),
        template(
            "tpl_microsoft_365",
            "Microsoft 365 mail",
            "Exchange Online MX, autodiscover and SPF include.",
            vec![var(
                "mx_host",
                true,
                None,
                "The tenant's MX host, e.g. example-com.mail.protection.outlook.com",
            )],
            vec![
                rec("@", "MX", "{{mx_host}}", Some(0)),
                rec("autodiscover", "CNAME", "autodiscover.outlook.com.", None),
                rec(
                    "@",
                    "TXT",
                    "\"v=spf1 include:spf.protection.outlook.com -all\"",
                    None,
                ),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builtins_are_well_formed() {
        for template in builtin_templates() {
            template
                .check()
                .unwrap_or_else(|e| panic!("{}: {e}", template.id));
        }
    }

    #[test]
    fn website_template_renders_with_and_without_mail() {
        let website = builtin_templates()
            .into_iter()
            .find(|t| t.id == "tpl_website_basic")
            .unwrap();
        let records = website
            .render(&vars(&[("ip_address", "192.0.2.1")]))
            .unwrap();
        assert_eq!(records.len(), 2, "the MX needs mail_server");
        assert_eq!(records[1].name, "www");
        assert_eq!(records[1].content, "192.0.2.1");
        let records = website
            .render(&vars(&[
                ("ip_address", "192.0.2.1"),
                ("mail_server", "mail.example.com"),
            ]))
            .unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            (records[2].content.as_str(), records[2].priority),
            ("mail.example.com", Some(10))
        );

        let err = website.render(&vars(&[])).unwrap_err().to_string();
        assert!(err.contains("variables.ip_address"), "{err}");
        let err = website
            .render(&vars(&[("ip_adress", "x")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("variables.ip_adress") && err.contains("ip_address"),
            "{err}"
        );
    }

    #[test]
    fn templates_are_checked() {
        let mut t = builtin_templates().remove(0);
        t.records[0].content = "{{nope}}".into();
        assert!(
            t.check()
                .unwrap_err()
                .to_string()
                .contains("records[0].content")
        );
        t.records[0].content = "{{ip_address".into();
        assert!(t.check().is_err());
        t.records.clear();
        assert!(t.check().is_err());
    }
}
