//! The rules for a recording's metadata, one set for upload, import and update.

use crate::domain::error::DomainError;

/// Longest caller, callee, agent or external id, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 64;

/// A free-text field: at most [`MAX_TEXT_CHARS`] characters, no control characters.
pub fn check_text(name: &str, value: Option<&str>) -> Result<(), DomainError> {
    if value.is_some_and(|value| {
        value.chars().count() > MAX_TEXT_CHARS || value.chars().any(char::is_control)
    }) {
        return Err(DomainError::Invalid(format!(
            "{name} must have at most {MAX_TEXT_CHARS} characters and no control characters"
        )));
    }
    Ok(())
}

/// Tags as stored: trimmed, empty ones left out (a recorder's `a,,b` means two tags), at most
/// [`MAX_TAGS`] of at most [`MAX_TAG_CHARS`] characters.
pub fn tags<'a>(given: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, DomainError> {
    let tags: Vec<String> = given
        .into_iter()
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect();
    if tags.len() > MAX_TAGS || tags.iter().any(|tag| tag.chars().count() > MAX_TAG_CHARS) {
        return Err(DomainError::Invalid(format!(
            "at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters"
        )));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_tags_are_left_out_and_long_ones_refused() {
        assert_eq!(
            tags(["sales", " ", "vip "]).ok(),
            Some(vec!["sales".to_owned(), "vip".to_owned()])
        );
        assert!(tags(["x".repeat(65).as_str()]).is_err());
        assert!(tags(vec!["t"; 33]).is_err());
        assert!(check_text("agent", Some("line\nbreak")).is_err());
        assert!(check_text("agent", Some(&"a".repeat(200))).is_ok());
    }
}
