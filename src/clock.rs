//! A cheap clock for timing every command (INFO commandstats, the slow log).
//!
//! Redis reads the clock twice per command; here that would be two `clock_gettime` calls, which
//! perf showed at ~9% of a shard's CPU for pipelined PINGs. On x86_64 the time-stamp counter is
//! read directly (`rdtsc`, about a third of the cost) and converted with a rate measured once
//! against the monotonic clock. Elsewhere it falls back to `Instant`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// (reference instant, ticks at that instant, ticks per microsecond)
fn calibration() -> &'static (Instant, u64, f64) {
    static CAL: OnceLock<(Instant, u64, f64)> = OnceLock::new();
    CAL.get_or_init(|| {
        let (t0, c0) = (Instant::now(), raw_ticks());
        #[cfg(target_arch = "x86_64")]
        std::thread::sleep(Duration::from_millis(20));
        let (t1, c1) = (Instant::now(), raw_ticks());
        let micros = t1.duration_since(t0).as_secs_f64() * 1e6;
        let rate =
            if cfg!(target_arch = "x86_64") && c1 > c0 && micros > 0.0 { (c1 - c0) as f64 / micros } else { 1.0 };
        (t0, c0, rate)
    })
}

#[cfg(target_arch = "x86_64")]
fn raw_ticks() -> u64 {
    // SAFETY: rdtsc has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
fn raw_ticks() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Measures the tick rate now rather than on the first command.
pub fn calibrate() {
    calibration();
}

/// A point in time, in ticks.
#[inline]
pub fn ticks() -> u64 {
    raw_ticks()
}

/// Microseconds elapsed since `start` (a [`ticks`] value).
#[inline]
pub fn micros_since(start: u64) -> u64 {
    let rate = calibration().2;
    (raw_ticks().saturating_sub(start) as f64 / rate) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_monotonic_clock() {
        calibrate();
        let (t, c) = (Instant::now(), ticks());
        std::thread::sleep(Duration::from_millis(50));
        let ours = micros_since(c) as f64;
        let real = t.elapsed().as_micros() as f64;
        assert!((ours - real).abs() < real * 0.1 + 2000.0, "ours {ours} real {real}");
    }
}
