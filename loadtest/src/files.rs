//! Open files: every screen is a socket, and a process may hold only so
//! many. The soft limit is raised to the hard one at start; a run that
//! needs more screens than fit is told so up front, and opens what fits,
//! rather than failing midway with a screen error per refused socket.

/// Files kept for everything but screens: HTTP connections come on top,
/// plus standard streams, the runtime's own, DNS, `/proc` reads.
const RESERVE: u64 = 64;

/// Raises the soft limit to the hard one; the limit now in force.
pub fn raise() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => {
            eprintln!("open-file limit raised to {n}");
            Some(n)
        }
        Err(e) => {
            eprintln!("could not raise the open-file limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|l| l.0)
        }
    }
}

/// How many screens fit under `limit` beside `connections` HTTP connections.
pub fn screens_that_fit(limit: Option<u64>, connections: usize) -> usize {
    match limit {
        Some(l) => l.saturating_sub(RESERVE + connections as u64) as usize,
        None => usize::MAX,
    }
}

/// Says up front which numbers of screens cannot fit, and how many will be opened.
pub fn warn_if_short(wanted: &[usize], fit: usize, limit: Option<u64>) {
    let Some(&most) = wanted.iter().max() else {
        return;
    };
    if most <= fit {
        return;
    }
    eprintln!(
        "NOTE: {most} screens need about {} open files, but this process may open {} \
         (the hard limit; raising it takes privileges, e.g. `ulimit -Hn` as root or LimitNOFILE). \
         Steps asking for more than {fit} screens open {fit}, and report both numbers. \
         A server on this machine has a limit of its own too.",
        most as u64 + (limit.unwrap_or(0).saturating_sub(fit as u64)),
        limit.unwrap_or(0)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_fits_under_the_limit() {
        assert_eq!(screens_that_fit(Some(20_000), 16), 20_000 - 64 - 16);
        assert_eq!(screens_that_fit(Some(50), 16), 0);
        assert_eq!(screens_that_fit(None, 16), usize::MAX);
    }
}
