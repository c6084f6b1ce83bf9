//! Whether the run that holds a lock is still alive on this machine: the same host,
//! the same boot (the kernel's boot id) and a process with the lock's pid that
//! started when the run's did (its start time since boot). A pid alone is reused
//! after a reboot or a wrap, and a reused pid is not the run. Only reads `/proc`;
//! where it does not exist, nothing more than the pid can be told.

/// Who a process is on this machine, beyond its pid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// `/proc/sys/kernel/random/boot_id`: changes with every boot.
    pub boot_id: Option<String>,
    /// The process's start time, in clock ticks since boot (`/proc/PID/stat`, field 22).
    pub start: Option<u64>,
}

/// This boot's id, when the kernel says it.
pub fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// When process `pid` started, in clock ticks since boot; `None` when it does not
/// exist or `/proc` cannot say.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    start_from_stat(&stat)
}

/// Field 22 of a `/proc/PID/stat` line; the command name (field 2) may hold spaces
/// and parentheses, so fields are counted after its last `)`.
fn start_from_stat(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // After the name: field 3 (state) is the first; field 22 is the 20th.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// This process as a lock names it.
pub fn this_process() -> Identity {
    Identity {
        boot_id: boot_id(),
        start: start_time(std::process::id()),
    }
}

/// What can be told about a lock holder's process on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// The same boot and a process with its pid that started when it did.
    Alive,
    /// Not the run: why.
    Dead(String),
    /// A process with its pid runs, but the lock names no boot or start time to
    /// tell whether it is the run (a lock of an older gatekeeper, or no `/proc`).
    PidOnly,
}

/// Judges a holder on this machine: `pid` and what the lock says of it (`named`),
/// against what this machine says now (`boot` and `start_of`), and `pid_runs`.
pub fn judge(
    pid: u32,
    named: &Identity,
    boot: Option<&str>,
    start_of: &dyn Fn(u32) -> Option<u64>,
    pid_runs: &dyn Fn(u32) -> bool,
) -> Liveness {
    if !pid_runs(pid) {
        return Liveness::Dead(format!("no process {pid} runs here"));
    }
    if let (Some(named), Some(now)) = (named.boot_id.as_deref(), boot)
        && named != now
    {
        return Liveness::Dead(format!(
            "the machine has rebooted since (boot id {now}, the lock's {named}): pid {pid} is another process now"
        ));
    }
    match (named.start, start_of(pid)) {
        (Some(named), Some(now)) if named != now => Liveness::Dead(format!(
            "pid {pid} now belongs to a process that started at tick {now}, not the run's (tick {named})"
        )),
        (Some(_), Some(_)) if named.boot_id.is_some() && boot.is_some() => Liveness::Alive,
        _ => Liveness::PidOnly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_time_is_field_22_even_with_a_name_holding_parentheses() {
        let stat =
            "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(start_from_stat(stat), Some(987_654));
        assert_eq!(start_from_stat("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_by_its_own_identity() {
        let me = this_process();
        let pid = std::process::id();
        let liveness = judge(pid, &me, boot_id().as_deref(), &start_time, &|_| true);
        if me.boot_id.is_some() && me.start.is_some() {
            assert_eq!(liveness, Liveness::Alive);
        } else {
            assert_eq!(liveness, Liveness::PidOnly);
        }
    }

    #[test]
    fn a_reused_pid_is_not_the_run() {
        let named = Identity {
            boot_id: Some("boot-a".to_owned()),
            start: Some(100),
        };
        let runs = |_: u32| true;
        let at = |tick: u64| move |_: u32| Some(tick);
        // After a reboot.
        assert!(matches!(
            judge(1, &named, Some("boot-b"), &at(100), &runs),
            Liveness::Dead(why) if why.contains("rebooted")
        ));
        // The same boot, another process with the pid.
        assert!(matches!(
            judge(1, &named, Some("boot-a"), &at(5), &runs),
            Liveness::Dead(why) if why.contains("tick 5")
        ));
        assert_eq!(
            judge(1, &named, Some("boot-a"), &at(100), &runs),
            Liveness::Alive
        );
        // A lock that names neither: the pid alone.
        assert_eq!(
            judge(1, &Identity::default(), Some("boot-a"), &at(100), &runs),
            Liveness::PidOnly
        );
        assert!(matches!(
            judge(1, &named, Some("boot-a"), &at(100), &|_| false),
            Liveness::Dead(_)
        ));
    }
}
