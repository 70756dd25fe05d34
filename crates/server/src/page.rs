//! Pagination of lists: `?limit=&cursor=`, with an opaque cursor for the next page.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};

/// Items per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 500;

/// The pagination parameters of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 [default: 100]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Cuts one page out of a complete list.
///
/// NOTE: the cursor is an offset into the list, so an item inserted before it while a
/// client pages shifts the next page by one.
pub fn paginate<T>(items: Vec<T>, query: &PageQuery) -> ApiResult<Page<T>> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "invalid limit {limit}: use 1 to {MAX_LIMIT}"
        )));
    }
    let offset = match &query.cursor {
        Some(cursor) => decode_cursor(cursor)?,
        None => 0,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let end = offset.saturating_add(page.len());
    let next_cursor = (end < total).then(|| encode_cursor(end));
    Ok(Page {
        items: page,
        next_cursor,
    })
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_cursor(cursor: &str) -> ApiResult<usize> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix('o').and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid cursor: pass the next_cursor of the previous page unchanged",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(limit: usize, cursor: Option<String>) -> PageQuery {
        PageQuery {
            limit: Some(limit),
            cursor,
        }
    }

    #[test]
    fn pages_cover_list_once() {
        let first = paginate((0..5).collect(), &query(2, None)).unwrap();
        let second = paginate((0..5).collect(), &query(2, first.next_cursor.clone())).unwrap();
        let third = paginate((0..5).collect(), &query(2, second.next_cursor.clone())).unwrap();
        assert_eq!(first.items, vec![0, 1]);
        assert_eq!(second.items, vec![2, 3]);
        assert_eq!(third.items, vec![4]);
        assert!(third.next_cursor.is_none());
    }

    #[test]
    fn zero_limit_rejected() {
        assert!(paginate(vec![1], &query(0, None)).is_err());
    }

    #[test]
    fn garbage_cursor_rejected() {
        assert!(paginate(vec![1], &query(1, Some("not a cursor".into()))).is_err());
    }
}
