//! `state/schedule.json`: the last scheduled time that was fired. It is what
//! makes a time count as fired when its edition was empty (an empty edition
//! is not stored) or when it was skipped.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::files::{damaged, io_error, read_optional, sync_dir, write_synced};
use super::{names, Result, StateDir};

#[derive(Debug, Serialize, Deserialize)]
struct Fired {
    last_fired: DateTime<FixedOffset>,
}

impl StateDir {
    /// The last scheduled time recorded as fired.
    pub fn last_fired(&self) -> Result<Option<DateTime<FixedOffset>>> {
        let path = self.root.join(names::FIRED);
        match read_optional(&path)? {
            Some(bytes) => {
                let fired: Fired = serde_json::from_slice(&bytes).map_err(damaged(&path))?;
                Ok(Some(fired.last_fired))
            }
            None => Ok(None),
        }
    }

    /// Records `scheduled` as fired (never moving the record back).
    pub fn record_fired(&self, scheduled: DateTime<FixedOffset>) -> Result<()> {
        if self.last_fired()?.is_some_and(|f| f >= scheduled) {
            return Ok(());
        }
        std::fs::create_dir_all(&self.root).map_err(io_error("create", &self.root))?;
        let bytes = serde_json::to_vec_pretty(&Fired {
            last_fired: scheduled,
        })
        .unwrap_or_default();
        write_synced(&self.root.join(names::FIRED), &bytes)?;
        // The rename is durable only once the folder is synced.
        sync_dir(&self.root)
    }
}
