use serde::{Deserialize, Serialize};

/// An error answer, as RFC 9457 `application/problem+json`.
///
/// `title` is the same for every occurrence of a kind of problem; `detail` says what went wrong
/// with this request, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(example = json!({
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "the role supervisor does not allow this (keys_manage: create, import, activate, retire, destroy keys; grant (holding the key) and revoke (no grant needed); encryption settings; rewrap)"
    }))
)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

fn about_blank() -> String {
    Problem::ABOUT_BLANK.to_owned()
}

impl Problem {
    pub const MEDIA_TYPE: &'static str = "application/problem+json";
    pub const ABOUT_BLANK: &'static str = "about:blank";

    pub fn new(status: u16, title: impl Into<String>, detail: Option<String>) -> Self {
        Self {
            kind: Self::ABOUT_BLANK.to_owned(),
            title: title.into(),
            status,
            detail,
        }
    }

    /// What to show a person: the detail where there is one, else the title.
    pub fn message(&self) -> &str {
        self.detail.as_deref().unwrap_or(&self.title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_rfc_9457_member_names() {
        let problem = Problem::new(404, "Not Found", Some("no such recording".into()));
        let json = serde_json::to_value(&problem).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "type": "about:blank", "title": "Not Found", "status": 404,
                "detail": "no such recording"
            })
        );
    }

    #[test]
    fn missing_type_reads_as_about_blank_and_message_falls_back_to_title() {
        let problem: Problem =
            serde_json::from_str(r#"{"title":"Conflict","status":409}"#).expect("parses");
        assert_eq!(problem.kind, "about:blank");
        assert_eq!(problem.message(), "Conflict");
    }
}
