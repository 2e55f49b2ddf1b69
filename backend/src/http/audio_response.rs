//! The HTTP side of playback: the `Range` header of RFC 9110 read, and the audio answered as
//! `200` or `206` with the headers a player and a browser need.

use std::ops::Range;

use actix_web::HttpResponse;
use actix_web::http::header;
use futures_util::StreamExt;

use crate::domain::recordings::playback::Pieces;
use crate::http::error::ApiError;
use crate::infra::entities::recording;

/// The pieces of `row`'s audio as the answer: `206` with `Content-Range` when a range was
/// asked for.
pub fn respond(
    row: &recording::Model,
    pieces: Pieces,
    range: Option<Range<u64>>,
    download: bool,
) -> HttpResponse {
    let total = u64::try_from(row.size_bytes).unwrap_or_default();
    // Counted as the pieces leave, so that a player that stops early is not counted whole.
    let played = crate::infra::metrics::played_bytes(row.sealed, row.tenant_id);
    let body = pieces.map(move |piece| {
        if let Ok(bytes) = &piece {
            played.increment(bytes.len() as u64);
        }
        piece.map_err(ApiError::from)
    });
    let mut response = match &range {
        Some(range) => {
            let mut response = HttpResponse::PartialContent();
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{total}", range.start, range.end - 1),
            ));
            response
        }
        None => HttpResponse::Ok(),
    };
    response
        .content_type(row.content_type.as_str())
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        // Audio, never a document: even a mislabelled file cannot run anything here.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'",
        ))
        .no_chunking(wanted_len(&range, total));
    if download {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"recording-{}.{}\"",
                row.id,
                extension(&row.content_type)
            ),
        ));
    }
    response.streaming(body)
}

fn wanted_len(range: &Option<Range<u64>>, total: u64) -> u64 {
    range
        .as_ref()
        .map_or(total, |range| range.end - range.start)
}

/// One `bytes=` range of RFC 9110 (`a-b`, `a-`, `-n`), clamped to the length. Several ranges,
/// or a malformed header, serve the whole (as the RFC allows); a start beyond the end is 416.
pub fn parse_range(header: Option<&str>, len: u64) -> Result<Option<Range<u64>>, ApiError> {
    let Some(spec) = header.and_then(|value| value.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>().ok(), end.parse::<u64>().ok()) {
        (Some(start), _) if start >= len => return Err(ApiError::RangeNotSatisfiable(len)),
        (Some(start), Some(end)) if end >= start => start..end.saturating_add(1).min(len),
        (Some(start), None) if end.is_empty() => start..len,
        (None, Some(suffix)) if start.is_empty() => {
            if suffix == 0 || len == 0 {
                return Err(ApiError::RangeNotSatisfiable(len));
            }
            len.saturating_sub(suffix)..len
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "audio/wav" => "wav",
        "audio/flac" => "flac",
        "audio/ogg" => "ogg",
        "audio/webm" => "webm",
        "audio/mp4" => "m4a",
        "audio/mpeg" => "mp3",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        let parse = |header: &str| parse_range(Some(header), 1000);
        assert_eq!(parse("bytes=0-99").ok().flatten(), Some(0..100));
        assert_eq!(parse("bytes=900-").ok().flatten(), Some(900..1000));
        assert_eq!(parse("bytes=-100").ok().flatten(), Some(900..1000));
        assert_eq!(parse("bytes=-5000").ok().flatten(), Some(0..1000));
        assert_eq!(parse("bytes=990-5000").ok().flatten(), Some(990..1000));
        assert_eq!(
            parse("bytes=0-18446744073709551615").ok().flatten(),
            Some(0..1000)
        );
        assert!(matches!(
            parse("bytes=1000-"),
            Err(ApiError::RangeNotSatisfiable(1000))
        ));
        assert!(matches!(
            parse("bytes=-0"),
            Err(ApiError::RangeNotSatisfiable(1000))
        ));
        assert_eq!(parse("bytes=5-1").ok().flatten(), None);
        assert_eq!(parse("bytes=0-1,5-6").ok().flatten(), None);
        assert_eq!(parse("items=0-1").ok().flatten(), None);
        assert_eq!(parse_range(None, 1000).ok().flatten(), None);
    }
}
