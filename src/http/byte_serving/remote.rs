//! Blobs that are not files on this machine (an object store, SPEC §14): each segment of
//! the plan is one ranged read, streamed as it arrives; memory holds a chunk at a time.

use std::io;

use futures_util::stream;
use futures_util::{StreamExt, TryStreamExt};
use poem::Body;

use super::reading::Segment;
use crate::blob::{Chunks, RangeRead};

/// The body for `plan` from a remote blob: literal segments as they are, blob segments by
/// a ranged read each, in order. A read that fails or ends early fails the body, so a
/// client never takes a short body for a whole one.
pub(super) fn body_of(source: std::sync::Arc<dyn RangeRead>, plan: Vec<Segment>) -> Body {
    let parts = stream::iter(plan).then(move |segment| {
        let source = source.clone();
        async move {
            match segment {
                Segment::Mem(bytes) => {
                    let once: Chunks = stream::once(async { Ok(bytes) }).boxed();
                    Ok::<_, io::Error>(once)
                }
                Segment::File(start, len) => {
                    let chunks = source.read(start..start + len).await?;
                    Ok(exactly(chunks, len))
                }
            }
        }
    });
    let flat = parts.try_flatten();
    Body::from_bytes_stream(flat)
}

/// `chunks`, failing unless they add up to exactly `len` bytes.
fn exactly(chunks: Chunks, len: u64) -> Chunks {
    let state = (chunks, 0u64, false);
    stream::unfold(state, move |(mut chunks, seen, failed)| async move {
        if failed {
            return None;
        }
        let (item, failed) = match chunks.next().await {
            Some(Ok(chunk)) if seen + chunk.len() as u64 > len => (Err(mismatch(len, None)), true),
            Some(Ok(chunk)) => {
                let seen = seen + chunk.len() as u64;
                return Some((Ok(chunk), (chunks, seen, false)));
            }
            Some(Err(error)) => (Err(error), true),
            None if seen == len => return None,
            None => (Err(mismatch(len, Some(seen))), true),
        };
        Some((item, (chunks, seen, failed)))
    })
    .boxed()
}

fn mismatch(len: u64, got: Option<u64>) -> io::Error {
    let message = match got {
        Some(got) => format!("the store sent {got} of {len} bytes"),
        None => format!("the store sent more than {len} bytes"),
    };
    io::Error::new(io::ErrorKind::UnexpectedEof, message)
}
