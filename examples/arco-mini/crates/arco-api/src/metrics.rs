//! Per-route request counters (feature `metrics`).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct RouteCounters {
    trigger_run: AtomicU64,
    create_backfill: AtomicU64,
}

/// A route whose requests are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    TriggerRun,
    CreateBackfill,
}

impl RouteCounters {
    pub fn record(&self, route: Route) {
        let counter = match route {
            Route::TriggerRun => &self.trigger_run,
            Route::CreateBackfill => &self.create_backfill,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, route: Route) -> u64 {
        match route {
            Route::TriggerRun => self.trigger_run.load(Ordering::Relaxed),
            Route::CreateBackfill => self.create_backfill.load(Ordering::Relaxed),
        }
    }
}
