//! Blobs that are not files on this machine (an object store, SPEC §14): each segment of
//! the plan is one ranged read, streamed as it arrives; memory holds a chunk at a time.

use std::io;
use std::sync::Arc;

use futures_util::stream;
use futures_util::{StreamExt, TryStreamExt};
use poem::Body;

use super::reading::Segment;
use crate::blob::{Chunks, RangeRead};

/// The body for `plan` from a remote blob: literal segments as they are, blob segments by
/// a ranged read each, in order. A read that fails or ends early fails the body, so a
/// client never takes a short body for a whole one. The first read is begun before the
/// body exists: a store that does not answer fails the request (503 upstream) instead of
/// a response already under way.
pub(super) async fn body_of(source: Arc<dyn RangeRead>, plan: Vec<Segment>) -> io::Result<Body> {
    let first = plan.iter().position(|s| matches!(s, Segment::File(..)));
    let mut opened = match first.map(|index| &plan[index]) {
        Some(&Segment::File(start, len)) => {
            Some(exactly(source.read(start..start + len).await?, len))
        }
        _ => None,
    };
    let parts = stream::iter(plan.into_iter().enumerate()).then(move |(index, segment)| {
        let source = source.clone();
        let ready = opened.take_if(|_| Some(index) == first);
        async move {
            match (segment, ready) {
                (Segment::Mem(bytes), _) => {
                    let once: Chunks = stream::once(async { Ok(bytes) }).boxed();
                    Ok::<_, io::Error>(once)
                }
                (Segment::File(..), Some(chunks)) => Ok(chunks),
                (Segment::File(start, len), None) => {
                    let chunks = source.read(start..start + len).await?;
                    Ok(exactly(chunks, len))
                }
            }
        }
    });
    Ok(Body::from_bytes_stream(parts.try_flatten()))
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
