//! `?limit=&offset=` as the SPEC defines them: default 100, clamped to 1000, never negative.

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn parse(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        if limit < 0 {
            return Err(ApiError::bad_request("limit must not be negative"));
        }
        if offset < 0 {
            return Err(ApiError::bad_request("offset must not be negative"));
        }
        Ok(Self {
            limit: limit.min(MAX_LIMIT),
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_clamps_and_rejects_negatives() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page {
                limit: 100,
                offset: 0
            }
        );
        assert_eq!(
            Page::parse(Some(5000), Some(7)).unwrap(),
            Page {
                limit: 1000,
                offset: 7
            }
        );
        assert!(Page::parse(Some(-1), None).is_err());
        assert!(Page::parse(None, Some(-1)).is_err());
    }
}
