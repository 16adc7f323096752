//! Housekeeping: unfinished uploads past their expiry lose their bytes, files nobody's
//! open upload owns are removed, and old finished rows are forgotten.

use std::collections::HashSet;

use super::{blocking, partial, UploadResult, Uploads};
use crate::db::now;
use crate::db::uploads as rows;

/// How long a completed or failed upload stays listed by `GET /uploads`.
const KEEP_CLOSED_S: i64 = 7 * 24 * 3600;

impl Uploads {
    /// Returns how many uploads expired and how many stray files went.
    pub async fn sweep(&self) -> UploadResult<(usize, usize)> {
        // Files first, rows second: a file listed here had its row inserted before it
        // was created, so an open upload's file is never mistaken for a stray.
        let dir = self.dir.clone();
        let on_disk = blocking(move || partial::ids_on_disk(&dir)).await?;
        let mut expired = 0;
        for id in self.db.run(|c| rows::expired(c, now())).await? {
            if let Ok(_guard) = self.lock(id) {
                self.expire(id).await?;
                expired += 1;
            }
        }
        let open: HashSet<i64> = self.db.run(rows::open_ids).await?.into_iter().collect();
        self.forget_closed_cursors(&open);
        let mut strays = 0;
        for (id, path) in on_disk {
            if open.contains(&id) {
                continue;
            }
            if let Ok(_guard) = self.lock(id) {
                blocking(move || partial::remove(&path)).await?;
                strays += 1;
            }
        }
        let before = now() - KEEP_CLOSED_S;
        self.db
            .write(move |tx| rows::purge_closed(tx, before))
            .await?;
        Ok((expired, strays))
    }
}
