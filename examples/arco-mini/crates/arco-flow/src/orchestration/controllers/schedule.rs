//! Schedule controller: which ticks are due, with bounded catchup after an outage.

use crate::orchestration::events::{EventEnvelope, OrchestrationEventData};

/// A fixed-interval schedule definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSpec {
    pub schedule_id: String,
    pub interval_secs: u64,
    pub start_at_secs: u64,
    /// Ticks older than `now - catchup_window_secs` are never evaluated.
    pub catchup_window_secs: u64,
    /// At most this many (most recent) missed ticks are emitted per reconcile.
    pub max_catchup_ticks: usize,
}

impl ScheduleSpec {
    /// A schedule firing every `interval_secs` from `start_at_secs`, one interval of catchup.
    ///
    /// Panics if `interval_secs` is zero (the schedule would fire infinitely often).
    pub fn every(schedule_id: &str, interval_secs: u64, start_at_secs: u64) -> Self {
        assert!(interval_secs > 0, "schedule interval must be positive");
        Self {
            schedule_id: schedule_id.to_owned(),
            interval_secs,
            start_at_secs,
            catchup_window_secs: interval_secs,
            max_catchup_ticks: 1,
        }
    }

    pub fn with_catchup(mut self, window_secs: u64, max_ticks: usize) -> Self {
        self.catchup_window_secs = window_secs;
        self.max_catchup_ticks = max_ticks;
        self
    }
}

/// A tick the controller decided to fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueTick {
    pub tick_id: String,
    pub scheduled_for_secs: u64,
}

/// The tick id is the schedule plus its nominal fire time: the same on every retry.
pub fn tick_id(schedule_id: &str, scheduled_for_secs: u64) -> String {
    format!("{schedule_id}:{scheduled_for_secs}")
}

/// Ticks after `last_tick_secs` and at or before `now_secs`, clamped to the catchup policy.
pub fn compute_due_ticks(
    spec: &ScheduleSpec,
    last_tick_secs: Option<u64>,
    now_secs: u64,
) -> Vec<DueTick> {
    if now_secs < spec.start_at_secs {
        return Vec::new();
    }
    let window_start = now_secs.saturating_sub(spec.catchup_window_secs);
    let earliest = match last_tick_secs {
        Some(last) => window_start.max(last + 1),
        None => window_start.max(spec.start_at_secs),
    };
    // First tick at or after `earliest` on the schedule's grid.
    let offset = earliest.saturating_sub(spec.start_at_secs);
    let first = spec.start_at_secs + offset.div_ceil(spec.interval_secs) * spec.interval_secs;
    let mut ticks: Vec<DueTick> = (first..=now_secs)
        .step_by(usize::try_from(spec.interval_secs).expect("interval fits usize"))
        .map(|at| DueTick {
            tick_id: tick_id(&spec.schedule_id, at),
            scheduled_for_secs: at,
        })
        .collect();
    if ticks.len() > spec.max_catchup_ticks {
        ticks.drain(..ticks.len() - spec.max_catchup_ticks);
    }
    ticks
}

/// Emits one `ScheduleTicked` event (with a run_key) per due tick.
pub fn reconcile(
    spec: &ScheduleSpec,
    tenant_id: &str,
    last_tick_secs: Option<u64>,
    now_secs: u64,
) -> Vec<EventEnvelope> {
    compute_due_ticks(spec, last_tick_secs, now_secs)
        .into_iter()
        .map(|tick| {
            let data = OrchestrationEventData::ScheduleTicked {
                schedule_id: spec.schedule_id.clone(),
                run_key: Some(format!("sched:{}", tick.tick_id)),
                tick_id: tick.tick_id.clone(),
                scheduled_for_secs: tick.scheduled_for_secs,
            };
            EventEnvelope::new(tenant_id, &format!("evt-{}", tick.tick_id), now_secs, data)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_compute_due_ticks_on_time() {
        let spec = ScheduleSpec::every("hourly", 3600, 0);
        let ticks = compute_due_ticks(&spec, Some(3600), 7200);
        assert_eq!(
            ticks,
            vec![DueTick {
                tick_id: "hourly:7200".into(),
                scheduled_for_secs: 7200
            }]
        );
        assert!(compute_due_ticks(&spec, Some(7200), 7300).is_empty());
    }

    #[test]
    fn test_compute_due_ticks_bounded_catchup() {
        // Down for 10 hours; catch up at most 3 ticks from the last 5 hours.
        let spec = ScheduleSpec::every("hourly", 3600, 0).with_catchup(5 * 3600, 3);
        let ticks = compute_due_ticks(&spec, Some(0), 10 * 3600);
        let times: Vec<u64> = ticks.iter().map(|t| t.scheduled_for_secs).collect();
        assert_eq!(times, vec![8 * 3600, 9 * 3600, 10 * 3600]);
    }

    #[test]
    #[should_panic(expected = "schedule interval must be positive")]
    fn test_schedule_spec_rejects_zero_interval() {
        let _ = ScheduleSpec::every("broken", 0, 0);
    }
}
