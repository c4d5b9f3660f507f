//! The pack as files: built from one engine read, written to a folder or
//! zipped for `GET /api/v1/export`; and the periodic `snapshot.json`.

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::time::Duration;

use super::charts;
use super::facts::Facts;
use super::prices;
use super::report;
use super::table;
use super::table_impact;
use super::table_notes;
use super::table_reach;
use crate::alerts::{AlertRecord, Alerts};
use crate::engine::Engine;
use crate::shutdown::Shutdown;

/// The files of one export, in order, and what could not be made.
pub struct Pack {
    pub files: Vec<(String, Vec<u8>)>,
    pub warnings: Vec<String>,
}

/// Builds the pack. The engine lock is held only to copy the facts out;
/// charts and the report are drawn after. CPU-heavy: call from a blocking thread.
pub fn build(engine: &Engine, alerts: Vec<AlertRecord>) -> Pack {
    let cfg = engine.config().clone();
    let facts = engine.read(|st, now| Facts::collect(st, &cfg, now, alerts));
    let mut warnings = Vec::new();
    let charts = charts::render_all(&facts, &mut warnings);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "snapshot.json".into(),
            serde_json::to_vec_pretty(&facts).unwrap_or_default(),
        ),
        ("stores.csv".into(), table::stores(&facts)),
        ("channels.csv".into(), table::channels(&facts)),
        ("skus.csv".into(), table::skus(&facts)),
        ("timeline.csv".into(), table::timeline(&facts)),
        ("regions.csv".into(), table_reach::regions(&facts)),
        ("campaigns.csv".into(), table_reach::campaigns(&facts)),
        ("alerts.csv".into(), table::alerts(&facts)),
        ("notes.csv".into(), table_notes::notes(&facts)),
        ("sku_prices.csv".into(), prices::sku_prices(&facts)),
        ("shape.csv".into(), table_impact::shape(&facts)),
        ("periods.csv".into(), table_impact::periods(&facts)),
    ];
    for c in &charts {
        files.push((format!("{}.svg", c.name), c.svg.clone().into_bytes()));
        if let Some(png) = &c.png {
            files.push((format!("{}.png", c.name), png.clone()));
        }
    }
    // The report's tile map on its own, for slides; only when orders
    // named regions (an empty map says nothing).
    if !facts.regions.is_empty() {
        let svg = super::report_reach::region_map(&facts);
        files.push(("region_map.svg".into(), svg.into_bytes()));
    }
    files.push((
        "report.html".into(),
        report::render(&facts, &charts, &warnings).into_bytes(),
    ));
    Pack { files, warnings }
}

impl Pack {
    /// Writes every file into `dir` (created if needed).
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes)?;
        }
        Ok(())
    }

    pub fn to_zip(&self) -> std::io::Result<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in &self.files {
            zip.start_file(name.as_str(), opts)
                .map_err(std::io::Error::other)?;
            zip.write_all(bytes)?;
        }
        Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
    }
}

/// Extracts a pack zip into `dir`; returns the file names. Names that
/// would leave `dir` are refused.
pub fn unzip_into(bytes: &[u8], dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(std::io::Error::other)?;
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(std::io::Error::other)?;
        let Some(name) = file.enclosed_name() else {
            return Err(std::io::Error::other(format!(
                "unsafe file name in the zip: {:?}",
                file.name()
            )));
        };
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)?;
        std::fs::write(dir.join(&name), buf)?;
        names.push(name.display().to_string());
    }
    Ok(names)
}

/// `snapshot.json` alone (everything of docs/api.md, Reading and the milestones).
pub fn snapshot_json(engine: &Engine, alerts: Vec<AlertRecord>) -> Vec<u8> {
    let cfg = engine.config().clone();
    let facts = engine.read(|st, now| Facts::collect(st, &cfg, now, alerts));
    serde_json::to_vec_pretty(&facts).unwrap_or_default()
}

/// Writes `snapshot.json` into `dir` every `every` (temporary file and
/// rename), so a recent pack survives even if the machine is lost.
pub fn snapshot_task(
    engine: Engine,
    alerts: Option<Alerts>,
    dir: std::path::PathBuf,
    every: Duration,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = shutdown.wait() => break,
            }
            let (engine, dir) = (engine.clone(), dir.clone());
            let recent = alerts.as_ref().map(|a| a.recent(1000)).unwrap_or_default();
            let written = tokio::task::spawn_blocking(move || {
                let tmp = dir.join("snapshot.json.tmp");
                std::fs::write(&tmp, snapshot_json(&engine, recent))?;
                std::fs::rename(&tmp, dir.join("snapshot.json"))
            })
            .await;
            match written {
                Ok(Ok(())) => tracing::debug!("snapshot.json written"),
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot write snapshot.json"),
                Err(e) => tracing::warn!(error = %e, "snapshot task failed"),
            }
        }
    })
}
