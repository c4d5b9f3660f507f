//! The report's lines about screens, the server's view of them, and what
//! the load test itself cost.

use crate::stats::Report;

fn percent(share: f64) -> String {
    format!("{:.2} %", share * 100.0)
}

impl Report {
    pub(crate) fn print_screens(&self) {
        println!(
            "screens           {:>12}   connected {}   {:.2} frames/s each ({:.2} ticks/s)   {:.1} MB/s in all",
            self.screens,
            self.screens_connected,
            self.frames_per_s_per_screen,
            self.ticks_per_s_per_screen,
            self.screen_bytes_per_s / 1e6
        );
        let s = &self.sample;
        if self.screens_deflate > 0 {
            println!(
                "deflate           {:>12}   screens accepted it   sample: {:.0} B a frame on the wire, {:.0} B inflated",
                self.screens_deflate,
                self.sample_wire_bytes_per_frame,
                self.sample_text_bytes_per_frame
            );
        }
        if self.sample_screens > 0 {
            println!(
                "sample            {:>12}   screens: {} hello, {} snapshot, {} tick, {} alert, {} other · {} ticks skipped · {} unreadable",
                self.sample_screens,
                s.hello,
                s.snapshot,
                s.tick,
                s.alert,
                s.other,
                s.seq_skipped,
                s.unreadable
            );
        }
        if let Some(c) = &self.server {
            let catch_ups = c
                .catch_ups
                .map_or(String::new(), |n| format!("   catch-ups {n}"));
            println!(
                "server            {:>12}   frames sent   snapshots {} ({}){catch_ups}",
                c.frames_sent,
                c.snapshots,
                self.server_snapshot_share.map_or("-".into(), percent)
            );
        }
        if self.screens_failed > 0 {
            println!("screens failed    {:>12}", self.screens_failed);
        }
        for e in &self.screen_errors {
            println!("screen error      {e}");
        }
    }

    pub(crate) fn print_cost(&self) {
        let rss = self
            .loadtest_max_rss_bytes
            .map_or("-".into(), |b| format!("{:.0} MB", b as f64 / 1e6));
        println!(
            "loadtest          {:>12.1}   CPU seconds ({:.0} % of a core)   max RSS {rss}",
            self.loadtest_cpu.cpu_seconds, self.loadtest_cpu.cpu_percent
        );
    }
}
